/**
 * JupyterHub 3 RBAC, for the scopes Plasma's API uses. A scope is `base` or `base!kind=value`;
 * kinds are user, server (`user/name`), group and service.
 */

const IMPLIED: Record<string, string[]> = {
  'admin:users': ['admin:auth_state', 'users', 'read:roles:users', 'delete:users'],
  users: ['read:users', 'list:users', 'users:activity'],
  'read:users': ['read:users:name', 'read:users:groups', 'read:users:activity'],
  'list:users': ['read:users:name'],
  'users:activity': ['read:users:activity'],
  'admin:servers': ['admin:server_state', 'servers'],
  servers: ['read:servers', 'delete:servers'],
  'read:servers': ['read:users:name'],
  tokens: ['read:tokens'],
  'admin:groups': ['groups', 'read:roles:groups', 'delete:groups'],
  groups: ['read:groups', 'list:groups'],
  'read:groups': ['read:groups:name'],
  'list:groups': ['read:groups:name'],
  'read:roles': ['read:roles:users', 'read:roles:services', 'read:roles:groups'],
  'read:services': ['read:services:name'],
  'list:services': ['read:services:name'],
  // tljh-repo2docker's admin scope is Plasma's environment scope.
  'custom:tljh_repo2docker:admin': ['custom:plasma:environments'],
};

/** Plasma's own scopes: add, rebuild and remove environments; change which groups may use them. */
export const ENVIRONMENTS_SCOPE = 'custom:plasma:environments';
export const PERMISSIONS_SCOPE = 'custom:plasma:permissions';

const SELF_BASES = [
  'read:users', 'read:users:name', 'read:users:groups', 'users:activity', 'read:users:activity', 'servers',
  'delete:servers', 'read:servers', 'tokens', 'read:tokens', 'access:servers',
];

export const ROLE_SCOPES: Record<string, string[]> = {
  admin: [
    'admin-ui', 'admin:users', 'admin:servers', 'tokens', 'admin:groups', 'list:services', 'read:services', 'read:hub',
    'proxy', 'shutdown', 'access:services', 'access:servers', 'read:roles', 'read:metrics',
    'custom:plasma:environments', 'custom:plasma:permissions',
  ],
  user: ['self'],
  /** Members of environments.builder_groups (teachers): environments, but not who may use them. */
  builder: ['custom:plasma:environments'],
  server: ['users:activity!user', 'access:servers!user'],
  token: ['inherit'],
};

export const ALL_BASES = new Set<string>([
  ...Object.keys(IMPLIED), ...Object.values(IMPLIED).flat(), ...ROLE_SCOPES.admin, ...SELF_BASES,
  'self', 'inherit', 'access:services',
]);

export interface ParsedScope {
  base: string;
  kind?: 'user' | 'server' | 'group' | 'service';
  value?: string;
}

const parsedCache = new Map<string, ParsedScope>();

/** Parses `base!kind=value`; memoised, since model filtering asks the same few strings thousands of times. */
export function parseScope(scope: string): ParsedScope {
  let parsed = parsedCache.get(scope);
  if (!parsed) {
    parsed = parseScopeUncached(scope);
    if (parsedCache.size > 50_000) parsedCache.clear();
    parsedCache.set(scope, parsed);
  }
  return parsed;
}

function parseScopeUncached(scope: string): ParsedScope {
  const bang = scope.indexOf('!');
  if (bang < 0) return { base: scope };
  const base = scope.slice(0, bang);
  const filter = scope.slice(bang + 1);
  const eq = filter.indexOf('=');
  const kind = (eq < 0 ? filter : filter.slice(0, eq)) as ParsedScope['kind'];
  return { base, kind, value: eq < 0 ? undefined : filter.slice(eq + 1) };
}

export function isKnownScope(scope: string): boolean {
  const p = parseScope(scope);
  if (!ALL_BASES.has(p.base)) return false;
  return p.kind === undefined || ['user', 'server', 'group', 'service'].includes(p.kind);
}

function withFilter(base: string, p: ParsedScope): string {
  if (!p.kind) return base;
  return p.value === undefined ? `${base}!${p.kind}` : `${base}!${p.kind}=${p.value}`;
}

/** Closure of a list of scopes: metascopes resolved for `owner`, implied subscopes added, bare filters bound. */
export function expandScopes(scopes: Iterable<string>, owner: string): Set<string> {
  const out = new Set<string>();
  const visit = (scope: string) => {
    if (scope === 'self') {
      for (const base of SELF_BASES) visit(`${base}!user=${owner}`);
      return;
    }
    let p = parseScope(scope);
    // A bare `!user` filter means the token's owner.
    if (p.kind === 'user' && p.value === undefined) p = { ...p, value: owner };
    const full = withFilter(p.base, p);
    if (out.has(full)) return;
    out.add(full);
    for (const implied of IMPLIED[p.base] ?? []) visit(withFilter(implied, p));
  };
  for (const scope of scopes) visit(scope);
  return out;
}

