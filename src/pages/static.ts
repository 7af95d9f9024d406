import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { acceptsGzip } from './compress.ts';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2', '.png': 'image/png', '.json': 'application/json',
};
const COMPRESSIBLE = new Set(['.js', '.css', '.svg', '.json']);

interface Asset {
  body: Buffer;
  gzip: Buffer | null;
  type: string;
}

/**
 * The built app's hashed assets under <hub>static/ui/assets/: their names change with their content, so they are
 * cached for a year. Read and compressed once, on first use.
 */
export function registerStaticAssets(app: FastifyInstance, hubPrefix: string, assetsDir: string): void {
  const cache = new Map<string, Asset | null>();
  const load = (name: string): Asset | null => {
    if (cache.has(name)) return cache.get(name)!;
    let asset: Asset | null = null;
    try {
      const body = fs.readFileSync(path.join(assetsDir, name));
      const ext = path.extname(name);
      asset = { body, type: TYPES[ext] ?? 'application/octet-stream', gzip: COMPRESSIBLE.has(ext) ? zlib.gzipSync(body, { level: 9 }) : null };
    } catch {
      asset = null;
    }
    if (cache.size < 1000) cache.set(name, asset);
    return asset;
  };
  app.get<{ Params: { file: string } }>(`${hubPrefix}static/ui/assets/:file`, async (req, reply) => {
    const name = req.params.file;
    // Vite's names only: no path, no dot files.
    const asset = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name) ? load(name) : null;
    if (!asset) return reply.code(404).type('text/plain').send('Not Found');
    reply.type(asset.type).header('Cache-Control', 'public, max-age=31536000, immutable').header('Vary', 'Accept-Encoding')
      .header('X-Content-Type-Options', 'nosniff');
    if (asset.gzip && acceptsGzip(req)) return reply.header('Content-Encoding', 'gzip').send(asset.gzip);
    return reply.send(asset.body);
  });
}
