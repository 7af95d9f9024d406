import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import type { PlasmaConfig } from '../../config/index.ts';
import type { Logger } from '../../log/index.ts';
import { groupsOfUser, lookupGroup, lookupUser } from '../../system/users.ts';
import { freeLoopbackPort } from '../local.ts';
import { SpawnError, type LogOptions, type ManagedServer, type PollResult, type ServerUsage, type SpawnContext, type Spawner, type SpawnerState, type StartedServer } from '../types.ts';
import { demuxLogs, usageFromStats, type DockerStats } from './stats.ts';
import { containerName, parseMemory } from './naming.ts';

interface DockerState extends SpawnerState {
  id: string;
  name: string;
}

const CONTAINER_PORT = 8888;

/**
 * Seeds the environment folder from the image (no-clobber: the user's files win), runs the repository's
 * `start` script when the image has one (repo2docker's R2D_ENTRYPOINT, which must exec its arguments),
 * then becomes the server. No user input is in this script: the folder comes in through the environment.
 */
const START_SCRIPT = [
  'cp -Rn /home/jovyan/. "$PLASMA_ENV_DIR"/ 2>/dev/null',
  'cd "$PLASMA_ENV_DIR" || exit 1',
  'if [ -n "$R2D_ENTRYPOINT" ] && [ -x "$R2D_ENTRYPOINT" ]; then exec "$R2D_ENTRYPOINT" "$@"; fi',
  'exec "$@"',
].join('\n');
const LABEL = 'plasma.managed';
/** Which installation a container belongs to: two hubs on one daemon must never take each other's for orphans. */
const INSTALL_LABEL = 'plasma.install';

/** Docker's own errors carry statusCode; a socket error means the daemon is not there. */
function isDaemonDown(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'EACCES' || code === 'ECONNRESET';
}

function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode;
}

/**
 * User servers as containers with Plasma's system-user semantics: the process runs as the student's own
 * uid/gid (never root), their home is mounted at the same path, and each environment gets its own folder
 * in it, seeded from the image's /home/jovyan without overwriting anything.
 */
export class DockerSpawner implements Spawner {
  readonly kind = 'docker';
  private readonly docker: Docker;
  private networkReady: Promise<void> | null = null;

  constructor(
    private readonly config: PlasmaConfig['spawner'],
    private readonly options: { logger: Logger; hubConnectUrl?: string; docker?: Docker; installId?: string },
  ) {
    this.docker = options.docker ?? new Docker({ socketPath: config.docker.socket });
  }

