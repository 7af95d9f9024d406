import http from 'node:http';
import fc from 'fast-check';

/** Stands for the session's XSRF token in generated form bodies; send() puts the real one in. */
const XSRF_PLACEHOLDER = '__XSRF__';

/** Who sends a request: a credential the fuzzer holds, or a broken one. */
export type Who = 'admin' | 'student' | 'none' | 'bogus-token' | 'basic' | 'cookie' | 'cookie-xsrf' | 'cookie-bad-xsrf';

export interface FuzzRequest {
  who: Who;
  method: string;
  /** The request target exactly as sent (path and query), not normalised. */
  path: string;
  contentType?: string;
  body?: Buffer;
  accept?: string;
}

export interface Credentials {
  adminToken: string;
  studentToken: string;
  cookie: string;
  xsrf: string;
}

/** Names the hub knows (seeded by the test), so generated requests reach real rows, not only 404s. */
export interface Known {
  users: string[];
  groups: string[];
  servers: string[];
}

// Strings that broke web apps before: dots, encodings, separators, unicode that folds or normalises, markup, SQL.
const NASTY = [
  '', '.', '..', '...', '%2e%2e', '%2E', '%2F', '%2f..%2f', '%5c', '\\', '//', '/../', '%00', '%zz', '%', '%E0%A4%A', '%C0%AE',
  '~', '-', '_', '@', 'a@b', 'a.b', ' ', '%20', '+', 'null', 'undefined', 'true', '0', '-1', '1e309', 'NaN', 'a'.repeat(64),
  'a'.repeat(65), 'x'.repeat(600), 'ß', 'İ', 'ǅ', 'ﬀ', 'é', 'e\u0301', 'Ä', '\u200b', '\u202e', '😀', '\ud800', 'ﾟ', '中文',
  '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "' OR 1=1 --", '"; DROP TABLE users; --', '$(id)', '`id`',
  '${7*7}', '{{7*7}}', '?', '#', '&', '=', ';', ',', '*', 'admin', 'root', 'PT-FZ-STUDENT', 'pt-fz-student ', ' pt-fz-student',
  'pt-fz-student/', 'pt-fz-student%2F..', 'pt-fz-student\u0000', 'pt-fz-student\n',
];

const text = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 2, arbitrary: fc.stringMatching(/^[a-z][a-z0-9._@-]{0,20}$/) },
);

/** A name the hub would accept and has not seen: requests that pass validation reach the writes. */
const freshName = fc.stringMatching(/^pt-fz-[a-z0-9][a-z0-9._@-]{0,12}$/).filter((n) => !n.includes('..'));

/** A name in a path: a known one, a new valid one, a made-up one; encoded or raw. */
function segment(known: string[]): fc.Arbitrary<string> {
  const raw = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...known) }, { weight: 3, arbitrary: freshName }, { weight: 4, arbitrary: text });
  return fc.tuple(raw, fc.constantFrom('encode', 'encode', 'raw', 'double')).map(([s, how]) => {
    if (how === 'encode') return encodeURIComponent(safeForUri(s));
    if (how === 'double') return encodeURIComponent(encodeURIComponent(safeForUri(s)));
    return rawPathPart(s);
  });
}

/** Lone surrogates cannot be percent-encoded; keep the rest. */
function safeForUri(s: string): string {
  return s.replace(/[\ud800-\udfff]/g, (c, i, all) => {
    const code = c.charCodeAt(0);
    const pair = code < 0xdc00 ? all.charCodeAt(i + 1) : all.charCodeAt(i - 1);
    return (code < 0xdc00 ? pair >= 0xdc00 && pair <= 0xdfff : pair >= 0xd800 && pair < 0xdc00) ? c : '\ufffd';
  });
}

/** As raw as an HTTP/1.1 request line allows: only what Node refuses to send (controls, spaces, non-ASCII) is encoded. */
function rawPathPart(s: string): string {
  return [...safeForUri(s)].map((ch) => (/^[\x21-\x7e]$/.test(ch) && ch !== '#' ? ch : encodeURIComponent(ch))).join('');
}

