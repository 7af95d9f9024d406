import path from 'node:path';
import { passwordProblem } from '../auth/passwords.ts';
import { SYSTEM_NAME_RE } from '../system/users.ts';
import { parseCsv } from './csv.ts';
import { parseSize } from './quota.ts';

/** One user of a batch file, checked: `plasma users import|remove FILE.csv` and POST /hub/api/plasma/users/import. */
export interface BatchUser {
  line: number;
  username: string;
  /** Empty: the account gets no password (it cannot sign in with PAM). */
  password: string;
  groups: string[];
  home: string;
  admin: boolean;
  softLimit: number | null;
  hardLimit: number | null;
}

/** Every problem of a batch, each naming its line; nothing was changed. */
export class BatchError extends Error {
  constructor(readonly problems: string[]) {
    super(`nothing was changed:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

const REQUIRED = ['username', 'password', 'group'];
const OPTIONAL = ['home', 'admin', 'quota_soft', 'quota_hard'];
const MAX_ROWS = 10_000;

function flag(value: string): boolean | null {
  const v = value.trim().toLowerCase();
  if (['', '0', 'false', 'no', 'n'].includes(v)) return false;
  if (['1', 'true', 'yes', 'y'].includes(v)) return true;
  return null;
}

/**
 * Reads a users CSV: a header line naming the columns (username,password,group and optionally home, admin,
 * quota_soft, quota_hard; any order), then one user a line. `group` may list several groups separated by ";".
 * Every bad row is reported with its line number before anything is done.
 */
export function readUsersCsv(text: string, homeBase: string, options: { forRemoval?: boolean } = {}): BatchUser[] {
  let records;
  try {
    records = parseCsv(text);
  } catch (err) {
    throw new BatchError([(err as Error).message]);
  }
  if (!records.length) throw new BatchError(['line 1: the file is empty; it needs a header line such as username,password,group']);
  const header = records[0].fields.map((h) => h.trim().toLowerCase());
  const problems: string[] = [];
  const unknown = header.filter((h) => !REQUIRED.includes(h) && !OPTIONAL.includes(h));
  if (unknown.length) problems.push(`line 1: unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => JSON.stringify(u)).join(', ')} (columns: ${[...REQUIRED, ...OPTIONAL].join(', ')})`);
  const required = options.forRemoval ? ['username'] : REQUIRED;
  const missing = required.filter((h) => !header.includes(h));
  if (missing.length) problems.push(`line 1: the header has no ${missing.join(', ')} column (it must name the columns, e.g. username,password,group)`);
  if (problems.length) throw new BatchError(problems);
  if (records.length - 1 > MAX_ROWS) throw new BatchError([`the file has ${records.length - 1} users; at most ${MAX_ROWS} at once`]);

  const seen = new Map<string, number>();
  const users: BatchUser[] = [];
  for (const { line, fields } of records.slice(1)) {
    const get = (col: string) => (header.indexOf(col) >= 0 ? (fields[header.indexOf(col)] ?? '') : '');
    const bad = (what: string) => problems.push(`line ${line}: ${what}`);
    if (fields.length > header.length) { bad(`${fields.length} fields, but the header has ${header.length} columns`); continue; }
    const username = get('username').trim();
    if (!SYSTEM_NAME_RE.test(username)) { bad(`username ${JSON.stringify(username.slice(0, 40))} is not a valid system user name (lower-case letters, digits, _ . -, starting with a letter or _; at most 32)`); continue; }
    if (seen.has(username)) { bad(`username ${username} is already on line ${seen.get(username)}`); continue; }
    seen.set(username, line);
    if (options.forRemoval) {
      users.push({ line, username, password: '', groups: [], home: '', admin: false, softLimit: null, hardLimit: null });
      continue;
    }
    const password = get('password');
    if (password && passwordProblem(password)) bad(`password: ${passwordProblem(password)}`);
    if (/[\n\r:]/.test(password)) bad('password: must not contain ":" or line breaks');
    const groups = get('group').split(';').map((g) => g.trim()).filter(Boolean);
    for (const g of groups) if (!SYSTEM_NAME_RE.test(g)) bad(`group ${JSON.stringify(g.slice(0, 40))} is not a valid UNIX group name`);
    let home = get('home').trim();
    if (home && (!home.startsWith('/') || home.split('/').includes('..') || /[\x00-\x1f:]/.test(home))) bad(`home ${JSON.stringify(home.slice(0, 80))} must be an absolute path without ".." or ":"`);
    home ||= path.join(homeBase, username);
    const admin = flag(get('admin'));
    if (admin === null) bad(`admin ${JSON.stringify(get('admin'))} must be yes or no (or true/false, 1/0)`);
    const size = (col: string) => {
      const raw = get(col).trim();
      if (!raw) return null;
      const bytes = parseSize(raw);
      if (bytes === null || bytes === 0) bad(`${col} ${JSON.stringify(raw.slice(0, 20))} is not a size such as 500M or 2G`);
      return bytes;
    };
    const softLimit = size('quota_soft');
    const hardLimit = size('quota_hard');
    if (softLimit && hardLimit && softLimit > hardLimit) bad('quota_soft is larger than quota_hard');
    users.push({ line, username, password, groups, home, admin: !!admin, softLimit, hardLimit });
  }
  if (problems.length) throw new BatchError(problems);
  if (!users.length) throw new BatchError(['the file has a header but no users']);
  return users;
}
