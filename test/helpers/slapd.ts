import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freeLoopbackPort } from '../../src/spawner/local.ts';
import { stopChild } from './processes.ts';
import { waitFor } from './stack.ts';
import type { TestCa } from './tls-ca.ts';

export const LDAP_SUFFIX = 'dc=plasma,dc=test';
export const LDAP_ADMIN_DN = `cn=admin,${LDAP_SUFFIX}`;

export interface LdapPerson {
  uid: string;
  password: string;
  groups: string[];
}

/**
 * Debian's OpenLDAP server (slapd) in a temp folder, listening on 127.0.0.1 only: ldaps:// with a certificate from
 * a test CA, and ldap:// (for StartTLS). People under ou=people, groups (groupOfNames) under ou=groups.
 */
export class Slapd {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-slapd-'));
  ldapsPort = 0;
  ldapPort = 0;
  private child: ChildProcess | null = null;

  constructor(private readonly ca: TestCa, readonly adminPassword: string) {}

  get ldapsUrl() { return `ldaps://127.0.0.1:${this.ldapsPort}`; }
  get ldapUrl() { return `ldap://127.0.0.1:${this.ldapPort}`; }

  async start(people: LdapPerson[]): Promise<void> {
    const { cert, key } = this.ca.issue('slapd');
    const data = path.join(this.dir, 'data');
    fs.mkdirSync(data);
    const pwFile = path.join(this.dir, 'pw');
    const hash = (pw: string) => {
      fs.writeFileSync(pwFile, pw, { mode: 0o600 });
      return execFileSync('slappasswd', ['-T', pwFile], { encoding: 'utf8' }).trim();
    };
    const conf = path.join(this.dir, 'slapd.conf');
    fs.writeFileSync(conf, [
      ...['core', 'cosine', 'inetorgperson', 'nis'].map((s) => `include /etc/ldap/schema/${s}.schema`),
      'modulepath /usr/lib/ldap', 'moduleload back_mdb',
      `pidfile ${this.dir}/slapd.pid`, `argsfile ${this.dir}/slapd.args`,
      `TLSCACertificateFile ${this.ca.caCert}`, `TLSCertificateFile ${cert}`, `TLSCertificateKeyFile ${key}`,
      'database mdb', `suffix "${LDAP_SUFFIX}"`, `rootdn "${LDAP_ADMIN_DN}"`, `rootpw ${hash(this.adminPassword)}`, `directory ${data}`,
      'access to attrs=userPassword by self write by anonymous auth by * none',
      'access to * by users read by * none',
      '',
    ].join('\n'));
    const groups = [...new Set(people.flatMap((p) => p.groups))];
    const ldif = [
      `dn: ${LDAP_SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: plasma\no: Plasma test\n`,
      `dn: ou=people,${LDAP_SUFFIX}\nobjectClass: organizationalUnit\nou: people\n`,
      `dn: ou=groups,${LDAP_SUFFIX}\nobjectClass: organizationalUnit\nou: groups\n`,
      ...people.map((p) => `dn: uid=${p.uid},ou=people,${LDAP_SUFFIX}\nobjectClass: inetOrgPerson\nuid: ${p.uid}\ncn: ${p.uid}\nsn: Student\nuserPassword: ${hash(p.password)}\n`),
      ...groups.map((g) => `dn: cn=${g},ou=groups,${LDAP_SUFFIX}\nobjectClass: groupOfNames\ncn: ${g}\n${people.filter((p) => p.groups.includes(g)).map((p) => `member: uid=${p.uid},ou=people,${LDAP_SUFFIX}`).join('\n')}\n`),
    ].join('\n');
    fs.writeFileSync(path.join(this.dir, 'data.ldif'), ldif);
    execFileSync('slapadd', ['-f', conf, '-l', path.join(this.dir, 'data.ldif')], { stdio: 'pipe' });
    [this.ldapsPort, this.ldapPort] = [await freeLoopbackPort(), await freeLoopbackPort()];
    // -d 0: stay in the foreground (so the test owns the process) and log nothing.
    this.child = spawn('/usr/sbin/slapd', ['-f', conf, '-h', `${this.ldapsUrl}/ ${this.ldapUrl}/`, '-d', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    this.child.stderr!.on('data', (d) => (stderr += d));
    await waitFor(() => {
      if (this.child!.exitCode !== null) throw new Error(`slapd exited: ${stderr}`);
      try {
        execFileSync('ldapsearch', ['-x', '-H', this.ldapUrl, '-D', LDAP_ADMIN_DN, '-w', this.adminPassword, '-b', LDAP_SUFFIX, '-s', 'base'], { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    }, 15_000, 'slapd');
  }

  async stop(): Promise<void> {
    await stopChild(this.child, 'SIGTERM');
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