const KEYS = [
  'usernames', 'admin', 'name', 'users', 'note', 'expires_in', 'scopes', 'roles', 'environment', 'image', 'remove', 'repo',
  'ref', 'groups', 'group', 'display_name', 'memory', 'cpu', 'soft', 'hard', 'soft_limit', 'hard_limit', 'properties',
  'auth_state', 'last_activity', 'servers', 'started', 'routes', 'build_args', 'username', 'password', 'csv', 'no_cache',
  'environments', 'permissions', 'server_name', 'profile', '__proto__', 'constructor',
];

const jsonLeaf = fc.oneof(
  text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(1e308), fc.constant(-0),
  fc.constant(Number.MAX_SAFE_INTEGER + 2),
);
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, jsonLeaf, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 5 }),
  object: fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), text), tie('value'), { maxKeys: 5 }),
})).value;

/** Bodies shaped like the API's (its keys, wrong types), free JSON, broken JSON, forms, and the odd huge one. */
function bodyArb(known: Known, keys: string[]): fc.Arbitrary<{ contentType?: string; body?: Buffer }> {
  const nameLike = fc.oneof(fc.constantFrom(...known.users, ...known.groups), freshName, text);
  const value = fc.oneof(
    { weight: 3, arbitrary: jsonValue }, { weight: 3, arbitrary: nameLike },
    { weight: 3, arbitrary: fc.array(nameLike, { maxLength: 4 }) }, { weight: 2, arbitrary: fc.boolean() },
    { weight: 1, arbitrary: fc.constantFrom('1G', '512M', '-1', 'yes', 'HEAD', 'https://example.invalid/x.git', '/etc/passwd', 'file:///etc') },
    { weight: 1, arbitrary: fc.constantFrom('username,password,group\npt-fz-csv,pw-Pw-1234,pt-fz-g\n', 'username\n../x\n', 'a,b\n"') },
  );
  // Mostly the endpoint's own keys (so validation is passed, or nearly), sometimes any.
  const own = keys.length ? fc.constantFrom(...keys) : fc.constantFrom(...KEYS);
  const keyed = fc.dictionary(fc.oneof({ weight: 6, arbitrary: own }, { weight: 1, arbitrary: fc.constantFrom(...KEYS) }), value, { maxKeys: 4 });
  const json = fc.oneof({ weight: 5, arbitrary: keyed }, { weight: 1, arbitrary: jsonValue }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null'));
  const broken = fc.constantFrom('{', '{"admin":', 'nul', '\ufeff{}', '{"a":1}{"b":2}', '[', '{"usernames": [1,]}', "{'a': 1}",
    `${'['.repeat(20000)}${']'.repeat(20000)}`, `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`, '"\\ud800"', '{"admin": true, "admin": false}')
    .map((s) => Buffer.from(s));
  const formBody = fc.dictionary(fc.oneof(fc.constantFrom('username', 'password', '_xsrf', 'next', 'environment', 'image', 'server_name', ...keys), text), nameLike, { maxKeys: 4 })
    .map((o) => Buffer.from(new URLSearchParams(o).toString()));
  const bytes = fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a));
  // Around the hub's body limit, and over it; few, as they are slow to send.
  const huge = fc.constantFrom(1024 * 1024, 11 * 1024 * 1024, 13 * 1024 * 1024)
    .map((n) => Buffer.concat([Buffer.from('{"usernames": ["'), Buffer.alloc(n, 'a'), Buffer.from('"]}')]));
  const type = fc.oneof(
    { weight: 6, arbitrary: fc.constant('application/json') },
    { weight: 3, arbitrary: fc.constantFrom(undefined, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x',
      'text/csv', 'application/json; charset=latin1', 'a/b/c', 'application/json, text/html', '*/*', 'application/xml', '') },
  );
  return fc.oneof(
    { weight: 40, arbitrary: fc.constant({}) },
    { weight: 160, arbitrary: fc.record({ contentType: type, body: json }) },
    { weight: 40, arbitrary: fc.record({ contentType: type, body: broken }) },
    { weight: 40, arbitrary: fc.record({ contentType: fc.constantFrom('application/x-www-form-urlencoded', 'application/json', undefined), body: formBody }) },
    { weight: 20, arbitrary: fc.record({ contentType: type, body: bytes }) },
    { weight: 1, arbitrary: fc.record({ contentType: fc.constant('application/json'), body: huge }) },
  );
}

