import crypto from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import type {
  ApiTokensTable, Database, GroupsTable, OAuthClientsTable, OAuthCodesTable, ServersTable, ServerStatus,
  SessionsTable, UsersTable,
} from './schema.ts';
import { inChunks } from './chunks.ts';
import { groupPage, membersOfGroups, userPage, type UserPageQuery } from './listing.ts';
import { nowIso } from './time.ts';

export type UserRow = Selectable<UsersTable>;
export type GroupRow = Selectable<GroupsTable>;
export type ServerRow = Selectable<ServersTable>;
export type TokenRow = Selectable<ApiTokensTable>;
export type OAuthClientRow = Selectable<OAuthClientsTable>;
export type OAuthCodeRow = Selectable<OAuthCodesTable>;
export type SessionRow = Selectable<SessionsTable>;

/** Secrets are random and long, so a plain SHA-256 is a sound one-way store (as JupyterHub's 1-round hash). */
export function hashSecret(secret: string): string {
  return 'sha256:' + crypto.createHash('sha256').update(secret).digest('hex');
}

const JUPYTERHUB_HASH = /^(sha512|sha256|sha1):(\d{1,6}):([^:]*):([0-9a-f]+)$/;

/**
 * Whether a token matches what is stored: Plasma's `sha256:<hex>`, or JupyterHub's `<algorithm>:<rounds>:<salt>:<hex>`
 * (the salt, then the token `rounds` times, through one digest), so tokens imported from a JupyterHub keep working.
 */
export function storedTokenMatches(stored: string, token: string): boolean {
  const m = JUPYTERHUB_HASH.exec(stored);
  if (!m) return timingSafeEqual(stored, hashSecret(token));
  const [, algorithm, rounds, salt, digest] = m;
  const h = crypto.createHash(algorithm);
  h.update(salt, 'utf8');
  const bytes = Buffer.from(token, 'utf8');
  for (let i = 0; i < Number(rounds); i++) h.update(bytes);
  return timingSafeEqual(h.digest('hex'), digest);
}

/**
 * A page's ids as one JSON parameter (`IN (SELECT value FROM json_each(?))`): a statement with 200 placeholders
 * cost more to build and compile than to run.
 */
function idList(ids: number[]) {
  return sql<number>`(SELECT value FROM json_each(${JSON.stringify(ids)}))`;
}

/** Queries over the state database. Every value is bound as a parameter: nothing is spliced into SQL. */
export class Repo {
  constructor(readonly db: Kysely<Database>) {}

  // ---- users
  findUser(name: string) {
    return this.db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
  }
  findUserById(id: number) {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }
  async createUser(name: string, admin = false, passwordHash: string | null = null): Promise<UserRow> {
    return this.db.insertInto('users')
      .values({ name, admin: admin ? 1 : 0, created: nowIso(), cookie_id: crypto.randomUUID(), password_hash: passwordHash })
      .returningAll().executeTakeFirstOrThrow();
  }
  /** Users by name, a slice at a time (missing names are simply absent). */
  findUsersByNames(names: readonly string[]): Promise<UserRow[]> {
    return inChunks(names, (slice) => this.db.selectFrom('users').selectAll().where('name', 'in', slice).execute());
  }
  /**
   * Many users: one multi-row insert per slice, each slice its own transaction, the event loop free between
   * slices. A name taken meanwhile (another request) is skipped, not an error: the result holds who was made.
   */
  createUsers(names: readonly string[], admin = false): Promise<UserRow[]> {
    const created = nowIso();
    return inChunks(names, (slice) => this.db.transaction().execute((trx) => trx.insertInto('users')
      .values(slice.map((name) => ({ name, admin: admin ? 1 : 0, created, cookie_id: crypto.randomUUID(), password_hash: null })))
      .onConflict((oc) => oc.column('name').doNothing())
      .returningAll().execute()));
  }
  async updateUser(id: number, patch: Partial<Pick<UserRow, 'name' | 'admin' | 'password_hash' | 'last_login' | 'cookie_id' | 'auth_state'>>) {
    await this.db.updateTable('users').set(patch).where('id', '=', id).execute();
  }
  async deleteUser(id: number) {
    await this.db.deleteFrom('users').where('id', '=', id).execute();
  }
  /** Moves last_activity forward only. */
  async bumpUserActivity(id: number, when: string) {
    await this.db.updateTable('users').set({ last_activity: when }).where('id', '=', id)
      .where((eb) => eb.or([eb('last_activity', 'is', null), eb('last_activity', '<', when)])).execute();
  }
  /** Every user, in id order (batch jobs and the CLI; the API pages through usersPage). */
  listUsers() {
    return this.db.selectFrom('users').selectAll().orderBy('id').execute();
  }
  /** One page of users, filtered and sorted in SQL (listing.ts). */
  usersPage(q: UserPageQuery) {
    return userPage(this.db, q);
  }
  countUsers() {
    return this.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  }

