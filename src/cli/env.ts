import readline from 'node:readline/promises';
import type { Command } from 'commander';
import { apiFailure, HubClient } from './hub-client.ts';
import { readStdin } from './stdin.ts';

/** `plasma env …`: environments through the running hub's API (docs/plasma-api.md). */

interface WaitOptions {
  follow?: boolean;
  wait?: boolean;
}

const enc = encodeURIComponent;

function short(commit: string | null | undefined): string {
  return commit ? commit.slice(0, 7) : '';
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

/**
 * Waits for the build: by default one line per Dockerfile step (or one updating line on a terminal),
 * with --follow the whole log as it comes. Resolves true when it built.
 */
async function watch(client: HubClient, name: string, options: WaitOptions): Promise<boolean> {
  if (options.wait === false && !options.follow) {
    console.log(`follow it with: plasma env logs ${name} --follow`);
    return true;
  }
  const tty = process.stdout.isTTY && !options.follow;
  let outcome: any = null;
  await client.events(`/plasma/environments/${enc(name)}/logs`, (event) => {
    if (event.phase === 'log' && options.follow) process.stdout.write(event.message);
    if (event.phase === 'status' && event.status === 'queued') console.log(`${name}: queued${event.queue_position ? ` (position ${event.queue_position})` : ''}`);
    if (event.phase === 'progress' && !options.follow && event.message) {
      const line = `${name}: [${event.step}/${event.total}] ${event.message.replace(/^Step \d+\/\d+ : /, '').slice(0, 100)}`;
      if (tty) process.stdout.write(`\r\x1b[K${line}`);
      else console.log(line);
    }
    if (event.phase === 'built' || event.phase === 'error') outcome = event;
  });
  if (tty) process.stdout.write('\n');
  if (outcome?.phase === 'built') {
    console.log(`${name}: built`);
    return true;
  }
  console.error(`${name}: the build failed: ${outcome?.message ?? 'the log stream ended early'}`);
  console.error(`see the whole log with: plasma env logs ${name}`);
  return false;
}

async function credentialsFrom(opts: { username?: string; passwordStdin?: boolean }): Promise<Record<string, string>> {
  if (!opts.passwordStdin) {
    if (opts.username) throw new Error('--username needs --password-stdin (the password is never taken on the command line)');
    return {};
  }
  return { username: opts.username ?? '', password: await readStdin() };
}

function buildArgs(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new Error(`--build-arg ${JSON.stringify(item)}: use KEY=VALUE`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerEnvCommands(program: Command): void {
  const env = program.command('env').description('build and manage environments (Docker images from git repositories)')
    .option('--as <user>', 'act as this hub user (default: the first admin)');
  const as = () => env.opts().as as string | undefined;

  env.command('list').description('list the environments and their build status')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  plasma env list\n  plasma env list --json | jq \'.[].name\'')
    .action(async (opts: { json?: boolean }) => {
      await HubClient.with({ as: as() }, async (client) => {
        const res = await client.request('GET', '/plasma/environments');
        if (res.status !== 200) throw apiFailure(res);
        if (opts.json) return void console.log(JSON.stringify(res.data, null, 2));
        if (!res.data.length) return void console.log('no environments yet: add one with "plasma env add <git URL>"');
        const rows = [['NAME', 'STATUS', 'DISPLAY NAME', 'REF', 'COMMIT', 'GROUPS', 'BUILT']];
        for (const e of res.data) {
          const building = e.build && ['queued', 'building'].includes(e.build.status) ? ` (${e.build.status}${e.build.progress ? ` ${e.build.progress.step}/${e.build.progress.total}` : ''})` : '';
          rows.push([e.name, `${e.status}${building}`, e.display_name, e.ref, short(e.commit), (e.groups ?? []).join(',') || '-', (e.built_at ?? '').slice(0, 16)]);
        }
        console.log(table(rows));
      });
    });

  env.command('show').description('show one environment').argument('<name>')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  plasma env show intro-python')
    .action(async (name: string, opts: { json?: boolean }) => {
      await HubClient.with({ as: as() }, async (client) => {
        const res = await client.request('GET', `/plasma/environments/${enc(name)}`);
        if (res.status !== 200) throw apiFailure(res);
        if (opts.json) return void console.log(JSON.stringify(res.data, null, 2));
        const e = res.data;
        const lines: Array<[string, unknown]> = [
          ['name', e.name], ['display name', e.display_name], ['status', e.status], ['image', e.image], ['repository', e.repo],
          ['ref', e.ref], ['commit', e.commit], ['memory', e.memory ?? 'default'], ['cpu', e.cpu ?? 'default'],
          ['build args', Object.entries(e.build_args ?? {}).map(([k, v]) => `${k}=${v}`).join(' ') || '-'], ['groups', (e.groups ?? []).join(', ') || '-'],
          ['owner', e.owner], ['built', e.built_at], ['last build', e.build ? `#${e.build.id} ${e.build.status}${e.build.error ? `: ${e.build.error}` : ''}` : '-'],
        ];
        for (const [k, v] of lines) console.log(`${k.padEnd(13)}${v ?? '-'}`);
      });
    });

  env.command('add').description('add an environment from a git repository and build it')
    .argument('<repo>', 'https://, http:// or git:// URL, or a local path under environments.local_roots')
    .option('--ref <ref>', 'branch, tag or commit', 'HEAD')
    .option('--name <name>', 'environment name (default: from the URL)')
    .option('--display-name <text>', 'name shown to students, and their folder name')
    .option('--description <text>', 'a line about it for the spawn page')
    .option('--memory <size>', 'memory limit, e.g. 2G or 512M')
    .option('--cpu <n>', 'CPU limit, e.g. 1.5')
    .option('--build-arg <KEY=VALUE>', 'a Docker build argument (repeatable)', collect, [])
    .option('--username <user>', 'user name for a private repository')
    .option('--password-stdin', 'read the password or token for a private repository from standard input')
    .option('--follow', 'stream the whole build log')
    .option('--no-wait', 'return once the build is queued')
    .addHelpText('after', '\nExamples:\n  plasma env add https://github.com/plasmabio/template-python --display-name "Python course" --memory 2G --cpu 1\n  printf %s "$TOKEN" | plasma env add https://git.example.edu/course/private --username teacher --password-stdin --follow')
    .action(async (repo: string, opts: Record<string, any>) => {
      const body: Record<string, unknown> = {
        repo, ref: opts.ref, name: opts.name, display_name: opts.displayName, description: opts.description,
        memory: opts.memory, cpu: opts.cpu === undefined ? undefined : Number.isNaN(Number(opts.cpu)) ? opts.cpu : Number(opts.cpu),
        buildargs: buildArgs(opts.buildArg), ...(await credentialsFrom(opts)),
      };
      const ok = await HubClient.with({ as: as() }, async (client) => {
        const res = await client.request('POST', '/plasma/environments', body);
        if (res.status !== 202) throw apiFailure(res);
        const { environment, build } = res.data;
        console.log(`${environment.name}: fetched ${short(build.commit)}; build #${build.id} queued as ${environment.image}`);
        return watch(client, environment.name, opts);
      });
      if (!ok) process.exitCode = 1;
    });

  env.command('rebuild').description('build an environment again with the same settings (its ref is fetched anew)').argument('<name>')
    .option('--no-cache', 'rebuild every layer (picks up new Debian and pip packages)')
    .option('--username <user>', 'user name for a private repository')
    .option('--password-stdin', 'read the password or token for a private repository from standard input')
    .option('--follow', 'stream the whole build log')
    .option('--no-wait', 'return once the build is queued')
    .addHelpText('after', '\nExample:\n  plasma env rebuild intro-python --follow')
    .action(async (name: string, opts: Record<string, any>) => {
      const body = { ...(await credentialsFrom(opts)), ...(opts.cache === false ? { no_cache: true } : {}) };
      const ok = await HubClient.with({ as: as() }, async (client) => {
        const res = await client.request('POST', `/plasma/environments/${enc(name)}/rebuild`, body);
        if (res.status !== 202) throw apiFailure(res);
        console.log(`${name}: fetched ${short(res.data.build.commit)}; build #${res.data.build.id} queued`);
        return watch(client, name, opts);
      });
      if (!ok) process.exitCode = 1;
    });

  env.command('cancel').description('stop a queued or running build (the image it would replace keeps serving)').argument('<name>')
    .addHelpText('after', '\nExample:\n  plasma env cancel intro-python')
    .action(async (name: string) => {
      await HubClient.with({ as: as() }, async (client) => {
        const res = await client.request('POST', `/plasma/environments/${enc(name)}/cancel`);
        if (res.status !== 200) throw apiFailure(res);
        console.log(`${name}: build #${res.data.build.id} ${res.data.build.status}: ${res.data.build.error}`);
      });
    });

  env.command('remove').description('remove an environment and its image (refused while a server uses it)').argument('<name>')
    .option('--yes', 'do not ask for confirmation')
    .addHelpText('after', '\nExample:\n  plasma env remove old-course --yes')
    .action(async (name: string, opts: { yes?: boolean }) => {
      if (!opts.yes && process.stdin.isTTY) {
        const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
        const answer = await rl.question(`Remove the environment ${name} and its image? Students' files are kept. [y/N] `);
        rl.close();
        if (!/^y(es)?$/i.test(answer.trim())) return void console.log('nothing removed');
      }
      await HubClient.with({ as: as() }, async (client) => {
        const res = await client.request('DELETE', `/plasma/environments/${enc(name)}`);
        if (res.status !== 204) throw apiFailure(res);
        console.log(`removed ${name}`);
      });
    });

  env.command('logs').description('print the last build\'s log').argument('<name>')
    .option('--follow', 'keep streaming while the build runs')
    .option('--json', 'print the build and its log as JSON')
    .addHelpText('after', '\nExample:\n  plasma env logs intro-python --follow')
    .action(async (name: string, opts: { follow?: boolean; json?: boolean }) => {
      const ok = await HubClient.with({ as: as() }, async (client) => {
        if (!opts.follow) {
          const res = await client.request('GET', `/plasma/environments/${enc(name)}/logs`);
          if (res.status !== 200) throw apiFailure(res);
          if (opts.json) console.log(JSON.stringify(res.data, null, 2));
          else process.stdout.write(res.data.log.endsWith('\n') || !res.data.log ? res.data.log : `${res.data.log}\n`);
          return res.data.build?.status !== 'failed';
        }
        return watch(client, name, { follow: true });
      });
      if (!ok) process.exitCode = 1;
    });

  for (const verb of ['grant', 'revoke'] as const) {
    env.command(verb).description(verb === 'grant' ? 'let members of these groups use an environment' : 'stop these groups from using an environment')
      .argument('<name>').argument('<groups...>')
      .addHelpText('after', `\nExample:\n  plasma env ${verb} intro-python students-2026`)
      .action(async (name: string, groups: string[]) => {
        await HubClient.with({ as: as() }, async (client) => {
          const res = await client.request(verb === 'grant' ? 'POST' : 'DELETE', `/plasma/environments/${enc(name)}/groups`, { groups });
          if (res.status !== 200) throw apiFailure(res);
          console.log(`${name}: groups ${res.data.groups.join(', ') || '(none)'}`);
        });
      });
  }

  env.command('permissions').description('show which groups may use which environment')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      await HubClient.with({ as: as() }, async (client) => {
        const res = await client.request('GET', '/plasma/permissions');
        if (res.status !== 200) throw apiFailure(res);
        if (opts.json) return void console.log(JSON.stringify(res.data, null, 2));
        const { groups, environments, permissions } = res.data as { groups: string[]; environments: string[]; permissions: Record<string, string[]> };
        if (!environments.length) return void console.log('no environments yet');
        console.log(table([['ENVIRONMENT', ...groups], ...environments.map((e) => [e, ...groups.map((g) => (permissions[e]?.includes(g) ? 'yes' : '-'))])]));
      });
    });
}
