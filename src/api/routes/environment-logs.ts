import type { FastifyReply } from 'fastify';
import type { BuildEvents, BuildView } from '../../environments/index.ts';
import { openEventStream } from '../event-stream.ts';

/**
 * A build's log as server-sent events (tljh-repo2docker's phases: log, then built or error, plus Plasma's
 * progress and status). A slow reader never makes the hub buffer without bound: past a cap, log text is
 * dropped for that reader, and it is told how much.
 */

const CHUNK = 64 * 1024;
const MAX_BUFFERED = 1024 * 1024;
const KEEPALIVE_MS = 15_000;
/** Live text is sent in batches: a chatty build writes hundreds of thousands of short lines. */
const FLUSH_MS = 50;

export async function streamBuildLog(reply: FastifyReply, feed: { build: BuildView | null; text: string; live: BuildEvents | null }): Promise<void> {
  const stream = openEventStream(reply);
  const send = stream.send;
  let skipped = 0;
  const sendText = (text: string) => {
    if (stream.buffered > MAX_BUFFERED) {
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
    return stream.end();
  }
  if (!live) {
    send(build.status === 'built' ? { phase: 'built', message: 'built' } : { phase: 'error', message: build.error ?? 'the build failed' });
    return stream.end();
  }
  let batch: string[] = [];
  let batched = 0;
  let timer: NodeJS.Timeout | null = null;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (batch.length) sendText(batch.join(''));
    batch = [];
    batched = 0;
  };
  const onText = (text: string) => {
    batch.push(text);
    batched += text.length;
    if (batched >= CHUNK) flush();
    else timer ??= setTimeout(flush, FLUSH_MS);
  };
  const onProgress = (p: { step: number; total: number; instruction: string }) => {
    flush();
    send({ phase: 'progress', step: p.step, total: p.total, message: `Step ${p.step}/${p.total} : ${p.instruction}` });
  };
  const onStatus = (status: string) => {
    flush();
    send({ phase: 'status', status });
  };
  const onEnd = (outcome: { status: 'built' | 'failed'; error: string | null }) => {
    flush();
    send(outcome.status === 'built' ? { phase: 'built', message: 'built' } : { phase: 'error', message: outcome.error ?? 'the build failed' });
    stream.end();
  };
  live.on('text', onText);
  live.on('progress', onProgress);
  live.on('status', onStatus);
  live.on('end', onEnd);
  await stream.untilClosed(KEEPALIVE_MS, () => {
    if (timer) clearTimeout(timer);
    live.off('text', onText);
    live.off('progress', onProgress);
    live.off('status', onStatus);
    live.off('end', onEnd);
  });
}