  // ---- groups
  findGroup(name: string) {
    return this.db.selectFrom('groups').selectAll().where('name', '=', name).executeTakeFirst();
  }
  listGroups() {
    return this.db.selectFrom('groups').selectAll().orderBy('id').execute();
  }
  groupsPage(q: Parameters<typeof groupPage>[1]) {
    return groupPage(this.db, q);
  }
  /** Members of many groups in one query, keyed by group id. */
  membersOfGroups(groupIds: number[]) {
    return membersOfGroups(this.db, groupIds);
  }
  findGroupsByNames(names: readonly string[]): Promise<GroupRow[]> {
    return inChunks(names, (slice) => this.db.selectFrom('groups').selectAll().where('name', 'in', slice).execute());
  }
  /** Many groups, a slice per statement; a name taken meanwhile is skipped. */
  createGroups(names: readonly string[]): Promise<GroupRow[]> {
    return inChunks(names, (slice) => this.db.insertInto('groups').values(slice.map((name) => ({ name, system: 0 })))
      .onConflict((oc) => oc.column('name').doNothing()).returningAll().execute());
  }
  createGroup(name: string, system = false) {
    return this.db.insertInto('groups').values({ name, system: system ? 1 : 0 }).returningAll().executeTakeFirstOrThrow();
  }
  /** Marks where a group comes from (schema.ts: groups.system). */
  async markGroup(id: number, system: number) {
    await this.db.updateTable('groups').set({ system }).where('id', '=', id).execute();
  }
  async deleteGroup(id: number) {
    await this.db.deleteFrom('groups').where('id', '=', id).execute();
  }
  async groupMembers(groupId: number): Promise<string[]> {
    const rows = await this.db.selectFrom('user_groups').innerJoin('users', 'users.id', 'user_groups.user_id')
      .select('users.name').where('user_groups.group_id', '=', groupId).orderBy('users.id').execute();
    return rows.map((r) => r.name);
  }
  async groupsOf(userId: number): Promise<string[]> {
    const rows = await this.db.selectFrom('user_groups').innerJoin('groups', 'groups.id', 'user_groups.group_id')
      .select('groups.name').where('user_groups.user_id', '=', userId).orderBy('groups.id').execute();
    return rows.map((r) => r.name);
  }
  /** Groups of many users in one query (listing pages), keyed by user id. */
  async groupsOfUsers(userIds: number[]): Promise<Map<number, string[]>> {
    const out = new Map<number, string[]>(userIds.map((id) => [id, []]));
    if (!userIds.length) return out;
    const rows = await this.db.selectFrom('user_groups').innerJoin('groups', 'groups.id', 'user_groups.group_id')
      .select(['user_groups.user_id', 'groups.name']).where('user_groups.user_id', 'in', idList(userIds)).orderBy('groups.id').execute();
    for (const r of rows) out.get(r.user_id)?.push(r.name);
    return out;
  }
  /** A slice of members per statement (chunks.ts), so a class of thousands does not hold the hub. */
  async addMembers(groupId: number, userIds: number[]) {
    await inChunks(userIds, async (slice) => {
      await this.db.insertInto('user_groups').values(slice.map((userId) => ({ user_id: userId, group_id: groupId })))
        .onConflict((oc) => oc.doNothing()).execute();
      return [];
    });
  }
  async removeMembers(groupId: number, userIds: number[]) {
    await inChunks(userIds, async (slice) => {
      await this.db.deleteFrom('user_groups').where('group_id', '=', groupId).where('user_id', 'in', slice).execute();
      return [];
    });
  }

