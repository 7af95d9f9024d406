#!/usr/bin/env node
// A release runs the bundled JavaScript (dist/, made by `npm run build`); a checkout runs the TypeScript
// sources through tsx, so editing them needs no build step. PLASMA_COMPILED=1 runs dist/ in a checkout.
import fs from 'node:fs';

const compiled = new URL('../dist/plasma.mjs', import.meta.url);
const sources = new URL('../src/cli/main.ts', import.meta.url);
if (fs.existsSync(compiled) && (!fs.existsSync(sources) || process.env.PLASMA_COMPILED === '1')) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(sources.href);
}
