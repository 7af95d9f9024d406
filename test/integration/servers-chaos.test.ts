import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { serverProcessesOf } from '../helpers/processes.ts';
import { Stack, waitFor } from '../helpers/stack.ts';

const USERS = Array.from({ length: 20 }, (_, i) => `pt-chaos${i}`);
const ROUNDS = 5;
/** A seed makes a failing run repeatable: PLASMA_CHAOS_SEED=<the printed seed>. */
const SEED = Number(process.env.PLASMA_CHAOS_SEED ?? Date.now() % 1_000_000);

function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const sorted = <T>(xs: Iterable<T>) => [...xs].sort();

// Issue 15, reliability tests 1 and 3, with configurable-http-proxy (it keeps routes in memory only, so the hub is
// what restores them) and local-process servers (what is tested is the hub's bookkeeping, not Docker).
describe('a class starting while the hub is killed, then the proxy', () => {
  const stack = new Stack({ proxy: 'chp', config: { log_level: 'info', culler: { enabled: false }, spawner: { concurrent_spawn_limit: 10 } } });
  const tokens: Record<string, string> = {};
  const next = random(SEED);
  const answers = async (user: string) => {
    const res = await fetch(`${stack.publicUrl}/user/${user}/api/status`, { headers: { Authorization: `token ${tokens[user]}` }, signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer();
    return res.status === 200;
  };

  /** A start's whole progress stream: opened as the start is asked for (a 404 until the hub has begun it). */
  async function progressFromTheStart(user: string): Promise<any[]> {
    for (;;) {
      const res = await fetch(`${stack.hubUrl}/hub/api/users/${user}/server/progress`, { headers: { Authorization: `token ${stack.adminToken}` } });
      const text = await res.text();
      if (res.status === 200) return text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)));
      assert.equal(res.status, 404, text);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  before(async () => {
    console.log(`# PLASMA_CHAOS_SEED=${SEED}`);
    await stack.start();
    assert.equal((await stack.api('POST', '/users', { json: { usernames: USERS } })).status, 201);
    for (const user of USERS) tokens[user] = (await stack.api('POST', `/users/${user}/tokens`, { json: { note: 'chaos' } })).data.token;
  });
  after(() => stack.stop());

  /** What a user and an admin would check: the hub's view, the processes and the proxy's routes agree. */
  async function assertMatchesReality(round: string): Promise<Map<string, number>> {
    const shown = new Map<string, number>();
    for (const user of USERS) {
      const model = (await stack.api('GET', `/users/${user}`)).data;
      assert.equal(model.pending, null, `${round}: ${user} has nothing pending after the restart`);
      const server = model.servers[''];
      if (server) {
        assert.equal(server.ready, true, `${round}: ${user}'s server is shown ready`);
        shown.set(user, server.state.pid);
      }
    }
    assert.deepEqual(serverProcessesOf(stack.prefix), sorted(shown.values()).sort((a, b) => a - b),
      `${round}: every server process is one the hub shows running (no orphan, none shown running that is not)`);
    const userRoutes = Object.keys(await stack.routes()).filter((spec) => spec.startsWith('/user/'));
    assert.deepEqual(sorted(userRoutes), sorted([...shown.keys()].map((u) => `/user/${u}`)), `${round}: a route for every running server and no other`);
    for (const user of shown.keys()) assert.ok(await answers(user), `${round}: ${user}'s server answers through the proxy`);
    return shown;
  }

  it(`SIGKILL at random moments while ${USERS.length} servers start, ${ROUNDS} rounds: each restart finds the truth`, async () => {
    for (let round = 1; round <= ROUNDS; round++) {
      // A new class: everyone still running is stopped, then all start in the same second.
      const stops = await Promise.all(USERS.map((u) => stack.api('DELETE', `/users/${u}/server`)));
      for (const s of stops) assert.ok([202, 204].includes(s.status), s.text);
      await waitFor(async () => serverProcessesOf(stack.prefix).length === 0, 30_000, 'the servers to stop');
      // Straight to the hub: a start the kill cuts off is a reset connection (0), not the proxy's error page.
      const starts = USERS.map((u) => fetch(`${stack.hubUrl}/hub/api/users/${u}/server`, { method: 'POST', headers: { Authorization: `token ${stack.adminToken}` } })
        .then((r) => r.status, () => 0));
      // Within the time a class start takes here (about 3 s for 20 preloaded local servers, the first round more).
      const killAfter = Math.round(next() * 4_000);
      await new Promise((r) => setTimeout(r, killAfter));
      await stack.killHub('SIGKILL');
      const answered = await Promise.all(starts);
      for (const status of answered) assert.ok([0, 201, 202].includes(status), `a start answered ${status}`);
      await stack.startHub();
      const running = await assertMatchesReality(`round ${round} (killed after ${killAfter} ms)`);
      console.log(`# round ${round}: killed ${killAfter} ms into the class start; ${running.size} of ${USERS.length} servers were ready and kept`);
    }
    // Every user can start again, all at once: all get in, those beyond the limit after waiting in line.
    await Promise.all(USERS.map((u) => stack.api('DELETE', `/users/${u}/server`)));
    await waitFor(async () => serverProcessesOf(stack.prefix).length === 0, 30_000, 'the servers to stop');
    const outcomes = await Promise.all(USERS.map(async (u) => {
      const start = stack.api('POST', `/users/${u}/server`);
      const events = await progressFromTheStart(u);
      const answer = await start;
      assert.ok([201, 202].includes(answer.status), answer.text);
      return events;
    }));
    for (const events of outcomes) {
      assert.equal(events.at(-1).ready, true, JSON.stringify(events.at(-1)));
      for (const e of events) assert.ok(typeof e.progress === 'number' && typeof e.message === 'string', JSON.stringify(e));
    }
    const waited = outcomes.map((events) => events.filter((e) => /^Waiting for a free slot/.test(e.message)).map((e) => e.message)).filter((m) => m.length);
    assert.ok(waited.length >= USERS.length - 10 - 2, `starts beyond the limit of 10 waited in line (${waited.length})`);
    for (const messages of waited) assert.equal(messages.at(-1), 'Waiting for a free slot: yours is next', messages.join(' | '));
    assert.ok(waited.some((m) => m.length > 1 && /\d+ starts? ahead of yours/.test(m[0])), 'a start far back in line saw its place go down');
    assert.equal((await assertMatchesReality('after the last round')).size, USERS.length);
  });

  it('a killed proxy, once restarted, has every route back within 5 s', async () => {
    await stack.killProxy('SIGKILL');
    assert.equal(await answers(USERS[0]).catch(() => false), false, 'nothing answers while the proxy is down');
    await stack.startProxy(); // as systemd's Restart= does
    await waitFor(async () => (await Promise.all(USERS.map((u) => answers(u).catch(() => false)))).every(Boolean), 5000,
      'every server to answer through the restarted proxy');
    assert.equal((await stack.api('GET', '/')).status, 200, 'the hub is reached through the proxy again');
  });
});
