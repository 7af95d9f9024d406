import type { Command } from 'commander';
import YAML from 'yaml';
import { ConfigEditor, parseValue } from '../config/edit.ts';
import { loadConfig, resolvePaths } from '../config/index.ts';

/** `plasma config …`: tljh-config's verbs over <prefix>/config/config.yaml. */
export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('show or change <prefix>/config/config.yaml (validated before saving)');
  const editor = () => new ConfigEditor(resolvePaths().configFile);
  const edit = (fn: (e: ConfigEditor) => void, done: string) => {
    const e = editor();
    fn(e);
    e.save();
    console.log(`${done}; restart the hub (and proxy, for proxy.*) to apply it`);
  };

  config.command('show')
    .option('--effective', 'show every key with its default filled in')
    .action((opts: { effective?: boolean }) => {
      process.stdout.write(opts.effective ? YAML.stringify(loadConfig()) : editor().toString());
    });
  config.command('set').argument('<key>').argument('<value>')
    .action((key: string, value: string) => edit((e) => e.set(key, parseValue(value)), `set ${key}`));
  config.command('unset').argument('<key>')
    .action((key: string) => edit((e) => e.unset(key), `unset ${key}`));
  config.command('add-item').argument('<key>').argument('<value>')
    .action((key: string, value: string) => edit((e) => e.addItem(key, parseValue(value)), `added to ${key}`));
  config.command('remove-item').argument('<key>').argument('<value>')
    .action((key: string, value: string) => edit((e) => e.removeItem(key, parseValue(value)), `removed from ${key}`));
}
