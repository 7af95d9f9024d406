import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Browser, xsrfOf } from '../helpers/browser.ts';
import { Stack } from '../helpers/stack.ts';
import { createSystemUser, removeSystemGroup, removeSystemUser } from '../helpers/system-users.ts';

function uidOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^Uid:\s+(\d+)/m.exec(status)![1]);
}

// PAM login for real system users; groups come from the system group database.
describe('PAM authentication with real system users', () => {
  const stack = new Stack({ config: { auth: { type: 'pam', allowed_groups: ['pt-students'] } } });
  let student: { uid: number; home: string };

  before(async () => {
    student = createSystemUser('pt-pam-stu', 'Stud3nt-pass!', ['pt-students', 'pt-course-a']);
    createSystemUser('pt-pam-out', 'Outs1der-pass!');
    await stack.start();
  });
  after(async () => {
    await stack.stop();
    removeSystemUser('pt-pam-stu');
    removeSystemUser('pt-pam-out');
    for (const g of ['pt-students', 'pt-course-a']) removeSystemGroup(g);
  });

  it('a wrong system password is refused', async () => {
    const res = await new Browser(stack.publicUrl).login('pt-pam-stu', 'not-the-password');
    assert.equal(res.status, 403);
  });

  it('a system user outside the allowed groups is refused', async () => {
    const res = await new Browser(stack.publicUrl).login('pt-pam-out', 'Outs1der-pass!');
    assert.equal(res.status, 403);
    assert.equal((await stack.api('GET', '/users/pt-pam-out')).status, 404, 'no hub user was created');
  });

  it('a student logs in with their system password; their UNIX groups appear in the hub', async () => {
    const browser = new Browser(stack.publicUrl);
    const res = await browser.login('pt-pam-stu', 'Stud3nt-pass!');
    assert.equal(res.status, 200);
    assert.equal(res.url, '/hub/home');
    const model = (await stack.api('GET', '/users/pt-pam-stu')).data;
    assert.ok(model.groups.includes('pt-students') && model.groups.includes('pt-course-a'), JSON.stringify(model.groups));

    // Their server (local spawner) runs as their own uid, in their home.
    const spawnPage = await browser.go('/hub/spawn');
    await browser.go('/hub/spawn', { form: { _xsrf: xsrfOf(spawnPage.text) } });
    const events = await stack.waitReady('pt-pam-stu');
    assert.equal(events.at(-1).ready, true, JSON.stringify(events.at(-1)));
    const pid = (await stack.api('GET', '/users/pt-pam-stu')).data.servers[''].state.pid;
    assert.equal(uidOf(pid), student.uid, 'the server process runs as the student');
    assert.equal((await browser.go('/user/pt-pam-stu/')).status, 200);
    assert.equal((await browser.go('/user/pt-pam-stu/api/status')).status, 200);
    assert.equal((await stack.api('DELETE', '/users/pt-pam-stu/server')).status, 204);
  });
});
