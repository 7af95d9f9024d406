import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const module_ = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/system/idle-gc.ts');

// In a child process: V8's flags and heap are per process, and the test runner's own must not be touched.
const script = `
import v8 from 'node:v8';
import { idleCollector } from ${JSON.stringify(module_)};
const newSpaceMb = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 1e6;
const collector = idleCollector(300);
let sink = [];
async function burst(ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    collector.busy();
    for (let i = 0; i < 2000; i++) sink.push({ i, s: 'x' + i });
    if (sink.length > 50000) sink = [];
    await new Promise((r) => setImmediate(r));
  }
  sink = [];
  return newSpaceMb();
}
async function rest() {
  let mb = newSpaceMb();
  for (let waited = 0; waited < 25000 && mb > 4; waited += 500) {
    await new Promise((r) => setTimeout(r, 500));
    mb = newSpaceMb();
  }
  return mb;
}
// Twice: V8's memory reducer, once it has run, is harder to start a second time.
const cycles = [];
for (let i = 0; i < 2; i++) cycles.push({ loaded: await burst(2000), rested: await rest() });
const reloaded = await burst(2000);
collector.stop();
console.log(JSON.stringify({ cycles, reloaded }));
`;

test('after a burst the young generation is given back at rest, and grows again under the next burst', { timeout: 90_000 }, async () => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 85_000 });
  const { cycles, reloaded } = JSON.parse(stdout.trim().split('\n').pop()!) as { cycles: { loaded: number; rested: number }[]; reloaded: number };
  for (const [i, { loaded, rested }] of cycles.entries()) {
    assert.ok(loaded >= 16, `burst ${i + 1}: under load the young generation grows (V8's default, for throughput): ${loaded} MB`);
    assert.ok(rested <= 4, `burst ${i + 1}: at rest it is given back: ${rested} MB`);
  }
  assert.ok(reloaded >= 16, `the next burst runs with the full young generation again: ${reloaded} MB`);
});