  // ---- servers
  findServer(userId: number, name: string) {
    return this.db.selectFrom('servers').selectAll().where('user_id', '=', userId).where('name', '=', name).executeTakeFirst();
  }
  findServerById(id: number) {
    return this.db.selectFrom('servers').selectAll().where('id', '=', id).executeTakeFirst();
  }
  serversOf(userId: number) {
    return this.db.selectFrom('servers').selectAll().where('user_id', '=', userId).orderBy('id').execute();
  }
  /** Servers of many users in one query, keyed by user id. */
  async serversOfUsers(userIds: number[]): Promise<Map<number, ServerRow[]>> {
    const out = new Map<number, ServerRow[]>(userIds.map((id) => [id, []]));
    if (!userIds.length) return out;
    const rows = await this.db.selectFrom('servers').selectAll().where('user_id', 'in', idList(userIds)).orderBy('id').execute();
    for (const r of rows) out.get(r.user_id)?.push(r);
    return out;
  }
  serversWithStatus(statuses: ServerStatus[]) {
    return this.db.selectFrom('servers').innerJoin('users', 'users.id', 'servers.user_id')
      .selectAll('servers').select('users.name as user_name')
      .where('servers.status', 'in', statuses).orderBy('servers.id').execute();
  }
  async upsertServer(userId: number, name: string, baseUrl: string): Promise<ServerRow> {
    const existing = await this.findServer(userId, name);
    if (existing) return existing;
    return this.db.insertInto('servers')
      .values({ user_id: userId, name, base_url: baseUrl, status: 'stopped', user_options: '{}', spawner_state: '{}' })
      .returningAll().executeTakeFirstOrThrow();
  }
  async updateServer(id: number, patch: Partial<Omit<ServerRow, 'id' | 'user_id' | 'name'>>) {
    await this.db.updateTable('servers').set(patch).where('id', '=', id).execute();
  }
  async deleteServer(id: number) {
    await this.db.deleteFrom('servers').where('id', '=', id).execute();
  }
  async bumpServerActivity(id: number, when: string) {
    await this.db.updateTable('servers').set({ last_activity: when }).where('id', '=', id)
      .where((eb) => eb.or([eb('last_activity', 'is', null), eb('last_activity', '<', when)])).execute();
  }

  // ---- API tokens
  async insertToken(values: {
    userId: number; token: string; note?: string; scopes?: string[]; roles?: string[]; clientId?: string;
    sessionId?: string | null; expiresAt?: string | null; serverId?: number | null;
  }): Promise<TokenRow> {
    return this.db.insertInto('api_tokens').values({
      user_id: values.userId,
      prefix: values.token.slice(0, 4),
      hashed: hashSecret(values.token),
      client_id: values.clientId ?? 'jupyterhub',
      session_id: values.sessionId ?? null,
      note: values.note ?? '',
      scopes: JSON.stringify(values.scopes ?? ['inherit']),
      roles: JSON.stringify(values.roles ?? []),
      server_id: values.serverId ?? null,
      created: nowIso(),
      expires_at: values.expiresAt ?? null,
    }).returningAll().executeTakeFirstOrThrow();
  }
  async findTokenBySecret(token: string): Promise<TokenRow | undefined> {
    if (token.length < 8) return undefined;
    const candidates = await this.db.selectFrom('api_tokens').selectAll().where('prefix', '=', token.slice(0, 4)).execute();
    const now = nowIso();
    return candidates.find((row) => storedTokenMatches(row.hashed, token) && (!row.expires_at || row.expires_at > now));
  }

