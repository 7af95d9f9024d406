import { sql, type Kysely } from 'kysely';

/**
 * Indexes for the hub at 10,000 users: the listing orders (last activity both ways, ties by id through the
 * rowid each index carries), group membership looked up by group, servers by status (state=active|ready),
 * and the foreign keys that user, server and session deletions cascade through (else a full scan each).
 * Only adds indexes, so an older hub keeps working on the migrated database.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX users_last_activity ON users (last_activity)`.execute(db);
  await sql`CREATE INDEX users_last_activity_desc ON users (last_activity DESC)`.execute(db);
  await sql`CREATE INDEX user_groups_group ON user_groups (group_id, user_id)`.execute(db);
  await sql`CREATE INDEX servers_status ON servers (status)`.execute(db);
  await sql`CREATE INDEX api_tokens_user ON api_tokens (user_id)`.execute(db);
  await sql`CREATE INDEX api_tokens_session ON api_tokens (session_id)`.execute(db);
  await sql`CREATE INDEX api_tokens_server ON api_tokens (server_id)`.execute(db);
  await sql`CREATE INDEX oauth_clients_server ON oauth_clients (server_id)`.execute(db);
  await sql`CREATE INDEX oauth_codes_user ON oauth_codes (user_id)`.execute(db);
}
