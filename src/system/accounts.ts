import { execFile } from 'node:child_process';
import { lookupGroup, lookupUser, SYSTEM_NAME_RE } from './users.ts';

/**
 * Creating and removing system users and groups with shadow-utils. Everything goes through execFile with argument
 * arrays, names are checked first, and passwords go to chpasswd on standard input (never on a command line).
 */

export class AccountError extends Error {}

function run(cmd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new AccountError(`${cmd} ${args.filter((a) => !a.startsWith('-')).slice(-1)[0] ?? ''} failed: ${String(stderr).trim() || err.message}`));
      else resolve(String(stdout));
    });
    child.stdin?.end(input ?? '');
  });
}

function checkName(name: string, what: string): void {
  if (!SYSTEM_NAME_RE.test(name)) throw new AccountError(`${JSON.stringify(name.slice(0, 40))} is not a valid ${what} name (lower-case letters, digits, _ . -, starting with a letter or _)`);
}

export async function createGroup(name: string): Promise<void> {
  checkName(name, 'group');
  await run('groupadd', [name]);
}

export async function deleteGroup(name: string): Promise<void> {
  checkName(name, 'group');
  await run('groupdel', [name]);
}

export async function createUser(name: string, options: { home: string; groups?: string[]; shell?: string }): Promise<void> {
  checkName(name, 'user');
  for (const g of options.groups ?? []) checkName(g, 'group');
  if (!options.home.startsWith('/') || options.home.includes('..')) throw new AccountError(`home ${options.home} must be an absolute path`);
  const args = ['-m', '-d', options.home, '-s', options.shell ?? '/bin/bash'];
  if (options.groups?.length) args.push('-G', options.groups.join(','));
  try {
    await run('useradd', [...args, '--', name]);
  } catch (err) {
    // useradd keeps the account when only the home failed (exit 12): take it back, so a failure leaves nothing.
    if (await lookupUser(name)) await run('userdel', ['--', name]).catch(() => undefined);
    throw err;
  }
}

/** Sets a password through chpasswd's standard input. */
export async function setPassword(name: string, password: string): Promise<void> {
  checkName(name, 'user');
  if (/[\n\r:]/.test(password)) throw new AccountError('a password must not contain ":" or line breaks');
  await run('chpasswd', [], `${name}:${password}\n`);
}

export async function deleteUser(name: string, options: { removeHome: boolean }): Promise<void> {
  checkName(name, 'user');
  await run('userdel', [...(options.removeHome ? ['-r'] : []), '--', name]);
}

export async function addToGroup(user: string, group: string): Promise<void> {
  checkName(user, 'user');
  checkName(group, 'group');
  await run('gpasswd', ['-a', user, group]);
}

export async function removeFromGroup(user: string, group: string): Promise<void> {
  checkName(user, 'user');
  checkName(group, 'group');
  await run('gpasswd', ['-d', user, group]);
}

export { lookupGroup, lookupUser };