const query = fc.array(fc.tuple(
  fc.constantFrom('offset', 'limit', 'state', 'sort', 'name_filter', 'include_stopped_servers', 'next', 'redirects', 'image', 'follow', 'tail', 'x'),
  fc.oneof(text, fc.integer().map(String)),
), { maxLength: 3 }).map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${encodeURIComponent(safeForUri(v))}`).join('&')}` : ''));

/** The API's and the pages' routes, each segment a generated name (`U` user, `G` group, `S` server, `T` token, `E` environment). */
const TEMPLATES: Array<[string[], string]> = [
  [['GET'], '/hub/api/'], [['GET'], '/hub/api/info'], [['GET'], '/hub/api/user'], [['GET', 'POST', 'PATCH'], '/hub/api/proxy'],
  [['GET', 'POST'], '/hub/api/users'], [['GET', 'POST', 'PATCH', 'DELETE', 'PUT'], '/hub/api/users/U'],
  [['POST'], '/hub/api/users/U/activity'], [['GET', 'POST', 'DELETE'], '/hub/api/users/U/tokens'],
  [['GET', 'DELETE'], '/hub/api/users/U/tokens/T'], [['POST', 'DELETE'], '/hub/api/users/U/server'],
  [['POST', 'DELETE'], '/hub/api/users/U/servers/S'], [['GET'], '/hub/api/users/U/server/progress'],
  [['GET', 'POST'], '/hub/api/groups'], [['GET', 'POST', 'DELETE', 'PATCH'], '/hub/api/groups/G'],
  [['POST', 'DELETE'], '/hub/api/groups/G/users'], [['PUT', 'DELETE'], '/hub/api/groups/G/properties'],
  [['GET'], '/hub/api/authorizations/token/T'], [['GET'], '/hub/api/services/U'], [['GET'], '/hub/api/services'],
  [['GET', 'POST'], '/hub/api/plasma/environments'], [['GET', 'DELETE', 'PATCH'], '/hub/api/plasma/environments/E'],
  [['POST'], '/hub/api/plasma/environments/E/rebuild'], [['POST', 'DELETE', 'PUT'], '/hub/api/plasma/environments/E/groups'], [['POST'], '/hub/api/plasma/environments/E/cancel'],
  [['GET'], '/hub/api/plasma/environments/E/builds'], [['GET'], '/hub/api/plasma/environments/E/logs'],
  [['GET', 'PUT', 'POST'], '/hub/api/plasma/permissions'], [['GET'], '/hub/api/plasma/users'], [['GET'], '/hub/api/plasma/users/U'],
  [['POST'], '/hub/api/plasma/users/U/disk-usage'], [['PUT'], '/hub/api/plasma/users/U/limits'],
  [['POST'], '/hub/api/plasma/users/import'], [['POST'], '/hub/api/plasma/users/remove'],
  [['GET'], '/hub/api/plasma/culler/U'], [['POST'], '/hub/api/plasma/culler/U/keep'], [['POST'], '/hub/api/plasma/culler/U/S/keep'],
  [['GET'], '/hub/api/plasma/monitoring/host'], [['GET'], '/hub/api/plasma/monitoring/servers'],
  [['GET'], '/hub/api/plasma/monitoring/servers/U/logs'], [['GET', 'POST'], '/hub/api/oauth2/authorize'], [['POST'], '/hub/api/oauth2/token'],
  [['GET', 'POST'], '/hub/login'], [['GET', 'POST'], '/hub/spawn'], [['GET'], '/hub/spawn/U'], [['GET'], '/hub/spawn-pending/U/S'],
  [['GET'], '/hub/home'], [['GET'], '/hub/admin'], [['GET'], '/hub/user/U/S'], [['GET'], '/hub/frame/U/S'], [['GET'], '/user/U/'],
  [['GET'], '/hub/open/U'], [['GET'], '/hub/error/T'], [['GET'], '/hub/static/ui/assets/T'], [['GET'], '/hub/api/U/../T'],
  [['GET', 'POST'], '/hub/metrics'],
];

/**
 * Requests that would end the fuzz run rather than test input handling are sent with a credential that may not do them:
 * shutting the hub down, and adding or removing system accounts (useradd/userdel on this machine).
 */
