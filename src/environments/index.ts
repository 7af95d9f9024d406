import path from 'node:path';
import type Docker from 'dockerode';
import { dockerClient } from '../system/docker-client.ts';
import {
  BuildInputError, DockerBuilder, folderFor, nameFromRepository, parseBuildArgs, parseCpuLimit, parseCredentials, parseDescription,
  parseDisplayName, parseMemoryLimit, parseName, parseRef, parseRepository, type Builder, type EnvironmentSettings,
} from '../builder/index.ts';
import type { PlasmaConfig, PlasmaPaths } from '../config/index.ts';
import { EnvironmentRepo, type BuildSummary, type Repo } from '../db/index.ts';
import type { Logger } from '../log/index.ts';
import type { SpawnEnvironment } from '../spawner/index.ts';
import { EnvironmentAccess, type PermissionsView } from './access.ts';
import { BuildManager, type BuildEvents } from './builds.ts';
import { ImageCatalogue, ImageError, type EnvironmentImage } from './images.ts';
import { EnvironmentError, type Actor, type BuildView, type Environment } from './types.ts';

/**
 * Environments: the catalogue (image labels first, build records for what has no image yet), the build
 * queue, and who may use what. The API, the spawn pages and the server life cycle all go through here.
 */

/** tljh-repo2docker's POST body (its shape is checked by the API's schema; the values here). */
export interface AddRequest {
  repo: unknown;
  ref?: unknown;
  name?: unknown;
  display_name?: unknown;
  description?: unknown;
  memory?: unknown;
  cpu?: unknown;
  buildargs?: unknown;
  build_args?: unknown;
  username?: unknown;
  password?: unknown;
}

export interface RebuildRequest {
  username?: unknown;
  password?: unknown;
  no_cache?: boolean;
}

function toEnvironmentError(err: unknown): never {
  if (err instanceof BuildInputError) throw new EnvironmentError(400, err.message, { field: err.field });
  if (err instanceof ImageError) throw new EnvironmentError(err.status, err.message);
  throw err;
}

export class EnvironmentService {
  readonly builds: BuildManager;
  readonly access: EnvironmentAccess;
  private readonly images: ImageCatalogue;
  private readonly repo: EnvironmentRepo;
  /** Names being fetched right now, so two adds of one name cannot both pass the check. */
  private readonly reserved = new Set<string>();

  constructor(
    hubRepo: Repo,
    private readonly config: PlasmaConfig,
    paths: PlasmaPaths,
    private readonly log: Logger,
    options: { builder?: Builder; docker?: Docker } = {},
  ) {
    const docker = options.docker ?? dockerClient({ socketPath: config.spawner.docker.socket });
    this.repo = new EnvironmentRepo(hubRepo.db);
    this.images = new ImageCatalogue(docker, config.environments.image_prefix);
    this.builds = new BuildManager(this.repo, options.builder ?? new DockerBuilder(config, docker), this.images, config.environments,
      path.join(paths.cacheDir, 'builds'), log);
    this.access = new EnvironmentAccess(this.repo, config.environments, async () => (await hubRepo.listGroups()).map((g) => g.name));
  }

  private get env() {
    return this.config.environments;
  }

  // ---- the catalogue

  private merge(image: EnvironmentImage | undefined, build: BuildSummary | undefined, groups: string[], inUseBy: string[]): Environment {
    const settings: EnvironmentSettings = image ?? JSON.parse(build!.settings);
    const buildView = build ? this.builds.view(build) : null;
    return {
      name: settings.name, displayName: settings.displayName, description: settings.description, repo: settings.repo,
      ref: settings.ref, memory: settings.memory, cpu: settings.cpu, buildArgs: settings.buildArgs,
      image: image?.image ?? build!.image, imageId: image?.id ?? null, commit: image?.commit ?? build?.commit_sha ?? null,
      owner: image?.owner ?? build?.requested_by ?? null, builtAt: image?.builtAt ?? image?.created ?? null, size: image?.size ?? null,
      // An environment whose image was removed outside Plasma shows as failed until it is rebuilt.
      status: image ? 'built' : build!.status === 'built' ? 'failed' : build!.status,
      source: image?.source ?? 'plasma', groups, build: buildView, inUseBy,
    };
  }

