import crypto from 'node:crypto';
import type { PlasmaConfig } from '../config/index.ts';
import type { Repo } from '../db/index.ts';

/** The config schema and the database load on first use, not when the CLI starts (`plasma --help`). */
const stateModules = async () => {
  const [{ loadConfig, resolvePaths }, { openDatabase, Repo }] = await Promise.all([import('../config/index.ts'), import('../db/index.ts')]);
  return { loadConfig, resolvePaths, openDatabase, Repo };
};

/**
 * The CLI talks to the running hub through its REST API, as the UI does, so the hub stays the one owner of
 * builds and permissions. It acts as an admin through a token it makes for the call and deletes afterwards
 * (the CLI runs as root on the hub's host, where it can read the database anyway).
 */

export interface ApiAnswer {
  status: number;
  data: any;
  text: string;
}

export class HubClient {
  private constructor(private readonly apiUrl: string, private readonly token: string, private readonly tokenId: number, readonly actingAs: string) {}

  static async open(options: { as?: string } = {}): Promise<HubClient> {
    const { loadConfig, resolvePaths, openDatabase, Repo } = await stateModules();
    const paths = resolvePaths();
    const config = loadConfig(paths);
    const opened = await openDatabase({ file: paths.database, backupsDir: paths.backupsDir });
    try {
      const repo = new Repo(opened.db);
      const user = await HubClient.actor(repo, config, options.as);
      const token = crypto.randomBytes(24).toString('hex');
      const row = await repo.insertToken({
        userId: user.id, token, note: 'plasma CLI (temporary)', expiresAt: new Date(Date.now() + 3600_000).toISOString(),
      });
      const host = config.hub.ip === '0.0.0.0' || config.hub.ip === '::' ? '127.0.0.1' : config.hub.ip;
      return new HubClient(`http://${host}:${config.hub.port}${config.hub.base_url}hub/api`, token, row.id, user.name);
    } finally {
      await opened.close();
    }
  }

  private static async actor(repo: Repo, config: PlasmaConfig, name?: string) {
    if (name) {
      const user = await repo.findUser(name);
      if (!user) throw new Error(`no such user: ${name}`);
      return user;
    }
    for (const admin of config.auth.admin_users) {
      const user = await repo.findUser(admin);
      if (user?.admin) return user;
    }
    const any = (await repo.listUsers()).find((u) => u.admin);
    if (!any) throw new Error('there is no admin user yet: create one with "plasma users add NAME --admin"');
    return any;
  }

  private async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    try {
      return await fetch(`${this.apiUrl}${path}`, {
        method,
        headers: { Authorization: `token ${this.token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new Error(`the hub does not answer at ${this.apiUrl} (${(err as Error).cause ?? (err as Error).message}); start it with "plasma up"`);
    }
  }

  async request(method: string, path: string, body?: unknown): Promise<ApiAnswer> {
    const res = await this.call(method, path, body);
    const text = await res.text();
    let data: any = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      // not JSON
    }
    return { status: res.status, data, text };
  }

  /** Reads a server-sent event stream, calling `onEvent` for each event, until the server ends it. */
  async events(path: string, onEvent: (event: any) => void): Promise<void> {
    const res = await this.call('GET', path, undefined, { Accept: 'text/event-stream' });
    if (!res.ok || !res.body) throw new Error(`${path}: ${res.status} ${(await res.text()).slice(0, 500)}`);
    const decoder = new TextDecoder();
    let pending = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      pending += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = pending.indexOf('\n\n')) >= 0) {
        const block = pending.slice(0, end);
        pending = pending.slice(end + 2);
        const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
        if (data) onEvent(JSON.parse(data));
      }
    }
  }

  async close(): Promise<void> {
    const { resolvePaths, openDatabase, Repo } = await stateModules();
    const paths = resolvePaths();
    const opened = await openDatabase({ file: paths.database, backupsDir: paths.backupsDir });
    try {
      await new Repo(opened.db).deleteToken(this.tokenId);
    } finally {
      await opened.close();
    }
  }

  static async with<T>(options: { as?: string }, fn: (client: HubClient) => Promise<T>): Promise<T> {
    const client = await HubClient.open(options);
    try {
      return await fn(client);
    } finally {
      await client.close();
    }
  }
}

/** An API error as one line: the hub's message, and the field it is about. */
export function apiFailure(answer: ApiAnswer): Error {
  const message = answer.data?.message ?? (answer.text.slice(0, 300) || `HTTP ${answer.status}`);
  return new Error(answer.data?.field ? `${answer.data.field}: ${message}` : message);
}
