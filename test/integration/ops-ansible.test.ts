import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { Installation } from '../helpers/installation.ts';
import { previousReleaseCommit, sourceTree } from '../helpers/releases.ts';
import { REPO_ROOT } from '../helpers/stack.ts';

const run = promisify(execFile);
const PLAYBOOK = path.join(REPO_ROOT, 'deploy', 'ansible', 'plasma.yml');

/** Runs the playbook on this machine (-c local) and returns its output; PLAY RECAP's numbers parsed. */
async function playbook(vars: Record<string, unknown>): Promise<{ out: string; changed: number; failed: number }> {
  const file = path.join(String(vars.plasma_prefix), 'cache', `ansible-vars-${Date.now()}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(vars));
  try {
    const { stdout } = await run('ansible-playbook', ['-i', 'localhost,', '-c', 'local', PLAYBOOK, '-e', `@${file}`], {
      env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_FORCE_COLOR: '0', ANSIBLE_HOST_KEY_CHECKING: 'False' }, maxBuffer: 16 * 1024 * 1024,
    });
    const recap = /localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)/.exec(stdout);
    return { out: stdout, changed: Number(recap?.[2] ?? -1), failed: Number(recap?.[3] ?? -1) };
  } catch (err) {
    throw new Error(`ansible-playbook failed:\n${(err as { stdout?: string }).stdout?.slice(-4000)}`);
  }
}

// Issue 13, must-show 6: the Ansible playbook Plasma's admins use installs, then upgrades, through Plasma's commands.
describe('the Ansible playbook', () => {
  const inst = new Installation();
  const previous = sourceTree(previousReleaseCommit());
  const vars = () => ({ plasma_prefix: inst.prefix, plasma_docker: false, plasma_admin: 'pt-ansadmin' });

  before(() => inst.writeConfig());
  after(async () => {
    await inst.destroy();
    previous.cleanup();
  });

  it('passes ansible-playbook --syntax-check', async () => {
    const { stdout } = await run('ansible-playbook', ['--syntax-check', '-i', 'localhost,', PLAYBOOK]);
    assert.match(stdout, /playbook: .*plasma\.yml/);
  });

  it('installs into a prefix with -c local, then upgrades it to this checkout, then changes nothing', async () => {
    const first = await playbook({ ...vars(), plasma_src: previous.dir });
    assert.equal(first.failed, 0);
    assert.match(first.out, /created the admin pt-ansadmin/);
    const installed = JSON.parse(await inst.cli(['status', '--json'], { installed: true }));
    assert.ok(installed.services.every((s: any) => s.healthy), JSON.stringify(installed.services));

    const second = await playbook({ ...vars(), plasma_src: REPO_ROOT });
    assert.equal(second.failed, 0);
    assert.match(second.out, /TASK \[Upgrade Plasma[^\]]*\][^*]*\*+\s*\nchanged: \[localhost\]/);
    const upgraded = JSON.parse(await inst.cli(['status', '--json'], { installed: true }));
    assert.notEqual(upgraded.release.current, installed.release.current, 'a new release is current');
    assert.ok(upgraded.services.every((s: any) => s.healthy && s.release.endsWith(upgraded.release.current)));

    const third = await playbook({ ...vars(), plasma_src: REPO_ROOT });
    assert.equal(third.changed, 0, `nothing changes on a third run:\n${third.out.slice(-2000)}`);
  });
});
