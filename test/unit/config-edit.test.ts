import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { BIN } from '../helpers/stack.ts';

function plasma(prefix: string, ...args: string[]): { code: number; out: string } {
  try {
    return { code: 0, out: execFileSync(process.execPath, [BIN, ...args], { env: { ...process.env, PLASMA_PREFIX: prefix }, encoding: 'utf8', stdio: 'pipe' }) };
  } catch (err) {
    const e = err as { status: number; stderr: string; stdout: string };
    return { code: e.status, out: e.stderr + e.stdout };
  }
}

describe('plasma config (tljh-config verbs)', () => {
  it('sets, adds and removes items, keeps comments, and refuses invalid edits', () => {
    const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-config-'));
    const file = path.join(prefix, 'config', 'config.yaml');
    fs.mkdirSync(path.dirname(file));
    fs.writeFileSync(file, '# our course server\nhub:\n  port: 8081 # keep\n');
    assert.equal(plasma(prefix, 'config', 'set', 'proxy.port', '9000').code, 0);
    assert.equal(plasma(prefix, 'config', 'add-item', 'auth.admin_users', 'teacher').code, 0);
    assert.equal(plasma(prefix, 'config', 'add-item', 'auth.admin_users', 'ta').code, 0);
    assert.equal(plasma(prefix, 'config', 'remove-item', 'auth.admin_users', 'teacher').code, 0);
    const text = fs.readFileSync(file, 'utf8');
    assert.match(text, /# our course server/);
    assert.match(text, /# keep/);
    const effective = plasma(prefix, 'config', 'show', '--effective').out;
    assert.match(effective, /port: 9000/);
    assert.match(effective, /admin_users:\n\s+- ta\n/);

    const before = fs.readFileSync(file, 'utf8');
    const bad = plasma(prefix, 'config', 'set', 'proxy.port', 'eighty');
    assert.notEqual(bad.code, 0);
    assert.match(bad.out, /proxy\.port/);
    assert.equal(plasma(prefix, 'config', 'set', 'proxy.colour', 'red').code, 1);
    assert.equal(plasma(prefix, 'config', 'set', '../etc', 'x').code, 1);
    assert.equal(fs.readFileSync(file, 'utf8'), before, 'a refused edit changes nothing');
    fs.rmSync(prefix, { recursive: true });
  });
});
