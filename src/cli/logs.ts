import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { withRepo } from './hub.ts';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** A pino JSON line as `time LEVEL message key=value …`; other lines as they are. */
export function prettyLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line);
  } catch {
    return line;
  }
  if (!entry || typeof entry !== 'object' || typeof entry.time !== 'number') return line;
  const { time, level, msg, pid: _pid, hostname: _host, name: _name, ...rest } = entry;
  const extra = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
  return `${new Date(time as number).toISOString()} ${LEVELS[level as number] ?? level} ${msg ?? ''}${extra ? ` ${extra}` : ''}`;
}

async function print(source: AsyncIterable<string>, json: boolean): Promise<void> {
  for await (const text of source) {
    if (json) process.stdout.write(text);
    else process.stdout.write(text.split('\n').map((l) => (l ? prettyLine(l) : l)).join('\n'));
  }
}

/** `plasma logs hub|proxy|USER [--follow]`: the hub's or proxy's JSON log, or a user's server output. */
export function registerLogsCommands(program: Command): void {
  program.command('logs')
    .description('show the logs of the hub, the proxy, or a user\'s server (its container\'s output)')
    .argument('<what>', 'hub, proxy, or a user name')
    .option('-n, --lines <n>', 'how many of the last lines', '100')
    .option('-f, --follow', 'keep printing new lines until Ctrl-C')
    .option('--server <name>', 'a named server of the user (default: their default server)', '')
    .option('--json', 'the hub\'s and proxy\'s lines as the JSON they are logged in')
    .addHelpText('after', '\nExamples:\n  plasma logs hub -n 50\n  plasma logs proxy --follow\n  plasma logs alice --follow')
    .action(async (what: string, opts: { lines: string; follow?: boolean; server: string; json?: boolean }) => {
      const lines = Number(opts.lines);
      if (!Number.isInteger(lines) || lines < 1 || lines > 100_000) throw new Error(`--lines must be a whole number from 1 to 100000, not ${JSON.stringify(opts.lines)}`);
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      const follow = !!opts.follow;
      // Loaded here: `plasma --help` needs commander only.
      const { loadConfig, resolvePaths } = await import('../config/index.ts');
      const { tailFile } = await import('../log/tail.ts');
      const paths = resolvePaths();
      if (what === 'hub' || what === 'proxy') {
        const file = path.join(paths.logsDir, `${what}.log`);
        if (fs.existsSync(file)) return print(tailFile(file, { lines, follow, signal: abort.signal }), !!opts.json);
        // Under systemd the journal has them (stdout of the services).
        const journal = spawn('journalctl', ['-u', `plasma-${what}`, '-o', 'cat', '-n', String(lines), ...(follow ? ['-f'] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
        journal.on('error', () => { console.error(`plasma: no ${file}, and no journal to read (journalctl is missing)`); process.exitCode = 1; });
        abort.signal.addEventListener('abort', () => journal.kill('SIGTERM'));
        return print(journal.stdout.setEncoding('utf8') as AsyncIterable<string>, !!opts.json);
      }
      const config = loadConfig(paths);
      const state = await withRepo(async (repo) => {
        const user = await repo.findUser(what);
        if (!user) throw new Error(`no such user: ${what} (or use hub or proxy)`);
        const server = await repo.findServer(user.id, opts.server);
        if (!server || server.status === 'stopped') throw new Error(`${what} has no running server${opts.server ? ` named ${opts.server}` : ''}`);
        return JSON.parse(server.spawner_state) as Record<string, unknown>;
      });
      const [{ createSpawner }, { createLogger }] = await Promise.all([import('../spawner/index.ts'), import('../log/index.ts')]);
      const spawner = await createSpawner(config, paths, createLogger('plasma-cli', 'warn'), '');
      if (!spawner.streamLogs) throw new Error(`the ${spawner.kind} spawner keeps no logs`);
      for await (const text of spawner.streamLogs(state, { lines, follow, signal: abort.signal })) process.stdout.write(text);
    });
}
