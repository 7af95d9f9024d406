import fs from 'node:fs';
import readline from 'node:readline/promises';
import type { Command } from 'commander';
import type { PlasmaConfig, PlasmaPaths } from '../config/index.ts';
import { resolvePaths } from '../config/paths.ts';
import { proxyToken } from '../config/secrets.ts';
import { Services, SERVICES, type ServiceName } from '../ops/services.ts';
import type { UpgradeReport } from '../ops/upgrade.ts';
import { packageRoot, packageVersion, plasmaBin } from './self.ts';
import { readStdin } from './stdin.ts';

/** `plasma install|upgrade|rollback|start|stop|restart|status|uninstall|db`: the host's life cycle. */

export function servicesFor(paths: PlasmaPaths, config: PlasmaConfig): Services {
  return new Services(paths, config, {
    // Services run the installed release; before any install, the package this CLI comes from.
    bin: () => (fs.existsSync(`${paths.currentRelease}/bin/plasma.mjs`) ? `${paths.currentRelease}/bin/plasma.mjs` : plasmaBin()),
    proxyToken: () => proxyToken(config, paths),
  });
}

/** The config (its schema) loads when a command runs: `plasma --help` needs commander only. */
const loadConfig = async (paths: PlasmaPaths) => (await import('../config/index.ts')).loadConfig(paths);

async function context() {
  const paths = resolvePaths();
  const config = await loadConfig(paths);
  return { paths, config, services: servicesFor(paths, config) };
}

const say = (line: string) => console.log(line);

function serviceArg(value: string | undefined): ServiceName[] {
  if (value === undefined) return [...SERVICES];
  if (value !== 'hub' && value !== 'proxy') throw new Error(`unknown service ${JSON.stringify(value)}: hub or proxy`);
  return [value];
}

function printReport(report: UpgradeReport, json: boolean): void {
  if (json) return void console.log(JSON.stringify(report, null, 2));
  const total = report.steps.reduce((n, s) => n + s.ms, 0);
  console.log(`\n${report.outcome}: ${report.from ?? '(none)'} → ${report.to} in ${(total / 1000).toFixed(1)} s`);
  for (const s of report.steps) console.log(`  ${String(s.ms).padStart(6)} ms  ${s.step}${s.detail ? `: ${s.detail}` : ''}`);
  if (report.backup) console.log(`  backup: ${report.backup}`);
}