  /** Every environment: built images, and builds of environments that have no image yet. */
  async all(): Promise<Environment[]> {
    let images: EnvironmentImage[];
    try {
      images = await this.images.list();
    } catch (err) {
      toEnvironmentError(err);
    }
    const builds = new Map((await this.repo.latestBuilds()).map((b) => [b.environment, b]));
    const permissions = await this.access.effective();
    const users = await this.repo.environmentUsers();
    const byName = new Map(images.map((i) => [i.name, i]));
    const names = [...new Set([...byName.keys(), ...builds.keys()])].sort();
    return names.map((name) => this.merge(byName.get(name), builds.get(name), permissions.get(name) ?? [], users.get(name) ?? []));
  }

  async find(name: string): Promise<Environment | undefined> {
    return (await this.all()).find((e) => e.name === name);
  }

  async get(name: string): Promise<Environment> {
    const env = await this.find(name);
    if (!env) throw new EnvironmentError(404, `no environment is named ${JSON.stringify(name.slice(0, 64))}`);
    return env;
  }

  /** What a user may see: builders and admins see all, everyone else what their groups allow. */
  async visibleTo(actor: Actor, userGroups: string[]): Promise<Environment[]> {
    const all = await this.all();
    if (actor.admin || actor.builder) return all;
    return all.filter((e) => e.status === 'built' && this.access.mayUse(e.groups, userGroups));
  }

  /** The built environments this user can start (the spawn page's list); the start checks again. */
  async startableBy(actor: Actor, userGroups: string[]): Promise<Environment[]> {
    return (await this.all()).filter((e) => e.imageId && this.mayStart(actor, e, userGroups));
  }

  private mayStart(actor: Actor, env: Environment, userGroups: string[]): boolean {
    return actor.admin || (actor.builder && env.owner === actor.name) || this.access.mayUse(env.groups, userGroups);
  }

  // ---- changes

  /** tljh-repo2docker's POST body, checked field by field; the repository is fetched before this returns. */
  async add(body: AddRequest, actor: Actor): Promise<{ environment: Environment; build: BuildView }> {
    let settings: EnvironmentSettings;
    let parsed: ReturnType<typeof parseRepository>;
    let credentials;
    try {
      parsed = parseRepository(body.repo, this.env.local_roots);
      const ref = parseRef(body.ref);
      const name = body.name === undefined || body.name === null || body.name === '' ? nameFromRepository(parsed.source, this.env.local_roots) : parseName(body.name);
      settings = {
        name, ref, repo: parsed.source.url, displayName: parseDisplayName(body.display_name, name), description: parseDescription(body.description),
        memory: parseMemoryLimit(body.memory), cpu: parseCpuLimit(body.cpu), buildArgs: parseBuildArgs(body.buildargs ?? body.build_args),
      };
      credentials = parseCredentials(body.username, body.password) ?? parsed.credentials;
    } catch (err) {
      toEnvironmentError(err);
    }
    const taken = () => new EnvironmentError(409, `an environment named ${settings.name} exists already: rebuild it, or choose another name`, { field: 'name' });
    // Reserved before the first await, so a second add of the same name cannot slip past the check.
    if (this.reserved.has(settings.name)) throw taken();
    this.reserved.add(settings.name);
    try {
      if (await this.find(settings.name)) throw taken();
      const build = await this.builds.submit(settings, parsed.source, {
        credentials, requestedBy: actor.name, noCache: false, imagePrefix: this.env.image_prefix,
      }).catch(toEnvironmentError);
      return { environment: await this.get(settings.name), build: this.builds.view(build) };
    } finally {
      this.reserved.delete(settings.name);
    }
  }

