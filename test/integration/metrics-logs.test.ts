import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Browser } from '../helpers/browser.ts';
import { stopChild } from '../helpers/processes.ts';
import { BIN, Stack, waitFor } from '../helpers/stack.ts';

const USER = 'pt-clsmet';

/**
 * promtool check metrics: parses with Prometheus' own parser, then lints. The only lint findings allowed are
 * prom-client's default process gauges named *_total (its naming, not ours).
 */
function promtool(text: string): string[] {
  const checked = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  const findings = `${checked.stdout}${checked.stderr}`.split('\n').filter(Boolean);
  assert.ok(!findings.some((f) => /parsing error/.test(f)), findings.join('\n'));
  return findings.filter((f) => !/^plasma_hub_nodejs_active_\w+_total non-counter metrics should not have "_total" suffix$/.test(f));
}

/** A sample's value from Prometheus text (0 when the series is not there yet). */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

// Issue 14, must-show 6: /hub/metrics parses with Prometheus' own parser (promtool), the spawn counter moves when a
// server starts, the proxy's counters are in it; JSON logs; plasma logs hub|proxy|USER [--follow].
describe('metrics and logs', () => {
  const stack = new Stack();
  let token = '';

  before(async () => {
    await stack.start();
    assert.equal((await stack.api('POST', `/users/${USER}`)).status, 201);
    token = await stack.cli(['token', USER]);
  });
  after(() => stack.stop());

  const metrics = async (auth: string | null = stack.adminToken) => {
    const res = await fetch(`${stack.publicUrl}/hub/metrics`, { headers: auth ? { Authorization: `token ${auth}` } : {} });
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };

  it('needs read:metrics; parses with promtool; the spawn counter and the proxy\'s counters move', async () => {
    assert.equal((await metrics(null)).status, 403);
    assert.equal((await metrics(token)).status, 403, 'a student has no read:metrics');
    const first = await metrics();
    assert.equal(first.status, 200);
    assert.match(first.type ?? '', /^text\/plain; version=0\.0\.4/);
    assert.deepEqual(promtool(first.text), []);

    const spawnsBefore = sample(first.text, 'plasma_spawns_total{status="success"}');
    const durationsBefore = sample(first.text, 'plasma_server_spawn_duration_seconds_count{status="success"}');
    assert.ok([201, 202].includes((await stack.api('POST', `/users/${USER}/server`)).status));
    assert.equal((await stack.waitReady(USER)).at(-1).ready, true);
    const proxiedBefore = sample((await metrics()).text, 'plasma_proxy_requests_total');
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${stack.publicUrl}/user/${USER}/api/status`, { headers: { Authorization: `token ${token}` } });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    }
    const after = await metrics();
    assert.equal(sample(after.text, 'plasma_spawns_total{status="success"}'), spawnsBefore + 1);
    assert.equal(sample(after.text, 'plasma_server_spawn_duration_seconds_count{status="success"}'), durationsBefore + 1);
    assert.equal(sample(after.text, 'plasma_running_servers'), 1);
    assert.ok(sample(after.text, 'plasma_total_users') >= 2);
    assert.equal(sample(after.text, 'plasma_proxy_routes'), 2, 'the proxy\'s table: the hub route and the server');
    assert.equal(sample(after.text, 'plasma_routes'), 2, 'as the hub sees it');
    assert.ok(sample(after.text, 'plasma_proxy_requests_total') >= proxiedBefore + 5, 'the proxy counted the requests');
    assert.ok(sample(after.text, 'plasma_proxy_responses_total{code="2xx"}') >= 5);
    assert.ok(sample(after.text, 'plasma_proxy_sent_bytes_total') > 0);
    assert.ok(sample(after.text, 'plasma_request_duration_seconds_count{method="GET",route="/hub/metrics",code="200"}') >= 1, 'API latency by route');
    assert.deepEqual(promtool(after.text), []);
  });

  it('logins are counted by authenticator and result', async () => {
    const before = sample((await metrics()).text, 'plasma_logins_total{authenticator="native",result="failure"}');
    assert.equal((await new Browser(stack.publicUrl).login(USER, 'wrong-password')).status, 403);
    assert.equal(sample((await metrics()).text, 'plasma_logins_total{authenticator="native",result="failure"}'), before + 1);
  });

  it('the hub logs JSON lines on stdout; plasma logs hub and proxy show them readable, or as JSON', async () => {
    const stdout = fs.readFileSync(stack.hubLog, 'utf8').trim().split('\n');
    assert.ok(stdout.length > 3 && stdout.every((l) => typeof JSON.parse(l).msg === 'string'), 'every stdout line is a JSON log entry');
    const hub = await stack.cli(['logs', 'hub', '-n', '200']);
    assert.match(hub, /^\d{4}-\d\d-\d\dT[\d:.]+Z INFO hub listening /m);
    assert.match(hub, new RegExp(`INFO server ready user=${USER}`));
    const json = (await stack.cli(['logs', 'hub', '-n', '5', '--json'])).split('\n');
    assert.equal(json.length, 5);
    for (const l of json) assert.equal(JSON.parse(l).name, 'plasma-hub');
    assert.match(await stack.cli(['logs', 'proxy']), /INFO proxy listening/);
    await assert.rejects(stack.cli(['logs', 'hub', '-n', 'lots']), /--lines must be a whole number/);
  });

  it('plasma logs USER shows their server\'s output; --follow prints new lines as they come', async () => {
    assert.match(await stack.cli(['logs', USER, '-n', '500']), /JupyterHub|Jupyter Notebook|jupyterhub-singleuser/i);
    await assert.rejects(stack.cli(['logs', 'pt-clsnobody']), /no such user: pt-clsnobody/);

    const child = spawn(process.execPath, [BIN, 'logs', 'hub', '-n', '1', '--follow'], { env: stack.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    try {
      await waitFor(() => out.length > 0, 15_000, 'the first line');
      await new Browser(stack.publicUrl).login('pt-clsfollow', 'wrong-password');
      await waitFor(() => /failed login user=pt-clsfollow/.test(out), 15_000, 'the new line to be followed');
    } finally {
      await stopChild(child, 'SIGINT');
    }
    assert.equal((await stack.api('DELETE', `/users/${USER}/server`)).status, 204);
  });
});
