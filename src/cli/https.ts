import type { Command } from 'commander';
import type { CertificateState } from '../proxy/acme.ts';

function show(state: CertificateState, json: boolean): void {
  if (json) return void console.log(JSON.stringify({ ...state, notAfter: state.notAfter?.toISOString() ?? null }, null, 2));
  if (!state.exists) return void console.log('no certificate yet');
  console.log(`certificate for ${state.domains.join(', ')}, issued by ${state.issuer}, valid until ${state.notAfter?.toISOString()}${state.due ? ' (due for renewal)' : ''}`);
}

/** `plasma https status|renew`: the ACME certificate the proxy serves (https.enabled). */
export function registerHttpsCommands(program: Command): void {
  const https = program.command('https').description('the HTTPS certificate from Let\'s Encrypt (https.enabled, https.letsencrypt.*)');
  const certs = async () => {
    const [{ loadConfig, resolvePaths }, { createLogger }, { AcmeCertificates }] = await Promise.all([
      import('../config/index.ts'), import('../log/index.ts'), import('../proxy/acme.ts'),
    ]);
    const paths = resolvePaths();
    const config = loadConfig(paths);
    if (!config.https.enabled) throw new Error('https.enabled is false: set https.enabled true and https.letsencrypt.domains first');
    return new AcmeCertificates(config.https, paths.stateDir, createLogger('plasma-cli', 'warn'));
  };
  https.command('status')
    .description('show the certificate and whether it is due for renewal')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  plasma https status --json')
    .action(async (opts: { json?: boolean }) => show((await certs()).state(), !!opts.json));
  https.command('renew')
    .description('renew the certificate if it is due (--force: now); the proxy swaps it in without dropping connections')
    .option('--force', 'renew even if the certificate is not due')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  plasma https renew --force')
    .action(async (opts: { force?: boolean; json?: boolean }) => {
      const c = await certs();
      if (!opts.force && !c.state().due) {
        if (!opts.json) console.log('not due yet (use --force to renew now)');
        return show(c.state(), !!opts.json);
      }
      if (!opts.json) console.error('ordering a certificate (HTTP-01, answered by the proxy)…');
      show(await c.obtain(), !!opts.json);
    });
}
