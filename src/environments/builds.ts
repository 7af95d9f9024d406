import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  BuildFailure, BuildInputError, imageNameFor, type Builder, type Credentials, type EnvironmentSettings, type RepositorySource,
} from '../builder/index.ts';
import type { PlasmaConfig } from '../config/index.ts';
import { nowIso, type BuildSummary, type EnvironmentRepo } from '../db/index.ts';
import type { Logger } from '../log/index.ts';
import { BuildLog } from './build-log.ts';
import type { ImageCatalogue } from './images.ts';
import type { BuildView } from './types.ts';

/**
 * The build queue: a build is recorded once its repository is fetched and checked, waits for a free slot
 * (environments.concurrency), then runs with its log kept in bounded memory, streamed live and saved to
 * the database every couple of seconds. Builds the hub was running when it stopped are failed on the next
 * start; queued ones (their checkout is on disk) run then.
 */

interface LiveBuild {
  log: BuildLog;
  abort: AbortController;
  progress: { step: number; total: number } | null;
  done?: Promise<void>;
}

export interface BuildEvents {
  /** Log text, a step, a status change and the end, as the log stream sends them. */
  on(event: 'text', fn: (text: string) => void): void;
  on(event: 'progress', fn: (p: { step: number; total: number; instruction: string }) => void): void;
  on(event: 'status', fn: (status: string) => void): void;
  on(event: 'end', fn: (outcome: { status: 'built' | 'failed'; error: string | null }) => void): void;
  off(event: string, fn: (...args: any[]) => void): void;
}

const SAVE_EVERY_MS = 2000;
/** Builds kept per environment: the history page's worth, not every rebuild of a semester. */
const KEEP_BUILDS = 20;

export class BuildManager {
  private readonly live = new Map<number, LiveBuild>();
  private readonly waiting: number[] = [];
  private running = 0;
  private closed = false;

  constructor(
    private readonly repo: EnvironmentRepo,
    private readonly builder: Builder,
    private readonly images: ImageCatalogue,
    private readonly config: PlasmaConfig['environments'],
    private readonly cacheDir: string,
    private readonly log: Logger,
  ) {}

  private newLog(secrets: string[] = []): BuildLog {
    return new BuildLog(this.config.log_head_kb * 1024, this.config.log_tail_kb * 1024, secrets);
  }

  /** Fetches and checks the repository (a BuildInputError for bad input), then records and queues the build. */
  async submit(settings: EnvironmentSettings, source: RepositorySource, options: { credentials?: Credentials; requestedBy: string; noCache: boolean; imagePrefix: string }) {
    const workDir = path.join(this.cacheDir, crypto.randomUUID());
    fs.mkdirSync(workDir, { recursive: true, mode: 0o700 });
    const log = this.newLog(options.credentials ? [options.credentials.password] : []);
    let prepared;
    try {
      prepared = await this.builder.prepare({ source, ref: settings.ref, credentials: options.credentials, workDir, log: (l) => log.line(l) });
    } catch (err) {
      fs.rmSync(workDir, { recursive: true, force: true });
      throw err;
    }
    log.line(`Found ${prepared.summary}`);
    for (const note of prepared.notes) log.line(`Note: ${note}`);
    const image = imageNameFor(options.imagePrefix, settings.name, settings.ref);
    const row = await this.repo.insertBuild({
      environment: settings.name, settings: JSON.stringify(settings), image, requestedBy: options.requestedBy, noCache: options.noCache, workDir,
    });
    await this.repo.updateBuild(row.id, { commit_sha: prepared.commit, log: log.text(), log_bytes: log.bytes });
    this.live.set(row.id, { log, abort: new AbortController(), progress: null });
    this.log.info({ environment: settings.name, build: row.id, by: options.requestedBy, commit: prepared.commit }, 'build queued');
    this.enqueue(row.id);
    return (await this.repo.findBuild(row.id))!;
  }

  private enqueue(id: number): void {
    this.waiting.push(id);
    this.pump();
  }

  private pump(): void {
    while (!this.closed && this.running < this.config.concurrency && this.waiting.length) {
      const id = this.waiting.shift()!;
      this.running++;
      for (const waiting of this.waiting) this.live.get(waiting)?.log.emit('status', 'queued');
      const done = this.run(id)
        .catch((err) => this.log.error({ err, build: id }, 'build runner failed'))
        .finally(() => {
          this.running--;
          this.pump();
        });
      const entry = this.live.get(id);
      if (entry) entry.done = done;
    }
  }

