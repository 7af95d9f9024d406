import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freeLoopbackPort } from '../../src/spawner/local.ts';
import { BIN, waitFor } from './stack.ts';

export interface JupyterHubOptions {
  /**
   * 'self': JupyterHub starts `plasma proxy` itself (ConfigurableHTTPProxy.command); 'self-chp': it starts
   * configurable-http-proxy, its default set-up; 'external': we run the proxy.
   */
  proxy: 'self' | 'self-chp' | 'external';
  proxyPort: number;
  apiPort: number;
  proxyToken: string;
  password: string;
  /** Leave user servers running when the hub stops (TLJH's and Plasma's choice); JupyterHub's default stops them. */
  keepServers?: boolean;
}

/** The real JupyterHub 3.0 (Debian package), run by /usr/bin/python3 with SimpleLocalProcessSpawner. */
export class RealJupyterHub {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-jh-'));
  hubPort = 0;
  child: ChildProcess | null = null;
  readonly adminToken = 'pt-jh-admin-token-0123456789abcdef';

  constructor(private readonly options: JupyterHubOptions) {}

  get publicUrl() { return `http://127.0.0.1:${this.options.proxyPort}`; }
  get log() { return fs.readFileSync(path.join(this.dir, 'jupyterhub.log'), 'utf8'); }

  async start(): Promise<void> {
    this.hubPort ||= await freeLoopbackPort();
    const o = this.options;
    const proxyLines = o.proxy === 'self'
      ? `c.ConfigurableHTTPProxy.command = [${JSON.stringify(process.execPath)}, ${JSON.stringify(BIN)}, 'proxy']`
      : o.proxy === 'self-chp' ? '' : 'c.ConfigurableHTTPProxy.should_start = False';
    fs.writeFileSync(path.join(this.dir, 'jupyterhub_config.py'), `
c.JupyterHub.bind_url = 'http://127.0.0.1:${o.proxyPort}'
c.JupyterHub.hub_ip = '127.0.0.1'
c.JupyterHub.hub_port = ${this.hubPort}
${proxyLines}
c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:${o.apiPort}'
c.ConfigurableHTTPProxy.auth_token = '${o.proxyToken}'
c.JupyterHub.db_url = 'sqlite:///${this.dir}/jupyterhub.sqlite'
c.JupyterHub.cookie_secret_file = '${this.dir}/cookie_secret'
c.JupyterHub.pid_file = '${this.dir}/jupyterhub.pid'
c.JupyterHub.authenticator_class = 'jupyterhub.auth.DummyAuthenticator'
c.DummyAuthenticator.password = '${o.password}'
c.JupyterHub.spawner_class = 'jupyterhub.spawner.SimpleLocalProcessSpawner'
c.SimpleLocalProcessSpawner.home_dir_template = '${this.dir}/home/{username}'
c.Spawner.cmd = ['/usr/bin/jupyterhub-singleuser']
c.Spawner.args = ['--allow-root']
c.JupyterHub.services = [{'name': 'pt-admin', 'api_token': '${this.adminToken}'}]
c.JupyterHub.load_roles = [{'name': 'admin', 'services': ['pt-admin']}]
c.JupyterHub.cleanup_servers = ${o.keepServers ? 'False' : 'True'}
`);
    const log = fs.openSync(path.join(this.dir, 'jupyterhub.log'), 'a');
    this.child = spawn('/usr/bin/python3', ['/usr/bin/jupyterhub', '-f', path.join(this.dir, 'jupyterhub_config.py')], {
      cwd: this.dir, stdio: ['ignore', log, log], env: { ...process.env, CONFIGPROXY_AUTH_TOKEN: o.proxyToken, NODE_PATH: '/usr/share/nodejs' },
    });
    fs.closeSync(log);
    const child = this.child;
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`jupyterhub exited: ${this.log.slice(-3000)}`);
      return (await fetch(`${this.publicUrl}/hub/api`)).ok;
    }, 60_000, 'JupyterHub through the proxy');
  }

  async api(method: string, url: string, body?: unknown) {
    const res = await fetch(`${this.publicUrl}/hub/api${url}`, {
      method, headers: { Authorization: `token ${this.adminToken}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
  }

  /** Stops the hub process and starts it again (same database and config): JupyterHub's own restart. */
  async restart(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && !child.signalCode) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    }
    await this.start();
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && !child.signalCode) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM'); // JupyterHub stops its servers (and a proxy it started) on the way out
      await Promise.race([gone, new Promise((r) => setTimeout(r, 15_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
