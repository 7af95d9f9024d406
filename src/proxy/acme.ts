import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import * as acme from 'acme-client';
import type { PlasmaConfig } from '../config/index.ts';
import type { Logger } from '../log/index.ts';

/**
 * Let's Encrypt (any ACME CA) for https.letsencrypt.domains: HTTP-01 answered by the proxy's plain-HTTP listener
 * from files under <state>/tls/challenges (so the proxy's timer and `plasma https renew` can both run an order),
 * the key and certificate written atomically to <state>/tls, which the proxy watches and swaps in for new
 * connections while open ones (websockets included) carry on. The account key never leaves <state>/tls (0600).
 */

type HttpsConfig = PlasmaConfig['https'];
const TOKEN_RE = /^[A-Za-z0-9_-]{1,256}$/;

export interface TlsFiles {
  dir: string;
  key: string;
  cert: string;
  accountKey: string;
  challenges: string;
}

export function tlsFiles(stateDir: string): TlsFiles {
  const dir = path.join(stateDir, 'tls');
  return { dir, key: path.join(dir, 'key.pem'), cert: path.join(dir, 'cert.pem'), accountKey: path.join(dir, 'account-key.pem'), challenges: path.join(dir, 'challenges') };
}

/** The key authorization for an HTTP-01 token, or null (the proxy answers /.well-known/acme-challenge/<token>). */
export function challengeAnswer(files: TlsFiles, token: string): string | null {
  if (!TOKEN_RE.test(token)) return null;
  try {
    return fs.readFileSync(path.join(files.challenges, token), 'utf8');
  } catch {
    return null;
  }
}

function writeAtomic(file: string, data: string | Buffer, mode: number): void {
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, data, { mode });
  fs.renameSync(tmp, file);
}

export interface CertificateState {
  exists: boolean;
  notAfter: Date | null;
  issuer: string | null;
  domains: string[];
  /** Due: missing, for other domains, self-signed, or within renew_days of expiry. */
  due: boolean;
}

export class AcmeCertificates {
  readonly files: TlsFiles;

  constructor(private readonly config: HttpsConfig, stateDir: string, private readonly log: Logger) {
    this.files = tlsFiles(stateDir);
  }

  state(now = Date.now()): CertificateState {
    let cert: crypto.X509Certificate;
    try {
      cert = new crypto.X509Certificate(fs.readFileSync(this.files.cert));
    } catch {
      return { exists: false, notAfter: null, issuer: null, domains: [], due: true };
    }
    const notAfter = new Date(cert.validTo);
    const domains = (cert.subjectAltName ?? '').split(',').map((s) => s.trim().replace(/^DNS:/, '')).filter(Boolean).sort();
    const wanted = [...this.config.letsencrypt.domains].sort();
    const selfSigned = cert.issuer === cert.subject;
    const due = selfSigned || JSON.stringify(domains) !== JSON.stringify(wanted) || notAfter.getTime() - now < this.config.letsencrypt.renew_days * 86400_000;
    return { exists: true, notAfter, issuer: cert.issuer.replace(/\n/g, ', '), domains, due };
  }

  private async accountKey(): Promise<Buffer> {
    try {
      return fs.readFileSync(this.files.accountKey);
    } catch {
      const key = await acme.crypto.createPrivateEcdsaKey();
      writeAtomic(this.files.accountKey, key, 0o600);
      return key;
    }
  }

  /** Orders a certificate for the configured domains over HTTP-01 and installs it. */
  async obtain(): Promise<CertificateState> {
    const le = this.config.letsencrypt;
    if (!le.domains.length) throw new Error('https.letsencrypt.domains is empty: name the domains the certificate is for');
    fs.mkdirSync(this.files.challenges, { recursive: true, mode: 0o700 });
    if (le.ca_file) {
      // The ACME server's own certificate comes from this CA (a test CA such as pebble's).
      acme.axios.defaults.httpsAgent = new https.Agent({ ca: fs.readFileSync(le.ca_file) });
    }
    const client = new acme.Client({ directoryUrl: le.directory_url, accountKey: await this.accountKey(), backoffAttempts: 10, backoffMin: 500, backoffMax: 5000 });
    const [key, csr] = await acme.crypto.createCsr({ commonName: le.domains[0], altNames: le.domains }, await acme.crypto.createPrivateEcdsaKey());
    this.log.info({ domains: le.domains, directory: le.directory_url }, 'acme: ordering a certificate');
    const cert = await client.auto({
      csr, email: le.email, termsOfServiceAgreed: true, challengePriority: ['http-01'],
      // The CA checks the answer itself; a self-check would need port 80 on this machine to be the proxy's.
      skipChallengeVerification: true,
      challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
        if (!TOKEN_RE.test(challenge.token)) throw new Error('the ACME server sent a malformed challenge token');
        fs.writeFileSync(path.join(this.files.challenges, challenge.token), keyAuthorization, { mode: 0o644 });
      },
      challengeRemoveFn: async (_authz, challenge) => {
        if (TOKEN_RE.test(challenge.token)) fs.rmSync(path.join(this.files.challenges, challenge.token), { force: true });
      },
    });
    // Key first, then the certificate the proxy watches: it never pairs a new certificate with an old key.
    writeAtomic(this.files.key, key, 0o600);
    writeAtomic(this.files.cert, cert, 0o644);
    const state = this.state();
    this.log.info({ domains: state.domains, notAfter: state.notAfter?.toISOString(), issuer: state.issuer }, 'acme: certificate installed');
    return state;
  }

  /**
   * A stand-in certificate (self-signed, for the domains) so the HTTPS listener can start while the first order is
   * under way or failing; replaced as soon as a real one arrives.
   */
  async placeholder(): Promise<void> {
    if (fs.existsSync(this.files.cert) && fs.existsSync(this.files.key)) return;
    fs.mkdirSync(this.files.dir, { recursive: true, mode: 0o700 });
    const domains = this.config.letsencrypt.domains.length ? this.config.letsencrypt.domains : ['localhost'];
    const keyTmp = `${this.files.key}.placeholder`;
    const certTmp = `${this.files.cert}.placeholder`;
    await new Promise<void>((resolve, reject) => execFile('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
      '-nodes', '-days', '7', '-subj', `/CN=${domains[0]}`, '-addext', `subjectAltName=${domains.map((d) => `DNS:${d}`).join(',')}`,
      '-keyout', keyTmp, '-out', certTmp], { timeout: 30_000 }, (err) => (err ? reject(err) : resolve())));
    fs.chmodSync(keyTmp, 0o600);
    fs.renameSync(keyTmp, this.files.key);
    fs.renameSync(certTmp, this.files.cert);
  }

  /** Renews when due; on failure tries again later (the current certificate keeps serving). */
  async renewIfDue(): Promise<boolean> {
    if (!this.state().due) return false;
    await this.obtain();
    return true;
  }
}