  /** A token whose hash was made elsewhere (an import from JupyterHub); the secret itself is never known here. */
  async insertHashedToken(values: Omit<TokenRow, 'id' | 'server_id' | 'session_id'>): Promise<void> {
    await this.db.insertInto('api_tokens').values({ ...values, server_id: null, session_id: null }).execute();
  }
  tokensOf(userId: number) {
    return this.db.selectFrom('api_tokens').selectAll().where('user_id', '=', userId).orderBy('id').execute();
  }
  findToken(userId: number, id: number) {
    return this.db.selectFrom('api_tokens').selectAll().where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
  }
  async deleteToken(id: number) {
    await this.db.deleteFrom('api_tokens').where('id', '=', id).execute();
  }
  async deleteTokensOfClient(userId: number, clientId: string) {
    await this.db.deleteFrom('api_tokens').where('user_id', '=', userId).where('client_id', '=', clientId).execute();
  }
  /** The OAuth clients (user servers) a browser session signed in to, with where each one lives. */
  clientsOfSession(sessionId: string) {
    return this.db.selectFrom('api_tokens').innerJoin('oauth_clients', 'oauth_clients.identifier', 'api_tokens.client_id')
      .select(['oauth_clients.identifier', 'oauth_clients.redirect_uri']).distinct()
      .where('api_tokens.session_id', '=', sessionId).execute();
  }
  async deleteTokensOfSession(sessionId: string) {
    await this.db.deleteFrom('api_tokens').where('session_id', '=', sessionId).execute();
  }
  async touchToken(id: number, when: string) {
    await this.db.updateTable('api_tokens').set({ last_activity: when }).where('id', '=', id).execute();
  }

  // ---- OAuth
  findClient(identifier: string) {
    return this.db.selectFrom('oauth_clients').selectAll().where('identifier', '=', identifier).executeTakeFirst();
  }
  async putClient(values: Omit<OAuthClientRow, 'created'>) {
    await this.db.insertInto('oauth_clients').values({ ...values, created: nowIso() })
      .onConflict((oc) => oc.column('identifier').doUpdateSet({
        secret_hash: values.secret_hash, redirect_uri: values.redirect_uri, allowed_scopes: values.allowed_scopes,
        description: values.description, server_id: values.server_id,
      })).execute();
  }
  async deleteClient(identifier: string) {
    await this.db.deleteFrom('api_tokens').where('client_id', '=', identifier).execute();
    await this.db.deleteFrom('oauth_clients').where('identifier', '=', identifier).execute();
  }
  async insertCode(row: OAuthCodeRow) {
    await this.db.insertInto('oauth_codes').values(row).execute();
  }
  /** Single use: the code is deleted as it is read. */
  async takeCode(code: string): Promise<OAuthCodeRow | undefined> {
    const hash = hashSecret(code);
    const row = await this.db.selectFrom('oauth_codes').selectAll().where('code_hash', '=', hash).executeTakeFirst();
    if (row) await this.db.deleteFrom('oauth_codes').where('code_hash', '=', hash).execute();
    return row;
  }
  async purgeExpired(now = nowIso()) {
    await this.db.deleteFrom('oauth_codes').where('expires_at', '<', now).execute();
    await this.db.deleteFrom('sessions').where('expires_at', '<', now).execute();
    await this.db.deleteFrom('api_tokens').where('expires_at', '<', now).execute();
  }

  // ---- sessions
  async insertSession(row: SessionRow) {
    await this.db.insertInto('sessions').values(row).execute();
  }
  findSession(cookieValue: string) {
    return this.db.selectFrom('sessions').selectAll().where('id_hash', '=', hashSecret(cookieValue))
      .where('expires_at', '>', nowIso()).executeTakeFirst();
  }
  /** Ends every session and user token of a user (a ban); the servers' own tokens go when the servers stop. */
  async revokeUser(userId: number) {
    await this.db.deleteFrom('sessions').where('user_id', '=', userId).execute();
    await this.db.deleteFrom('api_tokens').where('user_id', '=', userId).where('server_id', 'is', null).execute();
    await this.db.updateTable('users').set({ cookie_id: crypto.randomUUID() }).where('id', '=', userId).execute();
  }
  async deleteSession(idHash: string) {
    await this.db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
  }
  async touchSession(idHash: string, when: string) {
    await this.db.updateTable('sessions').set({ last_seen: when }).where('id_hash', '=', idHash).execute();
  }
}

function timingSafeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && crypto.timingSafeEqual(ba, bb);
}
