import { USERNAME_RE } from '../../src/auth/types.ts';
import { t } from './strings/index.ts';

// The hub's own rules (user, group and server names share them), checked before anything is sent.
const v = t.validation;

export function usernameProblem(name: string): string | null {
  if (!name) return v.required;
  return USERNAME_RE.test(name) && !name.includes('..') ? null : v.username;
}

export const groupNameProblem = (name: string) => (!name ? v.required : usernameProblem(name) ? v.groupName : null);

/** Empty is the default server. */
export const serverNameProblem = (name: string) => (name === '' ? null : usernameProblem(name) ? v.serverName : null);

/** Many names at once: split on spaces, commas and new lines; the first bad one is named. */
export function parseUsernames(text: string): { names: string[]; problem: string | null } {
  const names = [...new Set(text.split(/[\s,;]+/).map((n) => n.trim()).filter(Boolean))];
  if (!names.length) return { names, problem: v.required };
  if (names.length > 1000) return { names, problem: v.tooMany };
  const bad = names.find((n) => usernameProblem(n));
  return { names, problem: bad ? v.usernames(bad) : null };
}

const ENV_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const envNameProblem = (name: string) => (name === '' || ENV_NAME.test(name) ? null : v.envName);

export function repoProblem(repo: string): string | null {
  if (!repo) return v.required;
  if (repo.startsWith('/') && !repo.includes('\0')) return null;
  try {
    const u = new URL(repo);
    return ['https:', 'http:', 'git:', 'file:'].includes(u.protocol) && (u.protocol === 'file:' || u.hostname) ? null : v.repoUrl;
  } catch {
    return v.repoUrl;
  }
}

export const memoryProblem = (m: string) => (m === '' || /^\d+(\.\d+)?[KMGT]?$/i.test(m) ? null : v.memory);

export function cpuProblem(c: string): string | null {
  if (c === '') return null;
  const n = Number(c);
  return /^\d*\.?\d+$/.test(c) && n > 0 && Number.isFinite(n) ? null : v.cpu;
}

export function buildArgsProblem(text: string): string | null {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line && !/^[A-Za-z_][A-Za-z0-9_]*=/.test(line)) return v.buildArgs(i + 1);
  }
  return null;
}

/** Scopes are `base` or `base!kind=value` with a base the hub knows. */
export function scopesProblem(text: string, known: string[]): string | null {
  for (const scope of text.split(/\s+/).filter(Boolean)) {
    const [base, filter] = scope.split('!', 2);
    const kindOk = filter === undefined || /^(user|server|group|service)(=[^\s!]+)?$/.test(filter);
    if (!known.includes(base) || !kindOk) return v.scope(scope);
  }
  return null;
}
