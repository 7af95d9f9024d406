import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { freeLoopbackPort } from '../../src/spawner/local.ts';

/**
 * A Python package index on loopback (PEP 503 "simple" pages), serving wheels the test builds itself with
 * Python's own zipfile module: what a site without the public internet runs, and what pip really talks to.
 */

const WHEEL_SCRIPT = `
import base64, hashlib, sys, zipfile
out, dist, version, module, source = sys.argv[1:6]
files = {
  f"{module}/__init__.py": source.encode(),
  f"{dist}-{version}.dist-info/METADATA": f"Metadata-Version: 2.1\\nName: {dist.replace('_', '-')}\\nVersion: {version}\\n".encode(),
  f"{dist}-{version}.dist-info/WHEEL": b"Wheel-Version: 1.0\\nGenerator: plasma-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
}
record = []
with zipfile.ZipFile(out, "w") as z:
  for name, data in files.items():
    z.writestr(name, data)
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    record.append(f"{name},sha256={digest},{len(data)}")
  record.append(f"{dist}-{version}.dist-info/RECORD,,")
  z.writestr(f"{dist}-{version}.dist-info/RECORD", "\\n".join(record) + "\\n")
`;

function normalise(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

export class PackageIndex {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-pypi-'));
  private server: http.Server | null = null;
  port = 0;
  readonly served: string[] = [];

  get url(): string {
    return `http://127.0.0.1:${this.port}/simple/`;
  }

  /** Builds a pure-Python wheel of `name` whose module runs `source` on import. */
  addWheel(name: string, version: string, source: string): string {
    const dist = name.replace(/-/g, '_');
    const file = path.join(this.dir, `${dist}-${version}-py3-none-any.whl`);
    execFileSync('/usr/bin/python3', ['-c', WHEEL_SCRIPT, file, dist, version, dist, source]);
    return file;
  }

  private wheels(): Array<{ project: string; file: string }> {
    return fs.readdirSync(this.dir).filter((f) => f.endsWith('.whl')).map((file) => ({ project: normalise(file.split('-')[0]), file }));
  }

  async start(): Promise<this> {
    this.port = await freeLoopbackPort();
    this.server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      this.served.push(url.pathname);
      const parts = url.pathname.split('/').filter(Boolean);
      if (parts[0] === 'simple' && parts.length === 1) {
        const projects = [...new Set(this.wheels().map((w) => w.project))];
        res.writeHead(200, { 'Content-Type': 'text/html' });
        return void res.end(`<!doctype html><html><body>${projects.map((p) => `<a href="${p}/">${p}</a>`).join('\n')}</body></html>`);
      }
      if (parts[0] === 'simple' && parts.length === 2) {
        const files = this.wheels().filter((w) => w.project === normalise(parts[1]));
        if (!files.length) {
          res.writeHead(404);
          return void res.end('not found');
        }
        const links = files.map(({ file }) => {
          const hash = crypto.createHash('sha256').update(fs.readFileSync(path.join(this.dir, file))).digest('hex');
          return `<a href="../../files/${file}#sha256=${hash}">${file}</a>`;
        });
        res.writeHead(200, { 'Content-Type': 'text/html' });
        return void res.end(`<!doctype html><html><body>${links.join('\n')}</body></html>`);
      }
      if (parts[0] === 'files' && parts.length === 2 && !parts[1].includes('..') && fs.existsSync(path.join(this.dir, parts[1]))) {
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
        return void fs.createReadStream(path.join(this.dir, parts[1])).pipe(res);
      }
      res.writeHead(404);
      res.end('not found');
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    if (this.server) await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
