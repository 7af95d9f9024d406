import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import YAML from 'yaml';
import { freeLoopbackPort } from '../../src/spawner/local.ts';
import { Browser } from '../helpers/browser.ts';
import { BIN, REPO_ROOT, waitFor } from '../helpers/stack.ts';

// The README's first command: scripts/quickstart.sh on a fresh prefix makes the admin account, prints its password
// once, and runs Plasma on its embedded defaults; a second run keeps the account and prints no password.
describe('scripts/quickstart.sh (the README\'s first command)', () => {
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-quickstart-'));
  let run: ChildProcess | null = null;
  let ports: { proxy: number; api: number; hub: number };

  const start = async () => {
    let output = '';
    run = spawn('bash', [path.join(REPO_ROOT, 'scripts/quickstart.sh')], {
      cwd: REPO_ROOT, env: { ...process.env, PLASMA_PREFIX: prefix }, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    });
    run.stdout!.on('data', (d) => (output += d));
    run.stderr!.on('data', (d) => (output += d));
    await waitFor(async () => /plasma: ready at/.test(output) || run!.exitCode !== null, 180_000, 'the quickstart to serve');
    assert.equal(run.exitCode, null, output);
    return () => output;
  };
  const stop = async () => {
    if (!run || run.exitCode !== null) return;
    const exited = new Promise((r) => run!.once('exit', r));
    process.kill(-run.pid!, 'SIGINT'); // Ctrl-C: the whole foreground group
    await exited;
  };
  after(async () => {
    await stop();
    fs.rmSync(prefix, { recursive: true, force: true });
  });

  it('makes the admin, who signs in and gets the web UI; servers start; a second run keeps the account', async () => {
    ports = { proxy: await freeLoopbackPort(), api: await freeLoopbackPort(), hub: await freeLoopbackPort() };
    fs.mkdirSync(path.join(prefix, 'config'));
    // Only the ports differ from the embedded defaults (this machine runs other hubs); the admin line is the one the
    // quickstart itself writes.
    fs.writeFileSync(path.join(prefix, 'config', 'config.yaml'), YAML.stringify({
      auth: { admin_users: ['admin'] }, hub: { port: ports.hub }, proxy: { port: ports.proxy, api_port: ports.api },
    }));
    const output = await start();
    const password = /user 'admin', password '([^']+)'/.exec(output())?.[1];
    assert.ok(password, `the password is printed once:\n${output()}`);

    const browser = new Browser(`http://127.0.0.1:${ports.proxy}`);
    assert.equal((await browser.login('admin', password)).url, '/hub/home');
    const home = await browser.go('/hub/home');
    assert.equal(home.status, 200);
    assert.match(home.text, /<script type="module"[^>]+src="\/hub\/static\/ui\/assets\/[^"]+\.js"/, 'the built web UI');

    const env = { ...process.env, PLASMA_PREFIX: prefix };
    const token = execFileSync(process.execPath, [BIN, 'token', 'admin'], { env, encoding: 'utf8' }).trim();
    const api = (method: string, url: string) => fetch(`http://127.0.0.1:${ports.proxy}${url}`, { method, headers: { Authorization: `token ${token}` } });
    assert.ok([201, 202].includes((await api('POST', '/hub/api/users/admin/server')).status));
    await waitFor(async () => (await api('GET', '/user/admin/api/status')).status === 200, 60_000, 'the admin\'s server');
    assert.equal((await api('DELETE', '/hub/api/users/admin/server')).status, 204);

    await stop();
    const again = await start();
    assert.doesNotMatch(again(), /password '/, 'no new account, no password printed');
    assert.equal((await new Browser(`http://127.0.0.1:${ports.proxy}`).login('admin', password)).url, '/hub/home', 'the same password works');
  });
});
