import fs from 'node:fs';
import type { Command } from 'commander';
import type { PlasmaConfig } from '../config/index.ts';
import { resolvePaths } from '../config/paths.ts';
import type { Repo } from '../db/index.ts';
import type { BatchDeps } from '../ops/users-import.ts';
import { HubClient } from './hub-client.ts';

/** What the commands run on, loaded when one runs: `plasma --help` needs commander only. */
async function domain() {
  const modules = await Promise.all([
    import('../db/index.ts'), import('../log/index.ts'), import('../ops/disk-usage.ts'), import('../ops/quota.ts'),
    import('../ops/users-csv.ts'), import('../ops/users-import.ts'), import('../system/users.ts'),
  ]);
  return Object.assign({}, ...modules) as typeof modules[0] & typeof modules[1] & typeof modules[2] & typeof modules[3]
    & typeof modules[4] & typeof modules[5] & typeof modules[6];
}

type WithRepo = <T>(fn: (repo: Repo, config: PlasmaConfig) => Promise<T>) => Promise<T>;

function fail(message: string): never {
  throw new Error(message);
}

function readFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    return fail(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

async function batchDeps(repo: Repo, config: PlasmaConfig, quiet: boolean): Promise<BatchDeps> {
  const { UserDiskRepo } = await domain();
  return {
    repo, disk: new UserDiskRepo(repo.db), config, configFile: resolvePaths().configFile,
    progress: quiet ? undefined : (m) => console.error(m),
  };
}

/** Tells a running hub to re-read environments.groups; fine when no hub runs (it reads the file at start). */
async function tellHub(): Promise<void> {
  try {
    await HubClient.with({}, async (hub) => { await hub.request('POST', '/plasma/config/reload'); });
  } catch {
    // no hub running
  }
}

const EXAMPLE_CSV = `
Example FILE.csv (a header line, then one user a line; "group" may list several, separated by ";"):
  username,password,group,home,admin,quota_soft,quota_hard
  alice,Alice-pw-2026,physics;chemistry,,no,1G,2G
  bob,Bob-pw-2026,physics,,,,
`;

/** `plasma users list|remove|import|quota|usage`: batches from CSV, disk usage and limits. */
export function registerUserBatchCommands(users: Command, withRepo: WithRepo): void {
  users.command('list')
    .description('the hub\'s users, with their home usage and disk limits')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  plasma users list --json')
    .action(async (opts: { json?: boolean }) => {
      await withRepo(async (repo, config) => {
        const { DiskUsage, UserDiskRepo, createLogger, formatSize } = await domain();
        const disk = new DiskUsage(repo, new UserDiskRepo(repo.db), config.users, createLogger('plasma-cli', 'warn'));
        const rows = await disk.disk.all();
        const list = (await repo.listUsers()).map((u) => ({ name: u.name, admin: !!u.admin, disk: disk.view(rows.get(u.id)) }));
        if (opts.json) return void console.log(JSON.stringify(list, null, 2));
        console.log(['NAME', 'ADMIN', 'HOME USAGE', 'SOFT', 'HARD', 'MEASURED'].join('\t'));
        for (const u of list) {
          const d = u.disk;
          const flag = d.over_hard ? ' (over hard limit)' : d.over_soft ? ' (over soft limit)' : '';
          console.log([u.name, u.admin ? 'admin' : '', `${formatSize(d.bytes)}${flag}`, formatSize(d.soft_limit), formatSize(d.hard_limit), d.measured_at ?? 'never'].join('\t'));
        }
      });
    });

  users.command('import')
    .description('create system users, their groups and homes from a CSV file (checked whole first; undone if it fails half-way)')
    .argument('<file>', 'CSV with columns username,password,group and optionally home,admin,quota_soft,quota_hard')
    .option('--dry-run', 'print what would be done, change nothing')
    .option('--add-to-environment-groups', 'also add the groups to environments.groups (the groups environments can be granted to)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `${EXAMPLE_CSV}\nExample:\n  plasma users import students.csv --dry-run\n  plasma users import students.csv --add-to-environment-groups`)
    .action(async (file: string, opts: { dryRun?: boolean; addToEnvironmentGroups?: boolean; json?: boolean }) => {
      const text = readFile(file);
      await withRepo(async (repo, config) => {
        const { planImport, readUsersCsv, runImport, BatchError } = await domain();
        const deps = await batchDeps(repo, config, !!opts.json);
        try {
          const plan = await planImport(readUsersCsv(text, config.users.home_base), deps, { addToEnvironmentGroups: opts.addToEnvironmentGroups });
          if (opts.dryRun) {
            if (opts.json) return void console.log(JSON.stringify({ dry_run: true, steps: plan.steps }, null, 2));
            console.log(`would do (${plan.users.length} users; nothing was changed):`);
            for (const step of plan.steps) console.log(`  ${step}`);
            return;
          }
          const done = await runImport(plan, deps);
          if (plan.environmentGroups.length) await tellHub();
          if (opts.json) console.log(JSON.stringify({ dry_run: false, steps: plan.steps, ...done }, null, 2));
          else console.log(`imported ${done.created.length} users${done.groups.length ? `; new groups: ${done.groups.join(', ')}` : ''}`);
        } catch (err) {
          if (err instanceof BatchError) fail(`${file}: ${err.message}`);
          throw err;
        }
      });
    });

  users.command('remove')
    .description('remove a hub user (NAME), or the users of a CSV file (system accounts too); homes only with --yes')
    .argument('<name-or-file>', 'a user name, or a CSV file with a username column')
    .option('--yes', 'also delete the homes of the file\'s users')
    .option('--dry-run', 'print what would be done, change nothing')
    .addHelpText('after', '\nExamples:\n  plasma users remove alice\n  plasma users remove students.csv --dry-run\n  plasma users remove students.csv --yes')
    .action(async (target: string, opts: { yes?: boolean; dryRun?: boolean }) => {
      await withRepo(async (repo, config) => {
        if (!target.endsWith('.csv') && !fs.existsSync(target)) {
          const user = (await repo.findUser(target)) ?? fail(`no such user: ${target}`);
          const active = (await repo.serversOf(user.id)).filter((s) => s.status !== 'stopped');
          if (active.length) fail(`${target} has running servers; stop them first (DELETE /hub/api/users/${target}/server)`);
          await repo.deleteUser(user.id);
          return void console.log(`removed user ${target} (their files are kept)`);
        }
        const { planRemove, readUsersCsv, runRemove, BatchError } = await domain();
        const deps = await batchDeps(repo, config, false);
        try {
          const plan = await planRemove(readUsersCsv(readFile(target), config.users.home_base, { forRemoval: true }), deps, { removeHomes: !!opts.yes });
          if (opts.dryRun) {
            console.log('would do (nothing was changed):');
            for (const step of plan.steps) console.log(`  ${step}`);
            return;
          }
          const done = await runRemove(plan, deps, { removeHomes: !!opts.yes });
          console.log(`removed ${done.removed.length} users${done.groups.length ? ` and the groups ${done.groups.join(', ')}` : ''}`
            + `${opts.yes ? ' with their homes' : '; their homes are kept (run again with --yes to delete them)'}`);
        } catch (err) {
          if (err instanceof BatchError) fail(`${target}: ${err.message}`);
          throw err;
        }
      });
    });

  users.command('quota')
    .description('set a user\'s disk limits: Plasma\'s own, and kernel quotas with setquota when users.disk.setquota is on (or --setquota)')
    .argument('<name>')
    .requiredOption('--soft <size>', 'warning above this (e.g. 1G)')
    .requiredOption('--hard <size>', 'no new server above this (e.g. 2G)')
    .option('--setquota', 'also set a kernel quota with setquota, whatever users.disk.setquota says')
    .addHelpText('after', '\nExample:\n  plasma users quota alice --soft 1G --hard 2G')
    .action(async (name: string, opts: { soft: string; hard: string; setquota?: boolean }) => {
      const { parseSize, formatSize, lookupUser, setQuota, QuotaError, UserDiskRepo } = await domain();
      const soft = parseSize(opts.soft) ?? fail(`--soft: ${JSON.stringify(opts.soft)} is not a size such as 500M or 2G`);
      const hard = parseSize(opts.hard) ?? fail(`--hard: ${JSON.stringify(opts.hard)} is not a size such as 500M or 2G`);
      if (soft > hard) fail('--soft is larger than --hard');
      await withRepo(async (repo, config) => {
        const user = (await repo.findUser(name)) ?? fail(`no such user: ${name}`);
        if (opts.setquota || config.users.disk.setquota) {
          const account = (await lookupUser(name)) ?? fail(`${name} has no system account, so no kernel quota can be set`);
          try {
            await setQuota(name, account.home, soft, hard);
          } catch (err) {
            if (err instanceof QuotaError) fail(`${err.message} Nothing was changed.`);
            throw err;
          }
        }
        await new UserDiskRepo(repo.db).setLimits(user.id, soft, hard);
        console.log(`${name}: soft limit ${formatSize(soft)}, hard limit ${formatSize(hard)}`);
      });
    });

  users.command('usage')
    .description('measure home usage now (the hub also does it in the background every users.disk.usage_interval seconds)')
    .argument('[name]', 'one user (default: everyone)')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  plasma users usage alice')
    .action(async (name: string | undefined, opts: { json?: boolean }) => {
      await withRepo(async (repo, config) => {
        const { DiskUsage, UserDiskRepo, createLogger, formatSize } = await domain();
        const disk = new DiskUsage(repo, new UserDiskRepo(repo.db), config.users, createLogger('plasma-cli', 'warn'));
        const users = name ? [(await repo.findUser(name)) ?? fail(`no such user: ${name}`)] : await repo.listUsers();
        const out: Array<{ name: string; disk: unknown }> = [];
        for (const u of users) {
          const view = await disk.measure(u);
          if (!view) continue;
          out.push({ name: u.name, disk: view });
          if (!opts.json) console.log(`${u.name}\t${formatSize(view.bytes)}\t${view.home}`);
        }
        if (opts.json) console.log(JSON.stringify(out, null, 2));
      });
    });
}
