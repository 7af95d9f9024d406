import crypto from 'node:crypto';
import type { Authenticator, AuthenticatedUser } from './types.ts';

/** Development only: any username with the one configured password. */
export class DummyAuthenticator implements Authenticator {
  readonly kind = 'dummy';
  readonly managesPasswords = false;
  constructor(private readonly password: string | undefined) {}

  async authenticate(username: string, password: string): Promise<AuthenticatedUser | null> {
    if (!this.password) return null;
    const a = Buffer.from(password);
    const b = Buffer.from(this.password);
    return a.length === b.length && crypto.timingSafeEqual(a, b) ? { name: username } : null;
  }
}
