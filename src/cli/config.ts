import type { Command } from 'commander';
import { resolveKey, TLJH_ALIASES } from '../config/reload.ts';

// The config schema, YAML and the database load when a command runs: `plasma --help` needs commander only.
const editing = async () => {
  const [{ ConfigEditor, parseValue }, { loadConfig, resolvePaths }, { default: YAML }] = await Promise.all([
    import('../config/edit.ts'), import('../config/index.ts'), import('yaml'),
  ]);
  return { editor: () => new ConfigEditor(resolvePaths().configFile), parseValue, loadConfig, YAML };
};

const SECRET_KEYS = /^(bind_password|client_secret|auth_token|dummy_password)$/;

/** Secrets stay out of what `config show` prints (they are in the file, readable by root only). */
function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEYS.test(k) && typeof v === 'string' ? '[hidden]' : redact(v)]));
  }
  return value;
}

const ALIASES_HELP = `\ntljh-config's keys work too: ${Object.entries(TLJH_ALIASES).map(([a, k]) => `${a} (${k})`).join(', ')}.`;

/** `plasma config …`: tljh-config's verbs over <prefix>/config/config.yaml, and `reload` to apply it live. */
export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('show or change <prefix>/config/config.yaml (validated before saving)')
    .addHelpText('after', `\nExamples:\n  plasma config set limits.memory 1G && plasma config reload\n  plasma config add-item users.banned alice${ALIASES_HELP}`);
  type Editor = ReturnType<Awaited<ReturnType<typeof editing>>['editor']>;
  type Parse = Awaited<ReturnType<typeof editing>>['parseValue'];
  const edit = async (typed: string, fn: (e: Editor, key: string, parse: Parse) => void, done: (key: string) => string) => {
    const { key, alias } = resolveKey(typed);
    const { editor, parseValue } = await editing();
    const e = editor();
    fn(e, key, parseValue);
    e.save();
    console.log(`${done(key)}${alias ? ` (tljh-config's ${alias})` : ''}; run "plasma config reload" to apply it`);
  };

  config.command('show')
    .description('print config.yaml (secrets hidden)')
    .option('--effective', 'show every key with its default filled in')
    .action(async (opts: { effective?: boolean }) => {
      const { editor, loadConfig, YAML } = await editing();
      const raw = opts.effective ? loadConfig() : YAML.parse(editor().toString()) ?? {};
      process.stdout.write(YAML.stringify(redact(raw)));
    });
  config.command('set').argument('<key>').argument('<value>')
    .action((key: string, value: string) => edit(key, (e, k, parse) => e.set(k, parse(value)), (k) => `set ${k}`));
  config.command('unset').argument('<key>')
    .action((key: string) => edit(key, (e, k) => e.unset(k), (k) => `unset ${k}`));
  config.command('add-item').argument('<key>').argument('<value>')
    .action((key: string, value: string) => edit(key, (e, k, parse) => e.addItem(k, parse(value)), (k) => `added to ${k}`));
  config.command('remove-item').argument('<key>').argument('<value>')
    .action((key: string, value: string) => edit(key, (e, k, parse) => e.removeItem(k, parse(value)), (k) => `removed from ${k}`));
  config.command('reload')
    .description('apply config.yaml to the running hub without stopping user servers; says which keys need a restart')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  plasma config set limits.memory 1G && plasma config reload')
    .action(async (opts: { json?: boolean }) => {
      const { apiFailure, HubClient } = await import('./hub-client.ts');
      const answer = await HubClient.with({}, (hub) => hub.request('POST', '/plasma/config/reload'));
      if (answer.status !== 200) throw apiFailure(answer);
      const r = answer.data as { applied: string[]; restart_hub: string[]; restart_proxy: string[]; banned_now: string[] };
      if (opts.json) return void console.log(JSON.stringify(r, null, 2));
      if (!r.applied.length && !r.restart_hub.length && !r.restart_proxy.length) return void console.log('nothing changed');
      if (r.applied.length) console.log(`applied: ${r.applied.join(', ')}`);
      if (r.banned_now.length) console.log(`banned now (sessions, tokens and servers ended): ${r.banned_now.join(', ')}`);
      if (r.restart_hub.length) console.log(`needs a hub restart (systemctl restart plasma-hub): ${r.restart_hub.join(', ')}`);
      if (r.restart_proxy.length) console.log(`needs a proxy restart (systemctl reload plasma-proxy for certificates): ${r.restart_proxy.join(', ')}`);
    });
}
