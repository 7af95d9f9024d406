import type { Kysely } from 'kysely';

/**
 * Running a class: the disk limits Plasma enforces itself and the last measured home usage, per user; and the
 * system accounts Plasma created (so a batch removal deletes only groups it made, once they are empty).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('user_disk')
    .addColumn('user_id', 'integer', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('soft_limit', 'integer')
    .addColumn('hard_limit', 'integer')
    .addColumn('bytes', 'integer')
    .addColumn('measured_at', 'text')
    .addColumn('home', 'text')
    .execute();
  await db.schema.createTable('managed_accounts')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('managed_accounts_pk', ['kind', 'name'])
    .execute();
}
