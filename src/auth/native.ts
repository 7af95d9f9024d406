import type { Repo } from '../db/index.ts';
import crypto from 'node:crypto';
import { hashPassword, verifyPassword } from './passwords.ts';
import type { Authenticator, AuthenticatedUser } from './types.ts';

/** Passwords hashed with argon2 in the hub's database; admins create the users. */
export class NativeAuthenticator implements Authenticator {
  readonly kind = 'native';
  readonly managesPasswords = true;
  private dummyHash: Promise<string> | null = null;
  constructor(private readonly repo: Repo) {}

  async authenticate(username: string, password: string): Promise<AuthenticatedUser | null> {
    const user = await this.repo.findUser(username);
    // Verify against a dummy hash for unknown users so timing does not reveal which names exist.
    this.dummyHash ??= hashPassword(crypto.randomBytes(16).toString('hex'));
    const ok = await verifyPassword(user?.password_hash ?? (await this.dummyHash), password);
    return ok && user ? { name: user.name } : null;
  }
}

