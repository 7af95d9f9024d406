import type { Kysely, Selectable } from 'kysely';
import { nowIso } from './time.ts';
import type { Database, UserDiskTable } from './schema.ts';

export type UserDiskRow = Selectable<UserDiskTable>;

/** Disk limits and measured usage per user, and the system accounts Plasma made. */
export class UserDiskRepo {
  constructor(readonly db: Kysely<Database>) {}

  get(userId: number): Promise<UserDiskRow | undefined> {
    return this.db.selectFrom('user_disk').selectAll().where('user_id', '=', userId).executeTakeFirst();
  }

  /** The rows of these users (a listing page), keyed by user id. */
  async ofUsers(userIds: number[]): Promise<Map<number, UserDiskRow>> {
    if (!userIds.length) return new Map();
    const rows = await this.db.selectFrom('user_disk').selectAll().where('user_id', 'in', userIds).execute();
    return new Map(rows.map((r) => [r.user_id, r]));
  }

  async all(): Promise<Map<number, UserDiskRow>> {
    const rows = await this.db.selectFrom('user_disk').selectAll().execute();
    return new Map(rows.map((r) => [r.user_id, r]));
  }

  private async upsert(userId: number, patch: Partial<Omit<UserDiskRow, 'user_id'>>): Promise<void> {
    await this.db.insertInto('user_disk').values({ user_id: userId, soft_limit: null, hard_limit: null, bytes: null, measured_at: null, home: null, ...patch })
      .onConflict((oc) => oc.column('user_id').doUpdateSet(patch)).execute();
  }

  setLimits(userId: number, soft: number | null, hard: number | null): Promise<void> {
    return this.upsert(userId, { soft_limit: soft, hard_limit: hard });
  }

  recordUsage(userId: number, home: string, bytes: number, when = nowIso()): Promise<void> {
    return this.upsert(userId, { home, bytes, measured_at: when });
  }

  async markManaged(kind: 'user' | 'group', name: string): Promise<void> {
    await this.db.insertInto('managed_accounts').values({ kind, name, created: nowIso() }).onConflict((oc) => oc.doNothing()).execute();
  }

  async isManaged(kind: 'user' | 'group', name: string): Promise<boolean> {
    return !!(await this.db.selectFrom('managed_accounts').select('name').where('kind', '=', kind).where('name', '=', name).executeTakeFirst());
  }

  async forgetManaged(kind: 'user' | 'group', name: string): Promise<void> {
    await this.db.deleteFrom('managed_accounts').where('kind', '=', kind).where('name', '=', name).execute();
  }
}
