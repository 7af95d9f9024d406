import type { PlasmaConfig } from '../config/index.ts';
import type { Repo } from '../db/index.ts';
import { DummyAuthenticator } from './dummy.ts';
import { LdapAuthenticator } from './ldap.ts';
import { OidcAuthenticator } from './oidc.ts';
import { NativeAuthenticator } from './native.ts';
import { PamAuthenticator } from './pam.ts';
import type { Authenticator } from './types.ts';

export function createAuthenticator(config: PlasmaConfig['auth'], repo: Repo): Authenticator {
  switch (config.type) {
    case 'pam':
      return new PamAuthenticator({ allowedGroups: config.allowed_groups });
    case 'dummy':
      return new DummyAuthenticator(config.dummy_password);
    case 'ldap':
      return new LdapAuthenticator(config.ldap!, config.group_map);
    case 'oidc':
      return new OidcAuthenticator(config.oidc!, config.group_map);
    default:
      return new NativeAuthenticator(repo);
  }
}

export type { Authenticator, AuthenticatedUser } from './types.ts';
export { AuthServiceError } from './types.ts';
export { OidcAuthenticator } from './oidc.ts';
export { LdapAuthenticator } from './ldap.ts';
export { usernameProblem, USERNAME_RE } from './types.ts';
export { hashPassword, verifyPassword, passwordProblem } from './passwords.ts';
export * from './scopes.ts';