const ADMIN_ONLY_FOR_REFUSALS = new Set(['/hub/api/shutdown', '/hub/api/plasma/users/import', '/hub/api/plasma/users/remove']);

/** Each route's body keys, so that generated bodies look like the real ones. */
const BODY_KEYS: Array<[RegExp, string[]]> = [
  [/^\/hub\/api\/users$/, ['usernames', 'admin']], [/^\/hub\/api\/users\/U$/, ['admin', 'name', 'auth_state']],
  [/activity$/, ['last_activity', 'servers']], [/tokens$/, ['note', 'expires_in', 'scopes', 'roles']],
  [/servers?(\/S)?$/, ['environment', 'image', 'remove', 'profile']], [/^\/hub\/api\/groups$/, ['groups', 'users']],
  [/groups\/G(\/users)?$/, ['users']], [/properties$/, ['properties']], [/proxy$/, ['routes']],
  [/environments$/, ['repo', 'ref', 'name', 'display_name', 'description', 'memory', 'cpu', 'build_args', 'buildargs', 'username', 'password']],
  [/rebuild$/, ['username', 'password', 'no_cache']], [/E\/groups$/, ['groups']], [/permissions$/, ['environments', 'permissions', 'groups']],
  [/limits$/, ['soft', 'hard', 'soft_limit', 'hard_limit']], [/import$/, ['csv', 'dry_run', 'add_to_environment_groups']],
  [/remove$/, ['csv', 'dry_run', 'remove_homes']], [/keep$/, ['seconds', 'until']],
  [/login$/, ['username', 'password', '_xsrf']], [/spawn$/, ['_xsrf', 'environment', 'image', 'server_name']],
];
const keysOf = (template: string) => BODY_KEYS.find(([re]) => re.test(template))?.[1] ?? [];

export function requestArb(known: Known): fc.Arbitrary<FuzzRequest> {
  const templates = fc.oneof({ weight: 20, arbitrary: fc.constantFrom(...TEMPLATES) }, { weight: 1, arbitrary: fc.constant([['POST'], '/hub/api/shutdown'] as [string[], string]) });
  return templates.chain((template) => requestFor(known, template));
}

function requestFor(known: Known, template: [string[], string]): fc.Arbitrary<FuzzRequest> {
  return fc.oneof(wildRequest(known, template), nearValidRequest(known, template));
}

/** Anything goes: any credential, odd methods, odd names, trailing tricks, any body. */
function wildRequest(known: Known, template: [string[], string]): fc.Arbitrary<FuzzRequest> {
  const tokens = fc.oneof(fc.constantFrom('1', 'a1', 'a0', '0', 'a99999999999999', '-1'), text);
  return fc.record({
    template: fc.constant(template),
    methodPick: fc.nat(),
    oddMethod: fc.oneof({ weight: 20, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom('PUT', 'PATCH', 'OPTIONS', 'HEAD', 'DELETE', 'TRACE') }),
    who: fc.constantFrom<Who>('admin', 'admin', 'admin', 'student', 'student', 'none', 'bogus-token', 'basic', 'cookie', 'cookie-xsrf', 'cookie-xsrf', 'cookie-bad-xsrf'),
    U: segment(known.users), G: segment(known.groups), S: segment(known.servers), T: tokens.map(rawPathPart),
    E: segment(['python', 'r-course', 'missing']),
    query, body: bodyArb(known, keysOf(template[1])),
    accept: fc.constantFrom(undefined, 'application/json', 'application/jupyterhub-pagination+json', 'text/html', 'text/event-stream'),
    trailing: fc.constantFrom('', '', '', '/', '//', '/.', '%2F'),
  }).map((r) => build(r.template, r));
}

/**
 * A request a real client might send, one detail off: a valid credential, known or new valid names, the route's own
 * body keys. These get past authentication and most checks, where a half-done write would show.
 */
