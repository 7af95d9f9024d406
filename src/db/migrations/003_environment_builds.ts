import type { Kysely } from 'kysely';

/**
 * What image labels cannot hold: build records (status, log, who asked) and which groups may use which
 * environment. Environments themselves are Docker images; groups are named as on the system.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createTable('builds')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('image', 'text', (c) => c.notNull())
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('queued_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .addColumn('commit_sha', 'text')
    .addColumn('image_id', 'text')
    .addColumn('step', 'integer')
    .addColumn('total_steps', 'integer')
    .addColumn('no_cache', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('work_dir', 'text')
    .addColumn('log', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('log_bytes', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('builds_environment').on('builds').columns(['environment', 'id']).execute();
  await db.schema.createIndex('builds_status').on('builds').column('status').execute();
  await db.schema.createTable('environment_groups')
    .addColumn('environment', 'text', (c) => c.notNull())
    .addColumn('group_name', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('environment_groups_pk', ['environment', 'group_name'])
    .execute();
  await db.schema.createIndex('environment_groups_group').on('environment_groups').column('group_name').execute();
}
