import type { Readable } from 'node:stream';
import type Docker from 'dockerode';

/**
 * One `POST /build` through the Docker Engine API (the classic builder, which dockerd runs without a
 * BuildKit session). The reply is a stream of JSON messages: log text, step headers, errors, the image id.
 * The labels are the Dockerfile's last step, so an image is labelled the moment it exists, never after;
 * if the request is cut (the hub dies, the build is cancelled), dockerd stops the build and tags nothing.
 */

export interface EngineBuild {
  context: Readable;
  tag: string;
  /** Path of the Dockerfile inside the context. */
  dockerfile: string;
  buildArgs: Record<string, string>;
  network: string;
  noCache: boolean;
  signal: AbortSignal;
  onText(text: string): void;
  onStep(step: number, total: number, instruction: string): void;
}

export class BuildFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BuildFailure';
  }
}

const STEP = /^Step (\d+)\/(\d+) : (.*)$/m;

export async function runEngineBuild(docker: Docker, build: EngineBuild): Promise<string> {
  let response: NodeJS.ReadableStream;
  try {
    response = await docker.buildImage(build.context, {
      t: build.tag,
      dockerfile: build.dockerfile,
      buildargs: build.buildArgs,
      networkmode: build.network,
      nocache: build.noCache,
      rm: true,
      forcerm: true,
      pull: false,
      version: '1',
      abortSignal: build.signal,
    } as Docker.ImageBuildOptions);
  } catch (err) {
    if (build.signal.aborted) throw new BuildFailure(String(build.signal.reason ?? 'the build was cancelled'));
    throw new BuildFailure(`Docker refused the build: ${(err as Error).message}`);
  }
  return new Promise<string>((resolve, reject) => {
    let pending = '';
    let imageId = '';
    let failure: string | null = null;
    const handle = (message: { stream?: string; error?: string; errorDetail?: { message?: string }; aux?: { ID?: string } }) => {
      if (message.stream) {
        const step = STEP.exec(message.stream);
        if (step) build.onStep(Number(step[1]), Number(step[2]), step[3]);
        const built = /^Successfully built ([0-9a-f]{12,64})$/m.exec(message.stream);
        if (built && !imageId) imageId = built[1];
        build.onText(message.stream);
      }
      if (message.aux?.ID) imageId = message.aux.ID;
      if (message.error) {
        failure = message.errorDetail?.message ?? message.error;
        build.onText(`${failure}\n`);
      }
    };
    response.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline).trim();
        pending = pending.slice(newline + 1);
        if (!line) continue;
        try {
          handle(JSON.parse(line));
        } catch {
          build.onText(`${line}\n`);
        }
      }
    });
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      if (build.signal.aborted) return reject(new BuildFailure(String(build.signal.reason ?? 'the build was cancelled')));
      if (failure) return reject(new BuildFailure(failure));
      if (err) return reject(new BuildFailure(`the connection to Docker broke during the build: ${err.message}`));
      if (!imageId) return reject(new BuildFailure('Docker finished the build without an image'));
      resolve(imageId);
    };
    response.on('error', finish);
    response.on('end', () => finish());
    // A destroyed stream (the build cancelled) only closes: no 'end' and no 'error' follow.
    response.on('close', () => finish(new Error('the stream closed before the build finished')));
    build.signal.addEventListener('abort', () => (response as Readable).destroy?.(), { once: true });
  });
}
