import path from 'node:path';
import type { Command } from 'commander';
import type { PlasmaPaths } from '../config/index.ts';
import { resolvePaths } from '../config/paths.ts';
import { ensureSecretFile } from '../config/secrets.ts';
import type { Logger } from '../log/index.ts';
import { announceReady, handOver, receiveListeners } from '../proxy/handover.ts';
import type { ProxyOptions, RunningProxy } from '../proxy/index.ts';
import type { AcmeCertificates } from '../proxy/acme.ts';
import { writeHandoverStatus } from '../system/handover.ts';
import { claimPidFile, pidFile } from '../system/processes.ts';
import { notifySystemd } from '../system/systemd.ts';
import { successorBin } from './self.ts';

interface ProxyFlags {
  ip?: string; port?: string; apiIp?: string; apiPort?: string; defaultTarget?: string; errorTarget?: string;
  sslKey?: string; sslCert?: string; logLevel?: string; routesFile?: string; timeout?: string; proxyTimeout?: string;
  redirectPort?: string; headersTimeout?: string; customHeader?: string[]; takeover?: boolean;
}

/**
 * SIGUSR2 (`plasma upgrade`, or `systemctl reload plasma-proxy`): a new proxy process takes the listening sockets
 * over; this one finishes its open connections, then exits.
 */
function handOverOnSignal(proxy: RunningProxy, paths: PlasmaPaths | null, logger: Logger, exit: () => void): void {
  let busy = false;
  process.on('SIGUSR2', () => {
    if (busy || !paths) return;
    busy = true;
    void handOver(proxy, successorBin(paths.currentRelease), logger)
      .then(async ({ pid }) => {
        writeHandoverStatus(paths.runDir, 'proxy', { state: 'done', pid });
        await proxy.retire();
        logger.info('the last connection has closed: this proxy exits');
        exit();
      })
      .catch((err) => {
        writeHandoverStatus(paths.runDir, 'proxy', { state: 'failed', error: (err as Error).message });
        busy = false;
      });
  });
}

/** CHP's `--custom-header name:value`, as header pairs. */
function customHeaders(values: string[]): [string, string][] {
  return values.map((v) => {
    const colon = v.indexOf(':');
    if (colon <= 0) throw new Error(`--custom-header must look like name:value, not ${JSON.stringify(v)}`);
    return [v.slice(0, colon).trim(), v.slice(colon + 1).trim()];
  });
}

