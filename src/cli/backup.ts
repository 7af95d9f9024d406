import readline from 'node:readline/promises';
import type { Command } from 'commander';
import { servicesFor } from './ops.ts';
import { packageVersion } from './self.ts';

/** `plasma backup` and `plasma restore`. */

/** The config and the backup code, loaded when a command runs (`plasma --help` needs commander only). */
async function context() {
  const [configModule, backupModule, statusModule, userDataModule] = await Promise.all([
    import('../config/index.ts'), import('../ops/backup.ts'), import('../ops/status.ts'), import('../ops/user-data.ts'),
  ]);
  const paths = configModule.resolvePaths();
  const config = configModule.loadConfig(paths);
  return { paths, config, ...configModule, ...backupModule, ...statusModule, ...userDataModule };
}

export function registerBackupCommands(program: Command): void {
  const backup = program.command('backup')
    .description('back up the database, config, secrets and the environments\' manifest (consistent while the hub runs)')
    .option('--to <dir>', 'where to write the archive (default: backup.dir, or <prefix>/backups)')
    .option('--prune', 'then keep only the newest backup.keep archives there')
    .option('--user-data', 'also snapshot the homes with restic (incremental)')
    .option('--repo <repo>', 'the restic repository (default: backup.user_data.repo)')
    .option('--scheduled', 'what the daily timer runs: an archive, pruning, and the homes when a restic repository is set')
    .option('--json', 'print what was written as JSON')
    .addHelpText('after', '\nExamples:\n  plasma backup --to /srv/backups\n  plasma backup --user-data --repo /srv/backups/homes\n  plasma backup verify --repo /srv/backups/homes')
    .action(async (opts: { to?: string; prune?: boolean; userData?: boolean; repo?: string; scheduled?: boolean; json?: boolean }) => {
      const { paths, config, createBackup, pruneBackups, backupUserData } = await context();
      const to = opts.to ?? config.backup.dir ?? paths.archivesDir;
      const say = opts.json ? () => undefined : (line: string) => console.log(line);
      const { file, manifest } = await createBackup(paths, config, { to, reason: opts.scheduled ? 'daily backup' : 'plasma backup', version: packageVersion() });
      say(`wrote ${file}: ${manifest.counts.users} users, ${manifest.counts.groups} groups, ${manifest.counts.api_tokens} tokens, ${manifest.environments.length} environments${manifest.environments_note ? ` (${manifest.environments_note})` : ''}`);
      const pruned = opts.prune || opts.scheduled ? pruneBackups(to, config.backup.keep) : [];
      for (const f of pruned) say(`removed the older ${f}`);
      let homes;
      if (opts.userData || opts.repo || (opts.scheduled && config.backup.user_data.repo)) {
        say('snapshotting the homes with restic');
        homes = await backupUserData(paths, config, { repo: opts.repo, say });
        say(`snapshot ${homes.snapshot}: ${homes.files_new} new, ${homes.files_changed} changed, ${homes.files_unmodified} unchanged files; ${(homes.bytes_added / 1024 ** 2).toFixed(1)} MB added in ${homes.seconds.toFixed(1)} s`);
      }
      if (opts.json) console.log(JSON.stringify({ file, manifest, pruned, homes }, null, 2));
    });

  backup.command('list').description('the archives, newest first').option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { paths, config, listBackups } = await context();
      const list = listBackups(config.backup.dir ?? paths.archivesDir);
      if (opts.json || backup.opts().json) return void console.log(JSON.stringify(list, null, 2));
      for (const b of list) console.log(`${b.created.toISOString()}  ${(b.bytes / 1024).toFixed(0).padStart(8)} KiB  ${b.file}`);
    });

  backup.command('verify')
    .description('restore the latest restic snapshot of the homes into a temporary folder and compare it with the live files')
    .option('--repo <repo>', 'the restic repository (default: backup.user_data.repo)')
    .option('--json', 'print JSON')
    .action(async (opts: { repo?: string; json?: boolean }) => {
      const { paths, config, verifyUserData } = await context();
      const result = await verifyUserData(paths, config, { repo: opts.repo ?? backup.opts().repo });
      // `backup` has --json and --repo too: commander gives them to it when they follow the subcommand.
      if (opts.json || backup.opts().json) console.log(JSON.stringify(result, null, 2));
      else {
        console.log(`snapshot ${result.snapshot} (${result.time}): ${result.files_identical} files identical, ${result.changed_since.length} changed since`);
        for (const f of result.differ) console.log(`  DIFFERS: ${f}`);
      }
      if (!result.ok) process.exitCode = 1;
    });

  backup.command('restore-path')
    .description('put a file or folder of the latest restic snapshot of the homes back where it was')
    .argument('<path>', 'e.g. /home/alice/Intro course/week1.ipynb')
    .option('--repo <repo>', 'the restic repository (default: backup.user_data.repo)')
    .addHelpText('after', '\nExample:\n  plasma backup restore-path "/home/alice/Intro course/week1.ipynb"')
    .action(async (target: string, opts: { repo?: string }) => {
      const { paths, config, restoreUserPath } = await context();
      await restoreUserPath(paths, config, { repo: opts.repo ?? backup.opts().repo, path: target });
      console.log(`restored ${target} from the latest snapshot`);
    });

  program.command('restore')
    .description('put a backup\'s database, config and secrets back (the hub is stopped and started again; user servers keep running)')
    .argument('<file>', 'an archive written by plasma backup')
    .option('--yes', 'do not ask for confirmation')
    .option('--json', 'print what was restored as JSON')
    .addHelpText('after', '\nExample:\n  plasma restore /opt/plasma/backups/plasma-backup-2026-12-01T02-00-00-000Z.tar.gz')
    .action(async (file: string, opts: { yes?: boolean; json?: boolean }) => {
      const { paths, config, readBackup, createBackup, restoreFiles, hostStatus, loadConfig } = await context();
      const backup = await readBackup(file); // refuses what is not a backup, or one from a newer Plasma, before anything changes
      const m = backup.manifest;
      if (!opts.yes && process.stdin.isTTY) {
        const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
        const answer = await rl.question(`Replace the state with the backup of ${m.created} (${m.counts.users} users)? The current state is backed up first. [y/N] `);
        rl.close();
        if (!/^y(es)?$/i.test(answer.trim())) return void console.log('nothing restored');
      }
      const services = servicesFor(paths, config);
      const hubRan = (await services.state('hub')).running;
      const safety = await createBackup(paths, config, { reason: `before restoring ${file}`, version: packageVersion() }).catch(() => null);
      if (hubRan) await services.stop('hub');
      const restored = await restoreFiles(paths, backup);
      if (hubRan) await services.start('hub');
      const images = new Set(m.environments.filter((e) => e.image_id).map((e) => e.image));
      const current = await hostStatus(paths, loadConfig(paths), services, packageVersion()).catch(() => null);
      const result = { restored, from: m.created, safety_backup: safety?.file ?? null, environments: m.environments.map((e) => e.name), hub_restarted: hubRan, images_expected: images.size };
      if (opts.json) return void console.log(JSON.stringify(result, null, 2));
      console.log(`restored ${restored.join(', ')} from the backup of ${m.created}${safety ? `; the state before is in ${safety.file}` : ''}`);
      if (current) console.log(`environments: ${current.environments.built} built here of the ${m.environments.length} the backup lists${current.environments.built < m.environments.length ? ' (rebuild the others: plasma env rebuild NAME)' : ''}`);
    });
}
