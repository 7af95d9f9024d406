import { sql, type Kysely } from 'kysely';

/**
 * A counter that moves whenever who a token is may have changed: its owner's name or admin flag, their groups (group
 * roles come from them), the token's own scopes, roles or expiry, or a deletion of any of these. The hub keeps the
 * identities of tokens it has seen while the counter stays put, so writes that cannot change an identity (a new
 * token, activity, servers starting) no longer make every client's next request load its identity again. Triggers
 * keep it exact for every process that writes the file (a CLI command as well as the hub). Only adds a table and
 * triggers, so an older hub keeps working on the migrated database.
 */
const BUMP = 'UPDATE identity_version SET value = value + 1';
const TRIGGERS: Record<string, string> = {
  users_identity_update: 'AFTER UPDATE OF name, admin ON users',
  users_identity_delete: 'AFTER DELETE ON users',
  groups_identity_update: 'AFTER UPDATE OF name ON groups',
  groups_identity_delete: 'AFTER DELETE ON groups',
  user_groups_identity_insert: 'AFTER INSERT ON user_groups',
  user_groups_identity_update: 'AFTER UPDATE ON user_groups',
  user_groups_identity_delete: 'AFTER DELETE ON user_groups',
  api_tokens_identity_update: 'AFTER UPDATE OF user_id, prefix, hashed, client_id, session_id, note, scopes, roles, server_id, expires_at ON api_tokens',
  api_tokens_identity_delete: 'AFTER DELETE ON api_tokens',
};

export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE TABLE identity_version (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL)`.execute(db);
  await sql`INSERT INTO identity_version (id, value) VALUES (1, 0)`.execute(db);
  for (const [name, when] of Object.entries(TRIGGERS)) {
    await sql.raw(`CREATE TRIGGER ${name} ${when} FOR EACH ROW BEGIN ${BUMP}; END`).execute(db);
  }
}