  private get d() {
    return this.config.docker;
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isDaemonDown(err)) throw new SpawnError(`Docker is not available (${what}: ${(err as Error).message}); ask an administrator`, 503);
      throw err;
    }
  }

  private async ensureNetwork(): Promise<void> {
    if (this.d.network !== 'plasma') return;
    this.networkReady ??= (async () => {
      const existing = await this.docker.listNetworks({ filters: { name: [this.d.network_name] } });
      if (!existing.some((n) => n.Name === this.d.network_name)) {
        await this.docker.createNetwork({ Name: this.d.network_name, Driver: 'bridge', Labels: { [LABEL]: 'true' } });
      }
    })().catch((err) => {
      this.networkReady = null;
      throw err;
    });
    return this.networkReady;
  }

  async start(ctx: SpawnContext): Promise<StartedServer> {
    const environment = ctx.environment;
    if (!environment) throw new SpawnError('no environment chosen: start the server with {"environment": "<name>"}', 400);
    const { image, folder } = environment;
    ctx.progress({ progress: 15, message: `Preparing environment ${environment.displayName}` });
    await this.call('inspecting the image', async () => {
      try {
        return await this.docker.getImage(image).inspect();
      } catch (err) {
        if (statusOf(err) === 404) throw new SpawnError(`environment ${environment.name} is not built`, 400);
        throw err;
      }
    });

    const account = await lookupUser(ctx.user.name);
    if (!account) throw new SpawnError(`${ctx.user.name} has no system account on this server`, 400);
    if (account.uid === 0) throw new SpawnError('user servers never run as root', 400);
    const home = this.d.home_base ? path.join(this.d.home_base, ctx.user.name) : account.home;
    const workDir = this.prepareFolder(home, folder, account.uid, account.gid);
    const extraGroups = await this.groupIds(ctx.user.name, account.gid);

    // Per-environment limits override the spawner's defaults.
    const memory = environment.memory || this.d.memory_limit;
    const cpus = environment.cpu ?? this.d.cpu_limit;
    if (!(cpus > 0)) throw new SpawnError(`environment ${environment.name} has an invalid CPU limit`, 500);

    await this.call('preparing the network', () => this.ensureNetwork());
    const hostNetwork = this.d.network === 'host';
    const port = hostNetwork ? await freeLoopbackPort() : CONTAINER_PORT;
    const env: Record<string, string> = { ...ctx.env };
    if (this.options.hubConnectUrl && !hostNetwork) {
      for (const key of ['JUPYTERHUB_API_URL', 'JUPYTERHUB_ACTIVITY_URL']) {
        env[key] = env[key].replace(/^https?:\/\/[^/]+/, this.options.hubConnectUrl.replace(/\/$/, ''));
      }
    }
    Object.assign(env, {
      JUPYTERHUB_SERVICE_URL: `http://${hostNetwork ? '127.0.0.1' : '0.0.0.0'}:${port}${ctx.prefix}`,
      HOME: home,
      USER: ctx.user.name,
      NB_USER: ctx.user.name,
      NB_UID: String(account.uid),
      NB_GID: String(account.gid),
      USER_IMAGE: folder,
      PLASMA_ENV_DIR: workDir,
      // One folder per environment (Plasma's layout): its Jupyter settings and pip --user installs stay in it.
      JUPYTER_CONFIG_DIR: path.join(workDir, '.jupyter'),
      JUPYTER_DATA_DIR: path.join(workDir, '.local/share/jupyter'),
      PYTHONUSERBASE: path.join(workDir, '.local'),
      SHELL: '/bin/bash',
      MEM_LIMIT: String(parseMemory(memory)),
      CPU_LIMIT: String(cpus),
    });

    const name = containerName(ctx.user.name, ctx.serverName);
    await this.removeLeftover(name, ctx.user.name, ctx.serverName);
    const [cmd, ...cmdArgs] = this.d.cmd;
    ctx.progress({ progress: 30, message: `Creating container ${name}` });
    const container = await this.call('creating the container', () => this.docker.createContainer({
      name,
      Image: image,
      User: `${account.uid}:${account.gid}`,
      WorkingDir: workDir,
      Entrypoint: ['/bin/sh', '-c', START_SCRIPT, 'plasma-start'],
      Cmd: [cmd, ...cmdArgs, ...this.d.args],
      Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
      Labels: {
        [LABEL]: 'true',
        ...(this.options.installId ? { [INSTALL_LABEL]: this.options.installId } : {}),
        'plasma.user': ctx.user.name,
        'plasma.server': ctx.serverName,
        'plasma.environment': environment.name,
        'plasma.image': image,
      },
      ExposedPorts: hostNetwork ? undefined : { [`${CONTAINER_PORT}/tcp`]: {} },
      HostConfig: {
        Binds: [`${home}:${home}:rw`, `${this.d.shared_data_path}:/srv/data:ro`],
        Memory: parseMemory(memory),
        MemorySwap: parseMemory(memory),
        CpuPeriod: 100_000,
        CpuQuota: Math.round(100_000 * cpus),
        Init: true,
        AutoRemove: true,
        GroupAdd: extraGroups,
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        NetworkMode: hostNetwork ? 'host' : this.d.network_name,
        PortBindings: hostNetwork ? undefined : { [`${CONTAINER_PORT}/tcp`]: [{ HostIp: this.d.host_ip, HostPort: '' }] },
      },
    }));
    const state: DockerState = { id: container.id, name };
    ctx.recordState(state);
    ctx.progress({ progress: 40, message: 'Starting the container' });
    await this.call('starting the container', () => container.start());
    let url = `http://127.0.0.1:${port}`;
    if (!hostNetwork) {
      const inspected = await this.call('inspecting the container', () => container.inspect());
      const binding = inspected.NetworkSettings.Ports?.[`${CONTAINER_PORT}/tcp`]?.[0];
      if (!binding) throw new SpawnError('the container has no published port', 500);
      url = `http://${binding.HostIp === '0.0.0.0' ? '127.0.0.1' : binding.HostIp}:${binding.HostPort}`;
    }
    this.options.logger.info({ user: ctx.user.name, server: ctx.serverName, container: name, image, memory, cpus }, 'container started');
    return { url, state };
  }

  /** Creates <home>/<folder> owned by the user; refuses symlinks so nothing outside the home is touched. */
  private prepareFolder(home: string, folder: string, uid: number, gid: number): string {
    const homeStat = fs.statSync(home, { throwIfNoEntry: false });
    if (!homeStat?.isDirectory()) throw new SpawnError(`the home directory ${home} does not exist`, 500);
    const dir = path.join(home, folder);
    const existing = fs.lstatSync(dir, { throwIfNoEntry: false });
    if (existing?.isSymbolicLink() || (existing && !existing.isDirectory())) {
      throw new SpawnError(`${dir} exists and is not a folder; move it away to use this environment`, 409);
    }
    if (!existing) {
      fs.mkdirSync(dir, { mode: 0o755 });
      fs.chownSync(dir, uid, gid);
    }
    fs.mkdirSync(this.d.shared_data_path, { recursive: true, mode: 0o755 });
    return dir;
  }

  /** The user's supplementary UNIX groups, so group-shared folders work inside the container too. */
  private async groupIds(user: string, primaryGid: number): Promise<string[]> {
    const ids: string[] = [];
    for (const name of await groupsOfUser(user)) {
      const group = await lookupGroup(name);
      if (group && group.gid !== primaryGid && group.gid !== 0) ids.push(String(group.gid));
    }
    return ids;
  }

  /** A container left with this name (e.g. a crash between create and start) is removed, if it is this server's. */
  private async removeLeftover(name: string, user: string, server: string): Promise<void> {
    const leftover = await this.call('looking for an old container', async () => {
      try {
        return await this.docker.getContainer(name).inspect();
      } catch (err) {
        if (statusOf(err) === 404) return null;
        throw err;
      }
    });
    if (!leftover) return;
    const labels = leftover.Config.Labels ?? {};
    if (labels[LABEL] !== 'true' || labels['plasma.user'] !== user || labels['plasma.server'] !== server || !this.ours(labels)) {
      throw new SpawnError(`a container named ${name} exists and does not belong to this server`, 409);
    }
    await this.stop({ id: leftover.Id, name }, { timeoutSeconds: 5 });
  }

  async poll(state: SpawnerState): Promise<PollResult> {
    const s = state as Partial<DockerState>;
    if (!s.id) return { running: false, reason: 'no container recorded' };
    try {
      const info = await this.docker.getContainer(s.id).inspect();
      if (info.State.Running) return { running: true };
      const why = info.State.OOMKilled ? 'killed for using more memory than its limit' : `exited with code ${info.State.ExitCode}`;
      return { running: false, reason: `the container ${why}` };
    } catch (err) {
      if (statusOf(err) === 404) return { running: false, reason: 'the container is gone' };
      throw err; // Docker down: unknown, which the hub treats as still running
    }
  }

  async stop(state: SpawnerState, options: { timeoutSeconds?: number } = {}): Promise<void> {
    const s = state as Partial<DockerState>;
    if (!s.id) return;
    const container = this.docker.getContainer(s.id);
    await this.call('stopping the container', async () => {
      try {
        await container.stop({ t: options.timeoutSeconds ?? this.d.stop_timeout });
      } catch (err) {
        if (![304, 404].includes(statusOf(err) ?? 0)) throw err;
      }
      try {
        await container.remove({ force: true });
      } catch (err) {
        // 404: already gone; 409: Docker is already removing it (AutoRemove).
        if (![404, 409].includes(statusOf(err) ?? 0)) throw err;
      }
    });
  }

  /** The container's output (stdout and stderr), demultiplexed. */
  async *streamLogs(state: SpawnerState, options: LogOptions): AsyncGenerator<string> {
    const id = (state as Partial<DockerState>).id;
    if (!id) return;
    const container = this.docker.getContainer(id);
    const tail = Math.max(1, options.lines);
    if (!options.follow) {
      const raw = (await this.call('reading the logs', () => container.logs({ stdout: true, stderr: true, tail, follow: false }))) as unknown as Buffer;
      yield demuxLogs(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw)));
      return;
    }
    const stream = await this.call('following the logs', () => container.logs({ stdout: true, stderr: true, tail, follow: true }));
    const out = new PassThrough();
    this.docker.modem.demuxStream(stream, out, out);
    stream.on('end', () => out.end());
    options.signal?.addEventListener('abort', () => { (stream as unknown as { destroy(): void }).destroy(); out.end(); });
    for await (const chunk of out) yield String(chunk);
  }

  /** Containers of this installation; those from before the install label existed count as ours. */
  private ours(labels: Record<string, string>): boolean {
    const install = labels[INSTALL_LABEL];
    return !install || !this.options.installId || install === this.options.installId;
  }

  private async listOurs(): Promise<Docker.ContainerInfo[]> {
    const containers = await this.docker.listContainers({ all: true, filters: { label: [`${LABEL}=true`] } });
    return containers.filter((c) => this.ours(c.Labels ?? {}));
  }

  async listManaged(): Promise<ManagedServer[]> {
    return (await this.listOurs()).map((c) => ({
      user: c.Labels['plasma.user'] ?? '',
      serverName: c.Labels['plasma.server'] ?? '',
      state: { id: c.Id, name: (c.Names[0] ?? '').replace(/^\//, '') },
      running: c.State === 'running',
    }));
  }

  /** One container list for every server (100 running servers: one request, not 100 inspects). */
  async pollMany(states: SpawnerState[]): Promise<PollResult[]> {
    const byId = new Map((await this.listOurs()).map((c) => [c.Id, c]));
    return states.map((state): PollResult => {
      const id = (state as Partial<DockerState>).id;
      if (!id) return { running: false, reason: 'no container recorded' };
      const c = byId.get(id);
      if (!c) return { running: false, reason: 'the container is gone' };
      return c.State === 'running' ? { running: true } : { running: false, reason: `the container stopped (${c.Status})` };
    });
  }

  /**
   * Docker's event stream: a managed container that dies is reported at once, and so is the daemon answering again
   * after an outage (a dockerd restart stops containers without the hub hearing of each).
   */
  watch(changed: (why: string) => void, signal: AbortSignal): void {
    let wasDown = false;
    const connect = async () => {
      while (!signal.aborted) {
        try {
          const stream = await this.docker.getEvents({ filters: { type: ['container'], label: [`${LABEL}=true`], event: ['die', 'destroy', 'start'] } });
          if (wasDown) changed('the Docker daemon answers again');
          wasDown = false;
          await new Promise<void>((resolve) => {
            const stop = () => { (stream as unknown as { destroy(): void }).destroy(); resolve(); };
            signal.addEventListener('abort', stop, { once: true });
            let buffered = '';
            stream.on('data', (chunk: Buffer) => {
              buffered += chunk.toString();
              let nl: number;
              while ((nl = buffered.indexOf('\n')) >= 0) {
                const line = buffered.slice(0, nl);
                buffered = buffered.slice(nl + 1);
                try {
                  const event = JSON.parse(line) as { Action?: string; Actor?: { Attributes?: Record<string, string> } };
                  if (this.ours(event.Actor?.Attributes ?? {})) changed(`a container event (${event.Action})`);
                } catch { /* a partial line */ }
              }
            });
            const ended = () => { signal.removeEventListener('abort', stop); resolve(); };
            stream.once('end', ended);
            stream.once('error', ended);
            stream.once('close', ended);
          });
          wasDown = true; // the stream ended: the daemon went away (or restarts)
        } catch {
          wasDown = true;
        }
        if (!signal.aborted) await new Promise((r) => setTimeout(r, 500).unref());
      }
    };
    void connect();
  }

  async usage(state: SpawnerState): Promise<ServerUsage | null> {
    const s = state as Partial<DockerState>;
    if (!s.id) return null;
    try {
      // one-shot: answer at once instead of waiting a second for Docker's own CPU delta (the hub computes rates).
      const stats = await this.docker.getContainer(s.id).stats({ stream: false, 'one-shot': true } as { stream: false });
      return usageFromStats(stats as unknown as DockerStats);
    } catch (err) {
      if (statusOf(err) === 404 || statusOf(err) === 409 || isDaemonDown(err)) return null;
      throw err;
    }
  }

}

/** Docker's multiplexed log format (8-byte frame headers) without a TTY, as text. */