import fs from 'node:fs';

export interface LoggedRequest {
  method: string;
  url: string;
  status: number;
}

/**
 * The hub's request log (every request at debug level, see onResponse in src/hub/app.ts): a test marks where it
 * is, acts, then reads which requests reached the hub since, e.g. to prove a bad form sent nothing.
 */
export class HubLog {
  constructor(private readonly file: () => string) {}

  mark(): number {
    try {
      return fs.statSync(this.file()).size;
    } catch {
      return 0;
    }
  }

  requestsSince(mark: number): LoggedRequest[] {
    const text = fs.readFileSync(this.file()).subarray(mark).toString('utf8');
    const out: LoggedRequest[] = [];
    for (const line of text.split('\n')) {
      if (!line.includes('"msg":"request"')) continue;
      try {
        const e = JSON.parse(line) as LoggedRequest;
        out.push({ method: e.method, url: e.url, status: e.status });
      } catch {
        // a line cut by a concurrent write
      }
    }
    return out;
  }

  /** Requests since `mark` with this method whose path (without the query) is `path`. */
  sent(mark: number, method: string, path: string): LoggedRequest[] {
    return this.requestsSince(mark).filter((r) => r.method === method && r.url.split('?')[0] === path);
  }

  contains(mark: number, text: string): boolean {
    return fs.readFileSync(this.file()).subarray(mark).toString('utf8').includes(text);
  }
}