function port(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${name} must be a port number, not ${JSON.stringify(value)}`);
  return n;
}

/** `plasma proxy`: with configurable-http-proxy's flags it stands in for CHP; without them it reads Plasma's config. */
export function registerProxyCommands(program: Command): void {
  program.command('proxy')
    .description('run the proxy (configurable-http-proxy compatible; without flags it uses Plasma\'s config)')
    .option('--ip <ip>', 'public IP to listen on')
    .option('--port <port>', 'public port')
    .option('--api-ip <ip>', 'IP of the routes API')
    .option('--api-port <port>', 'port of the routes API')
    .option('--default-target <url>', 'where unmatched requests go')
    .option('--error-target <url>', 'fetch error pages from <url>/<code>')
    .option('--ssl-key <file>', 'TLS key')
    .option('--ssl-cert <file>', 'TLS certificate')
    .option('--redirect-port <port>', 'with TLS: plain-HTTP port that redirects to HTTPS')
    .option('--log-level <level>', 'debug, info, warn or error')
    .option('--routes-file <file>', 'keep routes in this file across restarts')
    .option('--timeout <ms>', 'idle timeout of client connections')
    .option('--proxy-timeout <ms>', 'idle timeout of backend connections')
    .option('--headers-timeout <ms>', 'time a client has to send its request headers')
    .option('--custom-header <name:value>', 'add a header to every proxied request (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--takeover', 'take the listening sockets over from the proxy that started this one (used by upgrades)')
    .allowUnknownOption(true) // CHP flags we ignore (e.g. --no-include-prefix) must not stop JupyterHub
    .allowExcessArguments(true) // … nor the values of such flags
    .action(async (flags: ProxyFlags, command: Command) => {
      const chpMode = ['ip', 'port', 'apiIp', 'apiPort', 'defaultTarget', 'errorTarget'].some((k) => flags[k as keyof ProxyFlags] !== undefined);
      // The proxy, its logger and the config schema load here: `plasma --help` needs commander only.
      const [{ loadConfig }, { createLogger }, { startProxy }, { AcmeCertificates, challengeAnswer }] = await Promise.all([
        import('../config/index.ts'), import('../log/index.ts'), import('../proxy/index.ts'), import('../proxy/acme.ts'),
      ]);
      const paths = resolvePaths();
      const config = chpMode && !process.env.PLASMA_PREFIX ? null : loadConfig(paths);
      const level = flags.logLevel ?? config?.log_level ?? 'info';
      const logger = createLogger('plasma-proxy', level === 'warning' ? 'warn' : level, config ? path.join(paths.logsDir, 'proxy.log') : undefined);
      const hub = config ? `http://${config.hub.ip === '0.0.0.0' ? '127.0.0.1' : config.hub.ip}:${config.hub.port}` : undefined;
      const options: ProxyOptions = {
        ip: flags.ip ?? config?.proxy.ip ?? '127.0.0.1',
        port: port(flags.port, 'port') ?? config?.proxy.port ?? 8000,
        apiIp: flags.apiIp ?? config?.proxy.api_ip ?? '127.0.0.1',
        apiPort: port(flags.apiPort, 'api-port') ?? config?.proxy.api_port ?? 8001,
        authToken: process.env.CONFIGPROXY_AUTH_TOKEN || config?.proxy.auth_token || (config ? ensureSecretFile(paths.proxyTokenFile) : null),
        defaultTarget: flags.defaultTarget ?? (chpMode ? undefined : hub),
        errorTarget: flags.errorTarget ?? (chpMode || !hub ? undefined : `${hub}${config!.hub.base_url}hub/error`),
        sslKey: flags.sslKey ?? config?.proxy.ssl_key,
        sslCert: flags.sslCert ?? config?.proxy.ssl_cert,
        redirectPort: port(flags.redirectPort, 'redirect-port') ?? config?.proxy.http_redirect_port,
        routesFile: flags.routesFile ?? (config ? paths.routesFile : undefined),
        clientTimeoutMs: flags.timeout ? Number(flags.timeout) : config?.proxy.timeout_ms || undefined,
        proxyTimeoutMs: flags.proxyTimeout ? Number(flags.proxyTimeout) : undefined,
        headersTimeoutMs: flags.headersTimeout ? Number(flags.headersTimeout) : undefined,
        customHeaders: customHeaders(flags.customHeader ?? []),
        logger,
      };
      if (command.args.length) logger.warn({ ignored: command.args }, 'ignoring configurable-http-proxy flags plasma proxy does not implement (e.g. --host-routing)');
      if (!options.authToken) logger.warn('CONFIGPROXY_AUTH_TOKEN is not set: the routes API is open to anyone who can reach it');
      if (flags.takeover) options.inherit = await receiveListeners();
      const acme = config?.https.enabled ? new AcmeCertificates(config.https, paths.stateDir, logger) : null;
      if (acme) {
        // https.enabled: certificates from the ACME CA, HTTP-01 answered on the plain-HTTP port (80 by default).
        await acme.placeholder();
        Object.assign(options, { sslKey: acme.files.key, sslCert: acme.files.cert, redirectPort: options.redirectPort ?? 80, challenge: (t: string) => challengeAnswer(acme.files, t) });
      }
      const proxy = await startProxy(options);
      if (acme) keepRenewing(acme, proxy, logger);
      // Claimed before the predecessor hears we are ready, so its exit cannot remove our pid file (see `plasma hub`).
      const releasePid = config ? claimPidFile(pidFile(paths.runDir, 'proxy')) : () => undefined;
      if (flags.takeover) announceReady();
      notifySystemd({ READY: '1', MAINPID: String(process.pid) });
      process.on('SIGHUP', () => proxy.reloadCertificates());
      process.on('uncaughtException', (err) => logger.error({ err: err.message }, 'uncaught error (the proxy keeps running)'));
      await new Promise<void>((resolve) => {
        const stop = () => void proxy.close().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        handOverOnSignal(proxy, config ? paths : null, logger, () => {
          releasePid();
          logger.flush?.();
          process.exit(0);
        });
      });
      releasePid();
    });
}

/** Orders a certificate when one is due (at start, then twice a day; ten minutes after a failure). */
function keepRenewing(acme: AcmeCertificates, proxy: RunningProxy, log: Logger): void {
  const run = async () => {
    let next = 12 * 3600_000;
    try {
      if (await acme.renewIfDue()) proxy.reloadCertificates();
    } catch (err) {
      next = 10 * 60_000;
      log.error({ err: (err as Error).message }, 'acme: could not get a certificate; trying again in 10 minutes');
    }
    setTimeout(run, next).unref();
  };
  void run();
}
