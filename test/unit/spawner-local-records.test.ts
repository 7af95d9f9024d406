import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { parseConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/log/index.ts';
import { LocalProcessSpawner } from '../../src/spawner/local.ts';
import type { SpawnContext } from '../../src/spawner/types.ts';
import { alive } from '../helpers/processes.ts';
import { waitFor } from '../helpers/stack.ts';

// The local spawner's run files, with real processes: what the next hub finds after a crash at any moment of a start.
describe('local spawner run files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-local-'));
  const config = parseConfig({ spawner: { local: { cmd: ['/bin/sh', '-c', 'exec sleep 300', 'plasma-test-server'], args: [] } } });
  const spawnerFor = () => new LocalProcessSpawner(config.spawner, {
    runDir: path.join(dir, 'run'), logsDir: path.join(dir, 'logs'), userDataDir: path.join(dir, 'data'), logger: createLogger('test', 'silent'),
  });
  const started: number[] = [];
  after(() => {
    for (const pid of started) try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function start(user: string) {
    const ctx = {
      user: { name: user, admin: false, groups: [] }, serverName: '', prefix: `/user/${user}/`, env: { JUPYTERHUB_USER: user },
      userOptions: {}, environment: null, previousState: null, recordState: () => undefined, progress: () => undefined,
      signal: new AbortController().signal,
    } as unknown as SpawnContext;
    const result = await spawnerFor().start(ctx);
    const pid = (result.state as { pid: number }).pid;
    started.push(pid);
    return { pid, state: result.state, runFile: path.join(dir, 'run', 'servers', `${user}.json`) };
  }

  it('a hub killed between the fork and the pid\'s record leaves a server the next hub finds and stops', async () => {
    const { pid, runFile } = await start('pt-window');
    // Read once the shell has become `sleep`: in the middle of an exec, /proc/<pid>/environ can read empty.
    let mark: string | undefined;
    await waitFor(() => {
      mark = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').find((v) => v.startsWith('PLASMA_LAUNCH_ID='));
      return !!mark && fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep';
    }, 5000, 'the server to exec');
    assert.ok(mark, 'the server process carries its launch mark');
    // The run file as it was while the fork was under way: the launch, no pid (what a crash in that window leaves).
    const record = JSON.parse(fs.readFileSync(runFile, 'utf8'));
    fs.writeFileSync(runFile, JSON.stringify({ user: record.user, serverName: record.serverName, launch: { id: mark.split('=')[1], port: record.state.port } }));

    const next = spawnerFor();
    const managed = await next.listManaged();
    assert.deepEqual(managed.map((m) => [m.user, (m.state as { pid: number }).pid]), [['pt-window', pid]]);
    assert.equal(JSON.parse(fs.readFileSync(runFile, 'utf8')).state.pid, pid, 'the pid found is written down');
    await next.stop(managed[0].state, { timeoutSeconds: 5 });
    assert.equal(alive(pid), false);
    assert.equal(fs.existsSync(runFile), false);
  });

  it('a launch whose process never ran leaves nothing listed and no file', async () => {
    const runFile = path.join(dir, 'run', 'servers', 'pt-never.json');
    fs.writeFileSync(runFile, JSON.stringify({ user: 'pt-never', serverName: '', launch: { id: 'no-such-launch', port: 1 } }));
    assert.deepEqual(await spawnerFor().listManaged(), []);
    assert.equal(fs.existsSync(runFile), false);
  });

  it('stopping an older process of a server keeps the record of the one started since', async () => {
    const first = await start('pt-again');
    const spawner = spawnerFor();
    await spawner.stop(first.state, { timeoutSeconds: 5 });
    const second = await start('pt-again');
    await spawner.stop(first.state, { timeoutSeconds: 5 }); // a late second stop of the first, as a retry would send
    assert.ok(alive(second.pid), 'the newer server still runs');
    assert.equal(JSON.parse(fs.readFileSync(second.runFile, 'utf8')).state.pid, second.pid, 'and its record is kept');
    assert.deepEqual((await spawner.listManaged()).map((m) => (m.state as { pid: number }).pid), [second.pid]);
    await spawner.stop(second.state, { timeoutSeconds: 5 });
    assert.equal(alive(second.pid), false);
  });

  it('a server that ignores SIGTERM is gone, not just signalled, when stop returns', async () => {
    const stubborn = parseConfig({ spawner: { local: { cmd: ['/bin/sh', '-c', 'trap "" TERM; while :; do sleep 0.05; done', 'plasma-test-server'], args: [] } } });
    const spawner = new LocalProcessSpawner(stubborn.spawner, {
      runDir: path.join(dir, 'run'), logsDir: path.join(dir, 'logs'), userDataDir: path.join(dir, 'data'), logger: createLogger('test', 'silent'),
    });
    const ctx = {
      user: { name: 'pt-stubborn', admin: false, groups: [] }, serverName: '', prefix: '/user/pt-stubborn/', env: {},
      userOptions: {}, environment: null, previousState: null, recordState: () => undefined, progress: () => undefined,
      signal: new AbortController().signal,
    } as unknown as SpawnContext;
    const { state } = await spawner.start(ctx);
    const pid = (state as { pid: number }).pid;
    started.push(pid);
    await new Promise((r) => setTimeout(r, 200)); // the shell has set its trap
    await spawner.stop(state, { timeoutSeconds: 1 });
    assert.equal(alive(pid), false);
  });
});
