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
  // The hub holds every loaded chunk's source text in its heap for as long as it runs: without comments and
  // indentation that is a third smaller (names stay, so stack traces still read; dist/*.map maps the columns).
  minifyWhitespace: true,
  minifySyntax: true,
  // Licence notices go to dist/**/*.LEGAL.txt (shipped), not into the code: they are not all ASCII.
  legalComments: 'external',
  logLevel: 'warning',
  // Bundled CommonJS packages call require(): give the ES module output one.
  banner: { js: "// Built by scripts/build.mjs from src/ - edit the sources, not this file.\nimport { createRequire as __plasmaCreateRequire } from 'node:module';\nconst require = __plasmaCreateRequire(import.meta.url);" },
});
// One character outside ASCII anywhere in a chunk makes V8 keep that chunk's whole source two bytes a character.
for (const dir of ['dist', 'dist/chunks']) {
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.mjs'))) {
    const text = fs.readFileSync(`${dir}/${file}`, 'latin1');
    const at = text.search(/[^\x00-\x7f]/);
    if (at >= 0) throw new Error(`${dir}/${file}: a character outside ASCII at ${at} (${JSON.stringify(text.slice(Math.max(0, at - 40), at + 10))}); the banner and esbuild's output must stay ASCII`);
  }
}
// The local spawner's fork server is Python, run as a file (src/spawner/preload.ts finds it beside the chunks).
fs.copyFileSync('src/spawner/forkserver.py', 'dist/forkserver.py');
console.error(`dist/plasma.mjs built in ${Date.now() - started} ms`);