export function registerOpsCommands(program: Command): void {
  program.command('install')
    .description('install Plasma under PLASMA_PREFIX (idempotent: run it again to repair a host)')
    .option('--from <dir|tarball>', 'a checkout or a release tarball (npm pack); default: this package')
    .option('--admin <name>', 'create this admin (native accounts) if it does not exist')
    .option('--password-stdin', 'read the admin\'s password from standard input (else one is generated and printed once)')
    .option('--no-docker', 'do not install Docker or bootstrap the base images')
    .option('--no-start', 'do not start the proxy and the hub')
    .addHelpText('after', '\nExamples:\n  sudo plasma install --admin teacher\n  PLASMA_PREFIX=/srv/plasma plasma install --from plasma-0.2.0.tgz --no-docker')
    .action(async (opts: { from?: string; admin?: string; passwordStdin?: boolean; docker: boolean; start: boolean }) => {
      const paths = resolvePaths();
      const password = opts.passwordStdin ? await readStdin() : undefined;
      const [{ install }, configModule] = await Promise.all([import('../ops/install.ts'), import('../config/index.ts')]);
      const report = await install(paths, {
        from: opts.from ?? packageRoot(), admin: opts.admin, password, docker: opts.docker, start: opts.start, say,
        services: () => servicesFor(paths, configModule.loadConfig(paths)),
      });
      if (!report.changes.length) console.log('\nnothing to change: this installation is as it should be');
      else console.log(`\n${report.changes.length} change${report.changes.length === 1 ? '' : 's'}:\n${report.changes.map((c) => `  - ${c}`).join('\n')}`);
      if (report.generatedPassword) console.log(`\nthe admin ${opts.admin}'s password (shown once): ${report.generatedPassword}`);
    });

  program.command('upgrade')
    .description('install a new release beside the running one and switch to it: user servers, environments and data are kept')
    .option('--from <dir|tarball>', 'a checkout or a release tarball (npm pack); default: this package')
    .option('--force', 'go through every step even if it is the current release')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExamples:\n  plasma upgrade --from /srv/src/plasma\n  plasma upgrade --from plasma-0.2.0.tgz --json')
    .action(async (opts: { from?: string; force?: boolean; json?: boolean }) => {
      const { paths, config, services } = await context();
      const { upgrade, UpgradeError } = await import('../ops/upgrade.ts');
      try {
        printReport(await upgrade(paths, config, services, { from: opts.from ?? packageRoot(), version: packageVersion(), say: opts.json ? () => undefined : say, force: opts.force }), !!opts.json);
      } catch (err) {
        if (err instanceof UpgradeError) printReport(err.report, !!opts.json);
        throw err;
      }
    });

  program.command('rollback')
    .description('undo the last upgrade: its previous release, on the database as it was before it')
    .addHelpText('after', '\nExample:\n  plasma rollback')
    .action(async () => {
      const { paths, services } = await context();
      const { rollbackLast } = await import('../ops/upgrade.ts');
      const done = await rollbackLast(paths, services, say);
      console.log(`rolled back from ${done.from} to ${done.to}`);
    });

  for (const [verb, what] of [['start', 'start'], ['stop', 'stop'], ['restart', 'restart']] as const) {
    program.command(verb)
      .description(`${what} the proxy and the hub, or one of them${verb === 'restart' ? ' (the proxy hands its sockets to a new process: no connection is dropped)' : ''}${verb === 'stop' ? ' (user servers keep running; stopping the proxy stops their traffic)' : ''}`)
      .argument('[service]', 'hub or proxy')
      .addHelpText('after', `\nExamples:\n  plasma ${verb}\n  plasma ${verb} hub`)
      .action(async (service?: string) => {
        const { services } = await context();
        const names = serviceArg(service);
        for (const name of verb === 'stop' ? [...names].reverse() : names) {
          if (verb === 'stop') {
            await services.stop(name);
            console.log(`${name}: stopped`);
          } else {
            const state = verb === 'start' ? await services.start(name) : await services.restart(name);
            console.log(`${name}: running, pid ${state.pid}`);
          }
        }
      });
  }

  program.command('status')
    .description('versions, the hub and the proxy, Docker, servers, environments, the last backup, free disk')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  plasma status --json | jq .services')
    .action(async (opts: { json?: boolean }) => {
      const { paths, config, services } = await context();
      const { formatStatus, hostStatus } = await import('../ops/status.ts');
      const status = await hostStatus(paths, config, services, packageVersion());
      console.log(opts.json ? JSON.stringify(status, null, 2) : formatStatus(status));
    });

  program.command('uninstall')
    .description('remove the services and the software; keeps the state, the images and every home unless --purge')
    .option('--purge', 'also remove the prefix (state, config, backups) and the environment images')
    .option('--yes', 'do not ask for confirmation')
    .addHelpText('after', '\nExamples:\n  plasma uninstall\n  plasma uninstall --purge --yes')
    .action(async (opts: { purge?: boolean; yes?: boolean }) => {
      const { paths, config, services } = await context();
      const { uninstall } = await import('../ops/uninstall.ts');
      if (opts.purge && !opts.yes) {
        if (!process.stdin.isTTY) throw new Error('--purge deletes the database and the environment images: add --yes to confirm');
        const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
        const answer = await rl.question(`Delete ${paths.prefix} (users, tokens, permissions, backups) and every environment image? [y/N] `);
        rl.close();
        if (!/^y(es)?$/i.test(answer.trim())) return void console.log('nothing removed');
      }
      for (const line of await uninstall(paths, config, services, { purge: !!opts.purge, say })) console.log(`  - ${line}`);
    });

  program.command('import')
    .description('bring a TLJH/Plasma host\'s users, groups, tokens, permissions and tljh-config keys into Plasma')
    .requiredOption('--from-tljh <dir>', 'the TLJH folder (e.g. /opt/tljh, with state/jupyterhub.sqlite), or a copy of it')
    .option('--dry-run', 'say what would be imported, change nothing')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExamples:\n  plasma import --from-tljh /opt/tljh --dry-run\n  plasma import --from-tljh /mnt/old-server/opt/tljh --json')
    .action(async (opts: { fromTljh: string; dryRun?: boolean; json?: boolean }) => {
      const { importTljh } = await import('../ops/import-tljh.ts');
      const report = await importTljh(resolvePaths(), opts.fromTljh, { dryRun: !!opts.dryRun });
      if (opts.json) return void console.log(JSON.stringify(report, null, 2));
      const verb = report.dry_run ? 'would import' : 'imported';
      console.log(`${verb} ${report.users.length} users (${report.admins.length} admins), ${report.groups.length} groups (${report.memberships} memberships), ${report.tokens} API tokens, ${report.permissions.length} permissions, ${report.config.length} config keys`);
      for (const c of report.config) console.log(`  config: ${c}`);
      for (const s of report.skipped) console.log(`  not imported: ${s.what}: ${s.why}`);
      if (report.config.length && !report.dry_run) console.log('restart the hub to apply the configuration: plasma restart hub');
    });

  const db = program.command('db').description('the state database');
  db.command('migrate')
    .description('apply pending migrations (in one transaction, after a backup of the database)')
    .option('--json', 'print what was applied as JSON')
    .addHelpText('after', '\nExample:\n  plasma db migrate')
    .action(async (opts: { json?: boolean }) => {
      const paths = resolvePaths();
      const { openDatabase } = await import('../db/index.ts');
      const opened = await openDatabase({ file: paths.database, backupsDir: paths.backupsDir });
      await opened.close();
      if (opts.json) console.log(JSON.stringify({ applied: opened.applied, backup: opened.backupFile }));
      else console.log(opened.applied.length ? `applied ${opened.applied.join(', ')} (backup: ${opened.backupFile})` : 'the database is up to date');
    });
}
