import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A throw-away certificate authority (openssl) for servers the tests run with TLS on 127.0.0.1. */
export class TestCa {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-ca-'));
  readonly caCert = path.join(this.dir, 'ca.pem');
  private readonly caKey = path.join(this.dir, 'ca-key.pem');

  constructor(name = 'Plasma test CA') {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', `/CN=${name}`, '-keyout', this.caKey, '-out', this.caCert,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], { stdio: 'ignore' });
  }

  /** A server certificate for localhost and 127.0.0.1, signed by this CA. */
  issue(name: string): { cert: string; key: string } {
    const key = path.join(this.dir, `${name}-key.pem`);
    const csr = path.join(this.dir, `${name}.csr`);
    const cert = path.join(this.dir, `${name}.pem`);
    const ext = path.join(this.dir, `${name}.ext`);
    fs.writeFileSync(ext, 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
    execFileSync('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=localhost',
      '-keyout', key, '-out', csr], { stdio: 'ignore' });
    execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', this.caCert, '-CAkey', this.caKey, '-CAcreateserial', '-days', '2',
      '-extfile', ext, '-out', cert], { stdio: 'ignore' });
    fs.chmodSync(key, 0o644); // slapd and other servers may read it as another user
    return { cert, key };
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
