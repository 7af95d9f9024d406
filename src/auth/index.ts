import type { PlasmaConfig } from '../config/index.ts';
import type { Repo } from '../db/index.ts';
import { DummyAuthenticator } from './dummy.ts';
import { NativeAuthenticator } from './native.ts';
import { PamAuthenticator } from './pam.ts';
import type { Authenticator } from './types.ts';

export function createAuthenticator(config: PlasmaConfig['auth'], repo: Repo): Authenticator {
  switch (config.type) {
    case 'pam':
      return new PamAuthenticator({ allowedGroups: config.allowed_groups });
    case 'dummy':
      return new DummyAuthenticator(config.dummy_password);
    default:
      return new NativeAuthenticator(repo);
  }
}

export type { Authenticator, AuthenticatedUser } from './types.ts';
export { usernameProblem, USERNAME_RE } from './types.ts';
export { hashPassword, verifyPassword, passwordProblem } from './passwords.ts';
export * from './scopes.ts';
