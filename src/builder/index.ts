import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { dockerClient } from '../system/docker-client.ts';
import type { PlasmaConfig } from '../config/index.ts';
import { buildContext } from './context.ts';
import { detectRepository, type RepoPlan } from './detect.ts';
import { BuildFailure, runEngineBuild } from './docker-build.ts';
import { fetchRepository } from './git.ts';
import type { Credentials, RepositorySource } from './input.ts';
import { environmentLabels, labelInstruction, type EnvironmentSettings } from './labels.ts';
import { NOTEBOOK_USER, renderDockerfile, type RenderedBuild } from './render.ts';

/**
 * The repo2docker-compatible builder: fetch a repository (prepare), then turn the checkout into a labelled
 * image (build). The two halves are separate so that bad repositories are refused before anything is
 * queued, and so a queued build survives a hub restart (its checkout is on disk, its settings in the
 * database; credentials are used by the fetch alone and kept nowhere).
 */

export interface PrepareRequest {
  source: RepositorySource;
  ref: string;
  credentials?: Credentials;
  /** A folder of this build's own; the checkout goes in `<workDir>/repo`. */
  workDir: string;
  log(line: string): void;
  signal?: AbortSignal;
}

export interface PreparedCheckout {
  commit: string;
  checkoutDir: string;
  /** What the repository asks for, in a line (for the log). */
  summary: string;
  notes: string[];
}

export interface BuildRequest {
  settings: EnvironmentSettings;
  image: string;
  commit: string;
  checkoutDir: string;
  owner: string;
  noCache: boolean;
  signal: AbortSignal;
  onText(text: string): void;
  onStep(step: number, total: number, instruction: string): void;
}

export interface Builder {
  prepare(request: PrepareRequest): Promise<PreparedCheckout>;
  build(request: BuildRequest): Promise<{ imageId: string }>;
  /** The Dockerfile and extra context files a checkout would build with (for `docker build` comparisons). */
  render(checkoutDir: string, settings: EnvironmentSettings): { plan: RepoPlan; rendered: RenderedBuild | null };
}

export const PLASMA_VERSION = '0.1.0';

/** `<prefix><name>:<ref>` (tljh-repo2docker's image names); long refs (commits) are cut to 7 characters. */
export function imageNameFor(prefix: string, name: string, ref: string): string {
  let tag = ref.length >= 40 ? ref.slice(0, 7) : ref;
  tag = tag.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[.-]+/, '').slice(0, 128) || 'HEAD';
  return `${prefix}${name}:${tag}`;
}

function describe(plan: RepoPlan): string {
  if (plan.dockerfile) return `${plan.dockerfile}, built as is`;
  const parts = [
    plan.apt.length && `apt.txt (${plan.apt.length} package${plan.apt.length === 1 ? '' : 's'})`,
    plan.python && `${plan.python.from} (${plan.python.lines.length} line${plan.python.lines.length === 1 ? '' : 's'})`,
    plan.pythonPackage && `a Python package (${plan.pythonPackage})`,
    plan.condaFile,
    plan.r && `R${plan.r.installR ? ` with ${plan.r.installR}` : ''}${plan.r.description ? ' and DESCRIPTION' : ''}`,
    plan.juliaProject,
    plan.postBuild,
    plan.start,
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'no configuration files: the base environment with the repository\'s files';
}

export class DockerBuilder implements Builder {
  private readonly docker: Docker;

  constructor(private readonly config: PlasmaConfig, docker?: Docker) {
    this.docker = docker ?? dockerClient({ socketPath: config.spawner.docker.socket });
  }

  private get env() {
    return this.config.environments;
  }

  private detect(dir: string): RepoPlan {
    return detectRepository(dir, { condaConfigured: !!this.env.conda, juliaConfigured: !!this.env.julia_apt_package });
  }

  async prepare(request: PrepareRequest): Promise<PreparedCheckout> {
    const checkoutDir = path.join(request.workDir, 'repo');
    fs.rmSync(checkoutDir, { recursive: true, force: true });
    const fetched = await fetchRepository({
      source: request.source, ref: request.ref, dest: checkoutDir, authDir: path.join(request.workDir, 'auth'),
      credentials: request.credentials, localRoots: this.env.local_roots, timeoutMs: this.env.fetch_timeout * 1000,
      maxBytes: this.env.max_repo_mb * 1024 * 1024, log: request.log, signal: request.signal,
    });
    const plan = this.detect(checkoutDir);
    return { commit: fetched.commit, checkoutDir, summary: describe(plan), notes: plan.notes };
  }

  render(checkoutDir: string, settings: EnvironmentSettings): { plan: RepoPlan; rendered: RenderedBuild | null } {
    const plan = this.detect(checkoutDir);
    if (plan.dockerfile) return { plan, rendered: null };
    return {
      plan,
      rendered: renderDockerfile(plan, {
        baseImage: this.env.base_image, notebookUser: NOTEBOOK_USER, aptMirror: this.env.apt_mirror,
        pipIndexUrl: this.env.pip_index_url, conda: this.env.conda, juliaPackage: this.env.julia_apt_package,
        buildArgNames: Object.keys(settings.buildArgs),
      }),
    };
  }

  /** Build arguments Plasma passes besides the teacher's: package sources for offline sites. */
  private sourceArgs(): Record<string, string> {
    const args: Record<string, string> = {};
    if (this.env.pip_index_url) {
      args.PIP_INDEX_URL = this.env.pip_index_url;
      const url = new URL(this.env.pip_index_url);
      if (url.protocol === 'http:') args.PIP_TRUSTED_HOST = url.hostname;
    }
    if (this.env.apt_mirror) args.PLASMA_APT_MIRROR = this.env.apt_mirror;
    return args;
  }

  async build(request: BuildRequest): Promise<{ imageId: string }> {
    const { plan, rendered } = this.render(request.checkoutDir, request.settings);
    request.onText(`Building ${request.image} from ${describe(plan)}\n`);
    for (const note of plan.notes) request.onText(`Note: ${note}\n`);
    const labels = environmentLabels(request.settings, {
      image: request.image, commit: request.commit, owner: request.owner, builtAt: new Date().toISOString(), version: PLASMA_VERSION,
    });
    // The labels end the Dockerfile as one step; a Dockerfile repository's own file gets them appended in a copy.
    let dockerfile = 'Dockerfile';
    const files: Record<string, string> = {};
    if (rendered) {
      Object.assign(files, rendered.files, { Dockerfile: `${rendered.dockerfile}${labelInstruction(labels)}\n` });
    } else {
      const own = fs.readFileSync(path.join(request.checkoutDir, plan.dockerfile!), 'utf8');
      const escape = /^#\s*escape\s*=\s*`/m.test(own.split(/\n(?!\s*#)/)[0] ?? '') ? '`' : '\\';
      dockerfile = '.plasma-build/Dockerfile';
      files[dockerfile] = `${own.replace(/\s*$/, '')}\n${labelInstruction(labels, escape)}\n`;
    }
    const context = buildContext({ repoDir: request.checkoutDir, repoPrefix: rendered ? 'src' : '', files });
    const imageId = await runEngineBuild(this.docker, {
      context: context.stream,
      tag: request.image,
      dockerfile,
      buildArgs: { ...(rendered ? this.sourceArgs() : {}), ...request.settings.buildArgs },
      network: this.env.build_network,
      noCache: request.noCache,
      signal: request.signal,
      onText: request.onText,
      onStep: request.onStep,
    });
    return { imageId };
  }
}

export { BuildFailure };
export * from './input.ts';
export { readEnvironmentLabels, type EnvironmentSettings, type ImageFacts } from './labels.ts';
