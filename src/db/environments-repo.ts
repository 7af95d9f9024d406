import { sql, type Kysely, type Selectable } from 'kysely';
import type { BuildStatus, BuildsTable, Database } from './schema.ts';
import { nowIso } from './time.ts';

export type BuildRow = Selectable<BuildsTable>;
/** A build without its log (listings never carry the log). */
export type BuildSummary = Omit<BuildRow, 'log'>;

const SUMMARY_COLUMNS = [
  'id', 'environment', 'status', 'settings', 'image', 'requested_by', 'queued_at', 'started_at', 'finished_at',
  'commit_sha', 'image_id', 'step', 'total_steps', 'no_cache', 'work_dir', 'log_bytes', 'error',
] as const;

/** Build records and the group → environment mapping. Every value is bound as a parameter. */
export class EnvironmentRepo {
  constructor(readonly db: Kysely<Database>) {}

  async insertBuild(values: { environment: string; settings: string; image: string; requestedBy: string; noCache: boolean; workDir: string | null }): Promise<BuildRow> {
    return this.db.insertInto('builds').values({
      environment: values.environment, status: 'queued', settings: values.settings, image: values.image,
      requested_by: values.requestedBy, queued_at: nowIso(), no_cache: values.noCache ? 1 : 0, work_dir: values.workDir, log: '', log_bytes: 0,
    }).returningAll().executeTakeFirstOrThrow();
  }

  findBuild(id: number) {
    return this.db.selectFrom('builds').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async updateBuild(id: number, patch: Partial<Omit<BuildRow, 'id' | 'environment'>>): Promise<void> {
    await this.db.updateTable('builds').set(patch).where('id', '=', id).execute();
  }

  /** The newest build of every environment, in one query. */
  latestBuilds(): Promise<BuildSummary[]> {
    return this.db.selectFrom('builds').select([...SUMMARY_COLUMNS])
      .where('id', 'in', (eb) => eb.selectFrom('builds').select((e) => e.fn.max('id').as('id')).groupBy('environment'))
      .orderBy('id').execute();
  }

  latestBuildOf(environment: string) {
    return this.db.selectFrom('builds').selectAll().where('environment', '=', environment).orderBy('id', 'desc').limit(1).executeTakeFirst();
  }

  buildsOf(environment: string, limit = 50): Promise<BuildSummary[]> {
    return this.db.selectFrom('builds').select([...SUMMARY_COLUMNS]).where('environment', '=', environment)
      .orderBy('id', 'desc').limit(limit).execute();
  }

  buildsWithStatus(statuses: BuildStatus[]): Promise<BuildSummary[]> {
    return this.db.selectFrom('builds').select([...SUMMARY_COLUMNS]).where('status', 'in', statuses).orderBy('id').execute();
  }

  /** Keeps the newest `keep` builds of an environment (each holds up to a few hundred KiB of log). */
  async pruneBuilds(environment: string, keep: number): Promise<void> {
    await this.db.deleteFrom('builds').where('environment', '=', environment).where('status', 'in', ['built', 'failed'])
      .where('id', 'not in', (eb) => eb.selectFrom('builds').select('id').where('environment', '=', environment).orderBy('id', 'desc').limit(keep))
      .execute();
  }

  async deleteEnvironment(environment: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('builds').where('environment', '=', environment).execute();
      await tx.deleteFrom('environment_groups').where('environment', '=', environment).execute();
    });
  }

  /** environment → groups allowed to use it. */
  async permissions(): Promise<Map<string, string[]>> {
    const rows = await this.db.selectFrom('environment_groups').selectAll().orderBy('environment').orderBy('group_name').execute();
    const out = new Map<string, string[]>();
    for (const r of rows) {
      const list = out.get(r.environment) ?? [];
      list.push(r.group_name);
      out.set(r.environment, list);
    }
    return out;
  }

  /** Replaces the whole mapping in one transaction (tljh-plasma's "save"). */
  async replacePermissions(mapping: Map<string, string[]>): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('environment_groups').execute();
      for (const [environment, groups] of mapping) {
        for (const group of new Set(groups)) await tx.insertInto('environment_groups').values({ environment, group_name: group }).execute();
      }
    });
  }

  async grant(environment: string, groups: string[]): Promise<void> {
    for (const group of new Set(groups)) {
      await this.db.insertInto('environment_groups').values({ environment, group_name: group }).onConflict((oc) => oc.doNothing()).execute();
    }
  }

  async revoke(environment: string, groups: string[]): Promise<void> {
    if (!groups.length) return;
    await this.db.deleteFrom('environment_groups').where('environment', '=', environment).where('group_name', 'in', groups).execute();
  }

  /** environment → users whose servers run (or start) in it, for every environment in one query. */
  async environmentUsers(): Promise<Map<string, string[]>> {
    const rows = await this.db.selectFrom('servers').innerJoin('users', 'users.id', 'servers.user_id')
      .select([sql<string>`json_extract(servers.user_options, '$.environment')`.as('environment'), 'users.name'])
      .where('servers.status', 'in', ['running', 'spawning', 'stopping'])
      .where(sql<string>`json_extract(servers.user_options, '$.environment')`, 'is not', null)
      .orderBy('users.name').execute();
    const out = new Map<string, string[]>();
    for (const r of rows) {
      const users = out.get(r.environment) ?? [];
      if (!users.includes(r.name)) users.push(r.name);
      out.set(r.environment, users);
    }
    return out;
  }
}
