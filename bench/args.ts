import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * A bench's flags. `--help` prints the bench's own header comment, which says what it measures, against what, and
 * how to run it (with an example), so the usage is written once, where the bench is.
 */
export function benchArgs<O extends Options>(moduleUrl: string, options: O): ReturnType<typeof parseArgs<{ options: O }>>['values'] {
  const { values } = parseArgs({ options: { ...options, help: { type: 'boolean', short: 'h' } } });
  if ((values as { help?: boolean }).help) {
    const source = fs.readFileSync(fileURLToPath(moduleUrl), 'utf8');
    const header = /^\/\*\*([\s\S]*?)\*\//.exec(source)?.[1] ?? '';
    process.stdout.write(`${header.split('\n').map((line) => line.replace(/^ \* ?| \*$/, '')).join('\n').trim()}\n`);
    process.exit(0);
  }
  return values as ReturnType<typeof parseArgs<{ options: O }>>['values'];
}
