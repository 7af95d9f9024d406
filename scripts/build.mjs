#!/usr/bin/env node
// Builds what a release runs: the CLI (hub, proxy and every command) bundled into dist/plasma.mjs, with
// npm packages left as imports. One file to load makes every command start faster than through tsx.
import { build } from 'esbuild';

const started = Date.now();
await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/plasma.mjs',
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
