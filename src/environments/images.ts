import type Docker from 'dockerode';
import { readEnvironmentLabels, type ImageFacts } from '../builder/index.ts';

/**
 * Environment images as Docker has them: the catalogue's source of truth. An image counts only under the
 * tag its labels name, so images that merely inherit an environment's labels (built FROM it, or the
 * untagged steps of a build) are never taken for the environment itself.
 */

export interface EnvironmentImage extends ImageFacts {
  id: string;
  size: number;
  created: string;
}

export class ImageError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

function isDaemonDown(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'EACCES' || code === 'ECONNRESET';
}

export class ImageCatalogue {
  private cached: { at: number; images: Promise<EnvironmentImage[]> } | null = null;

  /**
   * `imagePrefix`: Plasma's images count when their tag starts with it (environments.image_prefix), so hubs
   * that share a Docker host keep their catalogues apart; tljh-repo2docker's images have no such prefix.
   */
  constructor(private readonly docker: Docker, private readonly imagePrefix: string, private readonly cacheMs = 2000) {}

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isDaemonDown(err)) throw new ImageError(`Docker is not available (${what}): ${(err as Error).message}`, 503);
      throw err;
    }
  }

  invalidate(): void {
    this.cached = null;
  }

  /** Every environment image on this host (cached for a moment: listings and spawn checks ask often). */
  list(): Promise<EnvironmentImage[]> {
    if (this.cached && Date.now() - this.cached.at < this.cacheMs) return this.cached.images;
    const images = this.load();
    this.cached = { at: Date.now(), images };
    images.catch(() => (this.cached = null));
    return images;
  }

  private async load(): Promise<EnvironmentImage[]> {
    const [plasma, tljh] = await this.call('listing images', () => Promise.all([
      this.docker.listImages({ filters: { label: ['plasma.environment.name'] } }),
      this.docker.listImages({ filters: { label: ['tljh_repo2docker.image_name'] } }),
    ]));
    const seen = new Set<string>();
    const out: EnvironmentImage[] = [];
    for (const info of [...plasma, ...tljh]) {
      if (seen.has(info.Id)) continue;
      seen.add(info.Id);
      const facts = readEnvironmentLabels(info.Labels);
      if (!facts || !(info.RepoTags ?? []).includes(facts.image)) continue;
      if (facts.source === 'plasma' && !facts.image.startsWith(this.imagePrefix)) continue;
      out.push({ ...facts, id: info.Id, size: info.Size, created: new Date(info.Created * 1000).toISOString() });
    }
    // tljh-repo2docker keeps one image per name and ref: give each its own name when a name repeats.
    const count = new Map<string, number>();
    for (const image of out) count.set(image.name, (count.get(image.name) ?? 0) + 1);
    for (const image of out) {
      if (image.source === 'tljh-repo2docker' && (count.get(image.name) ?? 0) > 1) {
        image.name = `${image.name}-${image.image.split(':').pop()!.toLowerCase().replace(/[^a-z0-9_-]/g, '-')}`.slice(0, 63);
      }
    }
    // Names are [a-z0-9_-]: a plain comparison (localeCompare would page in ICU's collation data for good).
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Removes an image by id (its tags with it); a container that still uses it makes this a 409. */
  async remove(id: string): Promise<void> {
    await this.call('removing the image', async () => {
      try {
        await this.docker.getImage(id).remove();
      } catch (err) {
        const status = (err as { statusCode?: number }).statusCode;
        if (status === 404) return;
        if (status === 409) throw new ImageError(`the image is still used by a container: ${(err as Error).message}`, 409);
        throw err;
      }
    });
    this.invalidate();
  }

  /**
   * Older images of an environment that rebuilds replaced (untagged now), removed once no container uses
   * them; one a server still runs on stays until a later build or the environment's removal.
   */
  async pruneReplaced(environment: string, keepId: string | null): Promise<void> {
    const old = await this.docker.listImages({ filters: { label: [`plasma.environment.name=${environment}`], dangling: ['true'] } }).catch(() => []);
    for (const image of old) {
      if (image.Id === keepId) continue;
      await this.docker.getImage(image.Id).remove().catch(() => undefined);
    }
  }

  /** Users with a running Plasma container made from this environment (found even if the database lost it). */
  async containerUsers(environment: string): Promise<string[]> {
    const containers = await this.call('listing containers', () => this.docker.listContainers({
      filters: { label: ['plasma.managed=true', `plasma.environment=${environment}`] },
    }));
    return [...new Set(containers.map((c) => c.Labels['plasma.user']).filter(Boolean))].sort();
  }
}