/** Scopes a user holds through their roles (admin or user, plus roles from their groups such as builder). */
export function userRoleScopes(name: string, admin: boolean, extraRoles: string[] = []): Set<string> {
  const roles = [...(admin ? ['admin', 'user'] : ['user']), ...extraRoles];
  return expandScopes(roles.flatMap((r) => ROLE_SCOPES[r] ?? []), name);
}

export const identifyScopes = (name: string) => [`read:users:name!user=${name}`, `read:users:groups!user=${name}`];

/** True when `held` grants at least everything `wanted` does (same base, filter at least as wide). */
function covers(held: ParsedScope, wanted: ParsedScope): boolean {
  if (held.base !== wanted.base) return false;
  if (!held.kind) return true;
  if (!wanted.kind) return false;
  if (held.kind === wanted.kind) return held.value === wanted.value;
  // user=X covers server=X/anything
  return held.kind === 'user' && wanted.kind === 'server' && (wanted.value ?? '').startsWith(`${held.value}/`);
}

/**
 * The scopes a token really has: its own (or its owner's for `inherit`) ∩ its owner's, plus identify scopes.
 * A pure function of its arguments, asked on every request a token makes: answers are kept (a bounded map).
 * The set returned is shared: callers read it, never change it.
 */
export function tokenScopes(raw: string[], roles: string[], ownerName: string, ownerAdmin: boolean, ownerExtraRoles: string[] = []): Set<string> {
  const key = JSON.stringify([raw, roles, ownerName, ownerAdmin, ownerExtraRoles]);
  let scopes = expanded.get(key);
  if (!scopes) {
    scopes = computeTokenScopes(raw, roles, ownerName, ownerAdmin, ownerExtraRoles);
    if (expanded.size >= 5000) expanded.delete(expanded.keys().next().value!);
    expanded.set(key, scopes);
  }
  return scopes;
}
const expanded = new Map<string, Set<string>>();

function computeTokenScopes(raw: string[], roles: string[], ownerName: string, ownerAdmin: boolean, ownerExtraRoles: string[] = []): Set<string> {
  const owner = userRoleScopes(ownerName, ownerAdmin, ownerExtraRoles);
  const requested = [...raw, ...roles.flatMap((r) => ROLE_SCOPES[r] ?? [])];
  let result: Set<string>;
  if (requested.includes('inherit')) {
    result = new Set(owner);
  } else {
    result = new Set<string>();
    const ownerParsed = [...owner].map(parseScope);
    for (const scope of expandScopes(requested, ownerName)) {
      const wanted = parseScope(scope);
      if (ownerParsed.some((held) => covers(held, wanted))) result.add(scope);
    }
  }
  for (const s of identifyScopes(ownerName)) result.add(s);
  return result;
}

/** What a request touches, for filter checks. */
export interface ScopeTarget {
  user?: string;
  /** For server resources: the server name ('' = default) of `user`. */
  server?: string;
  /** Groups of `user` (for group= filters on users), or the group itself for group resources. */
  groups?: string[];
  group?: string;
}

function filterAllows(p: ParsedScope, target: ScopeTarget): boolean {
  if (!p.kind) return true;
  switch (p.kind) {
    case 'user':
      return target.user !== undefined && target.user === p.value;
    case 'server':
      return target.user !== undefined && target.server !== undefined && p.value === `${target.user}/${target.server}`;
    case 'group':
      return (target.group !== undefined && target.group === p.value) || (target.groups ?? []).includes(p.value ?? '');
    default:
      return false;
  }
}

export type ScopeDecision = 'allowed' | 'not-found' | 'forbidden';

/**
 * JupyterHub's rule: no scope with a required base ⇒ 403; a base held but its filter excludes the
 * target ⇒ 404 (the caller may not even learn the resource exists).
 */
export function decide(held: Set<string>, required: string[], target: ScopeTarget = {}): ScopeDecision {
  // An unfiltered scope allows any target: found at once, without walking every held scope (a listing page asks
  // this several times per user).
  for (const base of required) if (held.has(base)) return 'allowed';
  let anyBase = false;
  for (const scope of held) {
    const p = parseScope(scope);
    if (!required.includes(p.base)) continue;
    anyBase = true;
    if (filterAllows(p, target)) return 'allowed';
  }
  return anyBase ? 'not-found' : 'forbidden';
}

/** Whether `held` includes `base` for this target (used to filter model fields). */
export function holds(held: Set<string>, base: string, target: ScopeTarget = {}): boolean {
  return decide(held, [base], target) === 'allowed';
}

/** Whether some scope with this base is held, whatever its filter (for list endpoints that filter rows). */
export function holdsAnyFilter(held: Set<string>, base: string): boolean {
  for (const scope of held) if (parseScope(scope).base === base) return true;
  return false;
}
