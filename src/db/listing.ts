import { sql, type Kysely, type RawBuilder, type Selectable } from 'kysely';
import type { Database, GroupsTable, UsersTable } from './schema.ts';

/**
 * The listing pages (GET /users, GET /groups): filter, sort, offset and limit run in SQL on indexes
 * (migration 005), so a page costs the same at 10,000 users as at 10, and the rows of a page come with
 * a fixed number of queries.
 */

/** What a user model is made of: a page reads these columns only (not the password hash or the cookie id). */
const USER_MODEL_COLUMNS = ['id', 'name', 'admin', 'created', 'last_activity', 'auth_state'] as const;
export type UserModelRow = Pick<Selectable<UsersTable>, (typeof USER_MODEL_COLUMNS)[number]>;
const userModelColumns = sql.raw(USER_MODEL_COLUMNS.map((c) => `users.${c}`).join(', '));

export const USER_SORTS = ['id', 'name', 'last_activity', '-id', '-name', '-last_activity'] as const;
export type UserSort = (typeof USER_SORTS)[number];
export type UserState = 'active' | 'inactive' | 'ready';

/** Which rows a filtered scope (list:users!user=…, !group=…) shows; absent = all. */
export interface Visibility {
  names: string[];
  groups: string[];
}

export interface UserPageQuery {
  nameFilter?: string;
  sort?: UserSort;
  offset: number;
  limit: number;
  visible?: Visibility;
  state?: UserState;
  /** Servers with a start or stop under way (kept in the hub's memory, not in the row): active, never ready. */
  pendingServerIds?: number[];
  /** Also count the rows that match (the paginated answer's total). */
  withTotal?: boolean;
}

const texts = (list: string[]) => (list.length ? sql.join(list) : sql`NULL`);

/**
 * A literal prefix match on the name index: the range narrows on the index, the substr check makes it exact
 * (no LIKE wildcards to escape). Every name sorts below prefix + U+10FFFF unless it continues with U+10FFFF.
 */
function namePrefix(prefix: string): RawBuilder<boolean> {
  return sql<boolean>`(users.name >= ${prefix} AND users.name < ${prefix + '\u{10FFFF}'} AND substr(users.name, 1, ${prefix.length}) = ${prefix})`;
}

function stateCondition(state: UserState, pending: number[]): RawBuilder<boolean> {
  // (x IN (NULL) is never true and x NOT IN (NULL) never true either: spell out the empty cases.)
  const isPending = pending.length ? sql`id IN (${sql.join(pending)})` : sql`0`;
  const active = sql`users.id IN (SELECT user_id FROM servers WHERE status IN ('running', 'spawning') OR ${isPending})`;
  if (state === 'active') return sql<boolean>`${active}`;
  if (state === 'inactive') return sql<boolean>`NOT ${active}`;
  return sql<boolean>`users.id IN (SELECT user_id FROM servers WHERE status = 'running' AND NOT ${isPending})`;
}

function visibleCondition(v: Visibility): RawBuilder<boolean> {
  return sql<boolean>`(users.name IN (${texts(v.names)}) OR users.id IN (
    SELECT ug.user_id FROM user_groups ug JOIN groups g ON g.id = ug.group_id WHERE g.name IN (${texts(v.groups)})))`;
}

/**
 * JupyterHub's sort orders: nulls first ascending and last descending (SQLite's own order), ties by id.
 * Each order is one index walk: id, the name index, or users_last_activity[_desc].
 */
function orderBy(sort: UserSort): RawBuilder<unknown> {
  switch (sort) {
    case 'id': return sql`users.id ASC`;
    case '-id': return sql`users.id DESC`;
    case 'name': return sql`users.name ASC`;
    case '-name': return sql`users.name DESC`;
    case 'last_activity': return sql`users.last_activity ASC, users.id ASC`;
    case '-last_activity': return sql`users.last_activity DESC, users.id ASC`;
  }
}

export async function userPage(db: Kysely<Database>, q: UserPageQuery): Promise<{ rows: UserModelRow[]; total: number | null }> {
  const conditions: RawBuilder<boolean>[] = [];
  if (q.nameFilter) conditions.push(namePrefix(q.nameFilter));
  if (q.visible) conditions.push(visibleCondition(q.visible));
  if (q.state) conditions.push(stateCondition(q.state, q.pendingServerIds ?? []));
  const where = conditions.length ? sql`WHERE ${sql.join(conditions, sql` AND `)}` : sql``;
  const page = await sql<UserModelRow>`SELECT ${userModelColumns} FROM users ${where}
    ORDER BY ${orderBy(q.sort ?? 'id')} LIMIT ${q.limit} OFFSET ${q.offset}`.execute(db);
  let total: number | null = null;
  if (q.withTotal) {
    // A first page shorter than the limit is the whole answer: no second query.
    if (q.offset === 0 && page.rows.length < q.limit) total = page.rows.length;
    else total = (await sql<{ n: number }>`SELECT count(*) AS n FROM users ${where}`.execute(db)).rows[0].n;
  }
  return { rows: page.rows, total };
}

export async function groupPage(
  db: Kysely<Database>, q: { offset: number; limit: number; names?: string[]; withTotal?: boolean },
): Promise<{ rows: Selectable<GroupsTable>[]; total: number | null }> {
  let query = db.selectFrom('groups').selectAll().orderBy('id').limit(q.limit).offset(q.offset);
  if (q.names) query = query.where('name', 'in', q.names.length ? q.names : ['']);
  const rows = await query.execute();
  let total: number | null = null;
  if (q.withTotal) {
    if (q.offset === 0 && rows.length < q.limit) total = rows.length;
    else {
      let count = db.selectFrom('groups').select((eb) => eb.fn.countAll<number>().as('n'));
      if (q.names) count = count.where('name', 'in', q.names.length ? q.names : ['']);
      total = (await count.executeTakeFirstOrThrow()).n;
    }
  }
  return { rows, total };
}

/** Members of many groups in one query (on user_groups_group), in user id order, keyed by group id. */
export async function membersOfGroups(db: Kysely<Database>, groupIds: number[]): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>(groupIds.map((id) => [id, []]));
  if (!groupIds.length) return out;
  const rows = await db.selectFrom('user_groups').innerJoin('users', 'users.id', 'user_groups.user_id')
    .select(['user_groups.group_id', 'users.name']).where('user_groups.group_id', 'in', groupIds).orderBy('users.id').execute();
  for (const r of rows) out.get(r.group_id)?.push(r.name);
  return out;
}
