import type { FastifyReply } from 'fastify';
import type { BuildEvents, BuildView } from '../../environments/index.ts';
import { JUPYTERHUB_VERSION } from '../http.ts';

/**
 * A build's log as server-sent events (tljh-repo2docker's phases: log, then built or error, plus Plasma's
 * progress and status). A slow reader never makes the hub buffer without bound: past a cap, log text is
 * dropped for that reader, and it is told how much.
 */

const CHUNK = 64 * 1024;
const MAX_BUFFERED = 4 * 1024 * 1024;
const KEEPALIVE_MS = 15_000;

export async function streamBuildLog(reply: FastifyReply, feed: { build: BuildView | null; text: string; live: BuildEvents | null }): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-cache',
    'X-Accel-Buffering': 'no',
    'X-JupyterHub-Version': JUPYTERHUB_VERSION,
  });
  const send = (event: Record<string, unknown>) => res.write(`data: ${JSON.stringify(event)}\n\n`);
  let skipped = 0;
  const sendText = (text: string) => {
    if (res.writableLength > MAX_BUFFERED) {
      skipped += text.length;
      return;
    }
    if (skipped) {
      send({ phase: 'log', message: `\n[… ${skipped} characters not sent: this connection is slower than the build …]\n` });
      skipped = 0;
    }
    for (let i = 0; i < text.length; i += CHUNK) send({ phase: 'log', message: text.slice(i, i + CHUNK) });
  };
  const { build, live } = feed;
  if (build && (build.status === 'queued' || build.status === 'building')) {
    send({ phase: 'status', status: build.status, queue_position: build.queuePosition });
  }
  if (build?.progress) send({ phase: 'progress', step: build.progress.step, total: build.progress.total });
  sendText(feed.text);
  if (!build) {
    send({ phase: 'error', message: 'this environment has no build record (it was found as an image on this host)' });
    return void res.end();
  }
  if (!live) {
    send(build.status === 'built' ? { phase: 'built', message: 'built' } : { phase: 'error', message: build.error ?? 'the build failed' });
    return void res.end();
  }
  await new Promise<void>((resolve) => {
    const onText = (text: string) => sendText(text);
    const onProgress = (p: { step: number; total: number; instruction: string }) => send({ phase: 'progress', step: p.step, total: p.total, message: `Step ${p.step}/${p.total} : ${p.instruction}` });
    const onStatus = (status: string) => send({ phase: 'status', status });
    const onEnd = (outcome: { status: 'built' | 'failed'; error: string | null }) => {
      send(outcome.status === 'built' ? { phase: 'built', message: 'built' } : { phase: 'error', message: outcome.error ?? 'the build failed' });
      res.end();
      finish();
    };
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    const finish = () => {
      clearInterval(keepalive);
      live.off('text', onText);
      live.off('progress', onProgress);
      live.off('status', onStatus);
      live.off('end', onEnd);
      resolve();
    };
    live.on('text', onText);
    live.on('progress', onProgress);
    live.on('status', onStatus);
    live.on('end', onEnd);
    res.on('close', finish);
  });
}
