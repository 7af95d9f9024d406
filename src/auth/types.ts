/** Result of a successful login. */
export interface AuthenticatedUser {
  name: string;
  /** Groups to mirror into the hub (system groups for PAM); undefined = leave memberships alone. */
  systemGroups?: string[];
  /** Groups from an identity provider (LDAP, OIDC), already mapped to Plasma group names. */
  providerGroups?: string[];
}

/**
 * The identity provider is misconfigured or unreachable: the user sees a generic message, the log gets this one,
 * which names the config key. Never carries a password.
 */
export class AuthServiceError extends Error {
  constructor(message: string, readonly key: string) {
    super(message);
  }
}

export interface Authenticator {
  readonly kind: string;
  /** Returns the user, or null for wrong credentials. Never logs the password. */
  authenticate(username: string, password: string): Promise<AuthenticatedUser | null>;
  /** Whether the hub may create users itself with passwords (native) or they come from the system (pam). */
  readonly managesPasswords: boolean;
}

/** Hub usernames: what JupyterHub normalises to (lower case), safe in URLs, paths and container names. */
export const USERNAME_RE = /^[a-z0-9][a-z0-9._@-]{0,63}$/;

export function usernameProblem(name: unknown): string | null {
  if (typeof name !== 'string') return 'username must be a string';
  if (name.length === 0) return 'username must not be empty';
  if (name.length > 64) return 'username is too long (64 characters at most)';
  if (/[\x00-\x1f\x7f]/.test(name)) return 'username must not contain control characters';
  if (name.includes('/') || name.includes('\\')) return 'username must not contain path separators';
  if (name === '.' || name === '..' || name.includes('..')) return 'username must not contain ".."';
  if (!USERNAME_RE.test(name)) {
    return `invalid username ${JSON.stringify(name)}: use lower-case letters, digits and . _ @ - (starting with a letter or digit)`;
  }
  return null;
}
