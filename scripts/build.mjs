#!/usr/bin/env node
// Builds what a release runs: the CLI (hub, proxy and every command) bundled into dist/plasma.mjs, with
// npm packages left as imports. Each command loads its modules when it runs (dynamic imports in src/cli/), and
// those become chunks in dist/chunks/: `plasma --help` loads dist/plasma.mjs and commander only.
import fs from 'node:fs';
import { build } from 'esbuild';

const started = Date.now();
// Chunks are named by their hash: old ones would pile up (dist/ui is the web UI's, left alone).
fs.rmSync('dist/chunks', { recursive: true, force: true });
await build({
  entryPoints: { plasma: 'src/cli/main.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: true,
  keepNames: true,
  logLevel: 'warning',
  banner: { js: '// Built by scripts/build.mjs from src/ — edit the sources, not this file.' },
});
console.error(`dist/plasma.mjs built in ${Date.now() - started} ms`);
