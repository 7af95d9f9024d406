#!/usr/bin/env node
// Builds what a release runs: the CLI (hub, proxy and every command) bundled into dist/plasma.mjs, with
// npm packages left as imports. Each command loads its modules when it runs (dynamic imports in src/cli/), and
// those become chunks in dist/chunks/: `plasma --help` loads dist/plasma.mjs and commander only.
import fs from 'node:fs';
import { build } from 'esbuild';

// dockerode reads BuildKit's .proto files beside its own sources.
const EXTERNAL = ['better-sqlite3', '@node-rs/argon2', 'authenticate-pam', 'pino', 'thread-stream', 'dockerode'];

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
  // npm packages are bundled in too: Node resolves and loads hundreds of small module files slowly (kysely alone
  // took 100 ms, dockerode 110 ms), which a hub restart waited for. Native addons and packages that load files
  // by path at run time (pino's worker transports) stay imports.
  external: EXTERNAL,
  sourcemap: true,
  keepNames: true,
  logLevel: 'warning',
  // Bundled CommonJS packages call require(): give the ES module output one.
  banner: { js: "// Built by scripts/build.mjs from src/ — edit the sources, not this file.\nimport { createRequire as __plasmaCreateRequire } from 'node:module';\nconst require = __plasmaCreateRequire(import.meta.url);" },
});
console.error(`dist/plasma.mjs built in ${Date.now() - started} ms`);
