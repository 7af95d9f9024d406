#!/usr/bin/env node
// Before the tests: builds the web UI when dist/ui is missing or older than a source file (a fresh clone, an edit).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = path.join(root, 'dist/ui/index.html');

function newest(dir) {
  let latest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(full) : fs.statSync(full).mtimeMs);
  }
  return latest;
}

/** The hub's own files the app imports (types and small shared functions such as src/ops/sizes.ts). */
function sharedSources(dir) {
  let latest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, sharedSources(full));
    else if (/\.tsx?$/.test(entry.name)) {
      for (const [, spec] of fs.readFileSync(full, 'utf8').matchAll(/from '((?:\.\.\/)+src\/[^']+)'/g)) {
        const target = path.resolve(path.dirname(full), spec);
        if (fs.existsSync(target)) latest = Math.max(latest, fs.statSync(target).mtimeMs);
      }
    }
  }
  return latest;
}

const sources = Math.max(newest(path.join(root, 'ui')), sharedSources(path.join(root, 'ui/src')), fs.statSync(path.join(root, 'package-lock.json')).mtimeMs);
const stale = !fs.existsSync(built) || fs.statSync(built).mtimeMs < sources;
if (stale) {
  console.log('# building the web UI (dist/ui)');
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'ui/vite.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