function nearValidRequest(known: Known, template: [string[], string]): fc.Arbitrary<FuzzRequest> {
  const name = (list: string[]) => fc.oneof(fc.constantFrom(...list), freshName).map((n) => encodeURIComponent(n));
  const keys = keysOf(template[1]);
  // Writes are where a refused request could still change something.
  const writes = template[0].filter((m) => m !== 'GET');
  return fc.record({
    methodPick: fc.nat(),
    oddMethod: fc.constant(null),
    who: fc.constantFrom<Who>('admin', 'admin', 'admin', 'student', 'cookie-xsrf'),
    U: name(known.users), G: name(known.groups), S: name(known.servers.filter(Boolean)), T: fc.constantFrom('1', '2', '3', 'a1', 'a2'),
    E: fc.constantFrom('python', 'missing'),
    query: fc.constant(''),
    body: keys.length
      ? fc.record({ contentType: fc.constant(keys.includes('_xsrf') ? 'application/x-www-form-urlencoded' : 'application/json'), body: plausibleBody(known, keys) })
      : fc.constant({}),
    accept: fc.constant('application/json'),
    trailing: fc.constant(''),
  }).map((r) => build(writes.length ? [writes, template[1]] : template, r));
}

/** A body with the route's keys, each mostly a value of the right kind (names that exist or not, flags, sizes, dates). */
function plausibleBody(known: Known, keys: string[]): fc.Arbitrary<Buffer> {
  const nameLike = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...known.users, ...known.groups) }, { weight: 3, arbitrary: freshName }, { weight: 1, arbitrary: text });
  const names = fc.array(nameLike, { minLength: 0, maxLength: 4 });
  const iso = fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.constantFrom('2026-13-01T00:00:00Z', 'yesterday', '', '1970-01-01'));
  const byKey: Record<string, fc.Arbitrary<unknown>> = {
    usernames: names, users: names, groups: names, name: nameLike, username: nameLike,
    admin: fc.boolean(), remove: fc.boolean(), dry_run: fc.boolean(), no_cache: fc.boolean(), remove_homes: fc.constant(false),
    add_to_environment_groups: fc.boolean(),
    note: text, expires_in: fc.oneof(fc.integer({ min: -10, max: 10 ** 9 }), fc.double()),
    scopes: fc.array(fc.constantFrom('read:users', 'admin:users', 'tokens', 'self', 'inherit', 'read:users!user=pt-fz-other', 'bogus:scope', 'servers!server=pt-fz-student/'), { maxLength: 3 }),
    roles: fc.array(fc.constantFrom('user', 'admin', 'server', 'token', 'builder', 'nope'), { maxLength: 2 }),
    environment: fc.constantFrom('python', 'missing', 'evil', ''), image: fc.constantFrom('plasma/base:latest', 'alpine', 'plasma-env/python:HEAD'),
    profile: text, last_activity: iso,
    servers: fc.dictionary(fc.constantFrom(...known.servers, 'nope'), fc.record({ last_activity: iso }, { requiredKeys: [] }), { maxKeys: 2 }),
    csv: fc.constantFrom('username,password,group\npt-fz-csv,pw-Pw-1234,pt-fz-g\n', 'username,password,group\npt-fz-student,pw-Pw-1234,sudo\n', 'username\n../x\n', 'a,b\n"'),
    soft: fc.constantFrom('1G', '512M', '-1', 'lots', ''), hard: fc.constantFrom('2G', '1M', '0', 'x'),
    soft_limit: fc.constantFrom('1G', 'x', null), hard_limit: fc.constantFrom('2G', null),
    repo: fc.constantFrom('https://example.invalid/repo.git', 'file:///etc', '/etc', 'ssh://x/y', '--upload-pack=touch /tmp/x', ''),
    ref: fc.constantFrom('HEAD', 'main', '--output=/tmp/x', '../../x', ''), memory: fc.constantFrom('1G', 'lots', '0'), cpu: fc.constantFrom(1, -1, '2', 'x'),
    display_name: text, description: text, build_args: fc.dictionary(text, text, { maxKeys: 2 }), password: text,
    _xsrf: fc.oneof({ weight: 3, arbitrary: fc.constant(XSRF_PLACEHOLDER) }, { weight: 1, arbitrary: text }),
    routes: fc.dictionary(text, text, { maxKeys: 2 }), properties: fc.dictionary(text, jsonValue, { maxKeys: 2 }),
  };
  const model = Object.fromEntries(keys.map((k) => [k, fc.oneof({ weight: 5, arbitrary: byKey[k] ?? jsonValue }, { weight: 1, arbitrary: jsonValue })]));
  // The forms take url-encoded fields; everything else JSON.
  const asForm = keys.includes('_xsrf');
  return fc.record(model, { requiredKeys: [] }).map((o) => Buffer.from(asForm
    ? new URLSearchParams(Object.entries(o).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])).toString()
    : JSON.stringify(o)));
}

