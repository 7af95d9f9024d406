import { createRequire } from 'node:module';
import { groupsOfUser, lookupUser, SYSTEM_NAME_RE } from '../system/users.ts';
import type { Authenticator, AuthenticatedUser } from './types.ts';

const require = createRequire(import.meta.url);

type PamModule = {
  authenticate(user: string, password: string, cb: (err: unknown) => void, options?: { serviceName?: string }): void;
};

/** System users through PAM (needs root to verify passwords); groups come from the system group database. */
export class PamAuthenticator implements Authenticator {
  readonly kind = 'pam';
  readonly managesPasswords = false;
  private pam: PamModule | null = null;

  constructor(private readonly options: { allowedGroups: string[]; service?: string }) {}

  private module(): PamModule {
    this.pam ??= require('authenticate-pam') as PamModule;
    return this.pam;
  }

  async authenticate(username: string, password: string): Promise<AuthenticatedUser | null> {
    if (!SYSTEM_NAME_RE.test(username) || !(await lookupUser(username))) return null;
    const ok = await new Promise<boolean>((resolve) => {
      this.module().authenticate(username, password, (err) => resolve(!err), { serviceName: this.options.service ?? 'login' });
    });
    if (!ok) return null;
    const groups = await groupsOfUser(username);
    if (this.options.allowedGroups.length && !groups.some((g) => this.options.allowedGroups.includes(g))) return null;
    return { name: username, systemGroups: groups };
  }
}