  /** The same settings again (the ref is fetched anew); credentials, if the repository needs them, are given again. */
  async rebuild(name: string, body: RebuildRequest, actor: Actor): Promise<{ environment: Environment; build: BuildView }> {
    const env = await this.get(name);
    if (env.build && (env.build.status === 'queued' || env.build.status === 'building')) {
      throw new EnvironmentError(409, `${name} is already ${env.build.status === 'queued' ? 'queued' : 'being built'}`);
    }
    if (this.reserved.has(name)) throw new EnvironmentError(409, `${name} is already being fetched`);
    let parsed;
    let credentials;
    try {
      parsed = parseRepository(env.repo, this.env.local_roots);
      credentials = parseCredentials(body.username, body.password);
    } catch (err) {
      toEnvironmentError(err);
    }
    const settings: EnvironmentSettings = {
      name: env.name, displayName: env.displayName, description: env.description, repo: env.repo, ref: env.ref,
      memory: env.memory, cpu: env.cpu, buildArgs: env.buildArgs,
    };
    this.reserved.add(name);
    try {
      const build = await this.builds.submit(settings, parsed.source, {
        credentials, requestedBy: actor.name, noCache: body.no_cache === true, imagePrefix: this.env.image_prefix,
      }).catch(toEnvironmentError);
      return { environment: await this.get(name), build: this.builds.view(build) };
    } finally {
      this.reserved.delete(name);
    }
  }

  /** Stops a queued or running build; it ends failed, and the image it would replace keeps serving. */
  async cancel(name: string, actor: Actor): Promise<Environment> {
    const env = await this.get(name);
    if (!env.build || (env.build.status !== 'queued' && env.build.status !== 'building')) {
      throw new EnvironmentError(409, `no build of ${name} is queued or running`);
    }
    await this.builds.cancel(name, `cancelled by ${actor.name}`);
    this.log.info({ environment: name, by: actor.name }, 'build cancelled');
    return this.get(name);
  }

  /** Removes the image and everything recorded about it; refused while a server uses it. */
  async remove(name: string, actor: Actor): Promise<void> {
    if (this.reserved.has(name)) throw new EnvironmentError(409, `${name} is being fetched for a build: try again in a moment`);
    const env = await this.get(name);
    const users = [...new Set([...env.inUseBy, ...(await this.images.containerUsers(name).catch(toEnvironmentError))])].sort();
    if (users.length) {
      throw new EnvironmentError(409, `${name} is in use by ${users.join(', ')}: their servers must stop before it can be removed`, { users });
    }
    await this.builds.cancel(name, 'the environment was removed');
    if (env.imageId) {
      try {
        await this.images.remove(env.imageId);
      } catch (err) {
        if (err instanceof ImageError && err.status === 409) throw new EnvironmentError(409, `${name} is in use: ${err.message}`, { users: [] });
        toEnvironmentError(err);
      }
    }
    await this.images.pruneReplaced(name, null);
    await this.repo.deleteEnvironment(name);
    this.images.invalidate();
    this.log.info({ environment: name, by: actor.name }, 'environment removed');
  }

  async buildHistory(name: string): Promise<BuildView[]> {
    await this.get(name);
    return (await this.repo.buildsOf(name)).map((b) => this.builds.view(b));
  }

  /** The last build's log so far and, while it is queued or running, its live events. */
  async logFeed(name: string): Promise<{ build: BuildView | null; text: string; live: BuildEvents | null }> {
    const env = await this.get(name);
    if (!env.build) return { build: null, text: '', live: null };
    const stored = await this.repo.findBuild(env.build.id);
    const live = this.builds.follow(env.build.id);
    return { build: env.build, text: this.builds.liveText(env.build.id) ?? stored?.log ?? '', live };
  }