interface Parts {
  methodPick: number; oddMethod: string | null; who: Who; U: string; G: string; S: string; T: string; E: string;
  query: string; body: { contentType?: string; body?: Buffer }; accept?: string; trailing: string;
}

function build([methods, template]: [string[], string], r: Parts): FuzzRequest {
  const method = r.oddMethod ?? methods[r.methodPick % methods.length];
  const filled = template.replace(/\/([UGSTE])(?=\/|$)/g, (_m, k: 'U' | 'G' | 'S' | 'T' | 'E') => `/${r[k]}`);
  let who = r.who;
  if (ADMIN_ONLY_FOR_REFUSALS.has(template) && who === 'admin') who = 'student';
  return { who, method, path: `${filled}${r.trailing}${r.query}`, accept: r.accept, ...r.body };
}

export interface FuzzResponse {
  status: number;
  body: string;
  /** Set when the connection ended without an answer (e.g. the hub refused a huge body by closing). */
  error?: string;
}

/** Sends exactly this request (no URL normalisation, no redirects) over a fresh connection. */
export function send(port: number, r: FuzzRequest, creds: Credentials, timeoutMs = 20_000): Promise<FuzzResponse> {
  const headers: Record<string, string> = { Connection: 'close' };
  if (r.who === 'admin') headers.Authorization = `token ${creds.adminToken}`;
  if (r.who === 'student') headers.Authorization = `token ${creds.studentToken}`;
  if (r.who === 'bogus-token') headers.Authorization = 'token 0123456789abcdef0123456789abcdef';
  // OAuth clients authenticate with Basic: a malformed one (bad percent-encoding, no colon).
  if (r.who === 'basic') headers.Authorization = `Basic ${Buffer.from(`jupyterhub-user-${creds.xsrf.slice(0, 3)}%zz:%E0%A4%A`).toString('base64')}`;
  if (r.who.startsWith('cookie')) headers.Cookie = creds.cookie;
  if (r.who === 'cookie-xsrf') headers['X-XSRFToken'] = creds.xsrf;
  if (r.who === 'cookie-bad-xsrf') headers['X-XSRFToken'] = `${creds.xsrf}x`;
  if (r.contentType !== undefined) headers['Content-Type'] = r.contentType;
  if (r.accept) headers.Accept = r.accept;
  const body = r.body && r.body.length < 4096 && r.body.includes(XSRF_PLACEHOLDER)
    ? Buffer.from(r.body.toString('utf8').replaceAll(XSRF_PLACEHOLDER, creds.xsrf)) : r.body;
  if (body) headers['Content-Length'] = String(body.length);
  return new Promise((resolve) => {
    let answered = false;
    const req = http.request({ host: '127.0.0.1', port, method: r.method, path: r.path, headers, timeout: timeoutMs }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => { if (chunks.length < 64) chunks.push(c); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8').slice(0, 2000) }));
      res.on('error', (err) => resolve({ status: res.statusCode ?? 0, body: '', error: err.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => { if (!answered) resolve({ status: 0, body: '', error: err.message }); });
    // A huge upload the hub has answered (413) may still be writing when the hub closes: that late error is no news.
    req.on('socket', (socket) => socket.on('error', () => undefined));
    req.end(body);
  });
}

/** A request as a line to paste into a bug report (the body cut short). */
export function describe(r: FuzzRequest): string {
  const body = r.body ? (r.body.length > 300 ? `${r.body.subarray(0, 300).toString('utf8')}… (${r.body.length} bytes)` : r.body.toString('utf8')) : '';
  return `${r.method} ${r.path} as ${r.who}${r.contentType !== undefined ? ` [${r.contentType}]` : ''}${r.accept ? ` accept ${r.accept}` : ''} ${JSON.stringify(body)}`;
}