  private async run(id: number): Promise<void> {
    const row = await this.repo.findBuild(id);
    if (!row || row.status !== 'queued') return;
    let entry = this.live.get(id);
    if (!entry) {
      entry = { log: this.newLog(), abort: new AbortController(), progress: null };
      entry.log.append(row.log);
      this.live.set(id, entry);
    }
    const { log, abort } = entry;
    const settings = JSON.parse(row.settings) as EnvironmentSettings;
    await this.repo.updateBuild(id, { status: 'building', started_at: nowIso() });
    log.emit('status', 'building');
    this.log.info({ environment: settings.name, build: id }, 'build started');
    const save = setInterval(() => void this.repo.updateBuild(id, { log: log.text(), log_bytes: log.bytes }).catch(() => undefined), SAVE_EVERY_MS);
    const timeout = AbortSignal.timeout(this.config.build_timeout * 1000);
    const signal = AbortSignal.any([abort.signal, timeout]);
    let outcome: { status: 'built' | 'failed'; error: string | null };
    try {
      const { imageId } = await this.builder.build({
        settings, image: row.image, commit: row.commit_sha ?? '', checkoutDir: path.join(row.work_dir ?? '', 'repo'),
        owner: row.requested_by, noCache: !!row.no_cache, signal,
        onText: (text) => log.append(text),
        onStep: (step, total, instruction) => {
          entry!.progress = { step, total };
          log.emit('progress', { step, total, instruction });
          void this.repo.updateBuild(id, { step, total_steps: total }).catch(() => undefined);
        },
      });
      await this.repo.updateBuild(id, { status: 'built', image_id: imageId, finished_at: nowIso() });
      log.line(`Built ${row.image} (${imageId.replace(/^sha256:/, '').slice(0, 12)})`);
      this.images.invalidate();
      await this.images.pruneReplaced(settings.name, imageId);
      outcome = { status: 'built', error: null };
      this.log.info({ environment: settings.name, build: id, image: row.image }, 'build finished');
    } catch (err) {
      let message: string;
      if (timeout.aborted) message = `the build took longer than environments.build_timeout (${this.config.build_timeout} s)`;
      else if (err instanceof BuildFailure || err instanceof BuildInputError) message = err.message;
      else message = `internal error: ${(err as Error).message}`;
      log.line(`Build failed: ${message}`);
      await this.repo.updateBuild(id, { status: 'failed', error: message, finished_at: nowIso() });
      outcome = { status: 'failed', error: message };
      this.log.warn({ environment: settings.name, build: id, error: message }, 'build failed');
    } finally {
      clearInterval(save);
    }
    await this.repo.updateBuild(id, { log: log.text(), log_bytes: log.bytes, work_dir: null });
    await this.repo.pruneBuilds(row.environment, KEEP_BUILDS);
    if (row.work_dir) fs.rmSync(row.work_dir, { recursive: true, force: true });
    this.live.delete(id);
    log.emit('end', outcome);
  }

  /** The live log of a queued or running build, to follow. */
  follow(id: number): BuildEvents | null {
    return this.live.get(id)?.log ?? null;
  }

  liveText(id: number): string | null {
    return this.live.get(id)?.log.text() ?? null;
  }

  view(build: BuildSummary): BuildView {
    const live = this.live.get(build.id);
    const position = this.waiting.indexOf(build.id);
    const progress = live?.progress ?? (build.step && build.total_steps ? { step: build.step, total: build.total_steps } : null);
    return {
      id: build.id, status: build.status, requestedBy: build.requested_by, queuedAt: build.queued_at, startedAt: build.started_at,
      finishedAt: build.finished_at, commit: build.commit_sha, error: build.error, progress,
      queuePosition: position >= 0 ? position + 1 : null, noCache: !!build.no_cache,
    };
  }

  /** Stops every queued or running build of an environment (before it is removed). */
  async cancel(environment: string, reason: string): Promise<void> {
    for (const build of await this.repo.buildsWithStatus(['queued', 'building'])) {
      if (build.environment !== environment) continue;
      const index = this.waiting.indexOf(build.id);
      if (index >= 0) this.waiting.splice(index, 1);
      const live = this.live.get(build.id);
      if (live && build.status === 'building') {
        live.abort.abort(reason);
        await live.done;
      } else {
        await this.repo.updateBuild(build.id, { status: 'failed', error: reason, finished_at: nowIso(), work_dir: null });
        if (build.work_dir) fs.rmSync(build.work_dir, { recursive: true, force: true });
        this.live.delete(build.id);
        live?.log.emit('end', { status: 'failed', error: reason });
      }
    }
  }

  /** After a start: builds that were running are failed (their image was never tagged); queued ones run. */
  async recover(): Promise<void> {
    for (const build of await this.repo.buildsWithStatus(['building'])) {
      const error = 'interrupted: the hub stopped during this build; rebuild it';
      await this.repo.updateBuild(build.id, { status: 'failed', error, finished_at: nowIso(), work_dir: null });
      if (build.work_dir) fs.rmSync(build.work_dir, { recursive: true, force: true });
      this.log.warn({ environment: build.environment, build: build.id }, 'build interrupted by a hub restart: marked failed');
    }
    for (const build of await this.repo.buildsWithStatus(['queued'])) {
      if (build.work_dir && fs.existsSync(path.join(build.work_dir, 'repo'))) {
        this.enqueue(build.id);
      } else {
        await this.repo.updateBuild(build.id, { status: 'failed', error: 'its checkout was lost while it waited; rebuild it', finished_at: nowIso() });
      }
    }
    // Checkouts no build refers to any more (a crash between fetch and record).
    const kept = new Set((await this.repo.buildsWithStatus(['queued'])).map((b) => b.work_dir));
    for (const dir of fs.existsSync(this.cacheDir) ? fs.readdirSync(this.cacheDir) : []) {
      const full = path.join(this.cacheDir, dir);
      if (!kept.has(full)) fs.rmSync(full, { recursive: true, force: true });
    }
  }

  /** Running builds are stopped and recorded as failed; queued ones stay queued for the next start. */
  async close(): Promise<void> {
    this.closed = true;
    const running = [...this.live.values()].filter((b) => b.done);
    for (const b of running) b.abort.abort('the hub was stopped during this build; rebuild it');
    await Promise.race([Promise.all(running.map((b) => b.done)), new Promise((r) => setTimeout(r, 10_000).unref())]);
  }
}