  // ---- permissions

  async permissions(): Promise<PermissionsView> {
    return this.access.view((await this.all()).map((e) => e.name));
  }

  async replacePermissions(body: unknown, actor: Actor): Promise<PermissionsView> {
    await this.access.replace(body, (await this.all()).map((e) => e.name));
    this.log.info({ by: actor.name }, 'environment permissions replaced');
    return this.permissions();
  }

  async grant(name: string, groups: unknown, actor: Actor): Promise<Environment> {
    await this.get(name);
    await this.access.grant(name, groups);
    this.log.info({ environment: name, groups, by: actor.name }, 'environment granted');
    return this.get(name);
  }

  async revoke(name: string, groups: unknown, actor: Actor): Promise<Environment> {
    await this.get(name);
    await this.access.revoke(name, groups);
    this.log.info({ environment: name, groups, by: actor.name }, 'environment revoked');
    return this.get(name);
  }

  // ---- starting servers

  /**
   * The check every start goes through: `{environment}` (or tljh-repo2docker's `{image}`) must name a built
   * environment (else 400, for admins too) that one of the user's groups may use (else 403; admins may use
   * all, builders the ones they built). Without either, the default or the user's only environment is used.
   */
  async resolveForSpawn(user: Actor, userOptions: Record<string, unknown>, userGroups: string[], required: boolean):
    Promise<{ environment?: SpawnEnvironment; userOptions: Record<string, unknown> }> {
    const { environment: byName, image: byImage, ...rest } = userOptions;
    if (byName !== undefined && typeof byName !== 'string') throw new EnvironmentError(400, 'environment must be a name', { field: 'environment' });
    if (byImage !== undefined && typeof byImage !== 'string') throw new EnvironmentError(400, 'image must be a string', { field: 'image' });
    if (!byName && !byImage && !required) return { userOptions: rest };
    const all = await this.all();
    const allowed = (e: Environment) => this.mayStart(user, e, userGroups);
    let env: Environment | undefined;
    if (byName || byImage) {
      env = byName ? all.find((e) => e.name === byName) : all.find((e) => e.image === byImage || e.imageId === byImage);
      const asked = (byName || byImage) as string;
      if (!env || !env.imageId) throw new EnvironmentError(400, `${JSON.stringify(asked.slice(0, 128))} is not a built environment on this hub`, { field: byName ? 'environment' : 'image' });
      if (!allowed(env)) throw new EnvironmentError(403, `you may not use the environment ${env.displayName}: it is not granted to any of your groups`, { field: 'environment' });
    } else {
      const usable = all.filter((e) => e.imageId && allowed(e));
      env = (this.env.default ? usable.find((e) => e.name === this.env.default) : undefined) ?? (usable.length === 1 ? usable[0] : undefined);
      if (!env) {
        throw new EnvironmentError(400, usable.length
          ? `choose an environment: one of ${usable.map((e) => e.name).join(', ')}`
          : 'no environment is available to you yet: ask your teacher or an administrator', { field: 'environment' });
      }
    }
    return {
      userOptions: { ...rest, environment: env.name },
      environment: {
        name: env.name, displayName: env.displayName, image: env.imageId!, folder: this.folderOf(env),
        memory: env.memory ?? undefined, cpu: env.cpu ?? undefined,
      },
    };
  }

  /** `~/<display name>/`; an image's display name that cannot be a folder (labelled elsewhere) falls back to its name. */
  private folderOf(env: Environment): string {
    try {
      return folderFor(env.displayName.slice(0, 64));
    } catch {
      return folderFor(env.name);
    }
  }

  async start(): Promise<void> {
    await this.builds.recover();
  }

  close(): Promise<void> {
    return this.builds.close();
  }
}

export { EnvironmentError, type Actor, type BuildView, type Environment } from './types.ts';
export type { PermissionsView } from './access.ts';
export type { BuildEvents } from './builds.ts';
