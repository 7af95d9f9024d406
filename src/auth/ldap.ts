import fs from 'node:fs';
import type { Client } from 'ldapts';
import type { PlasmaConfig } from '../config/index.ts';
import { mapProviderGroups } from './groups.ts';
import { AuthServiceError, usernameProblem, type AuthenticatedUser, type Authenticator } from './types.ts';

type LdapConfig = NonNullable<PlasmaConfig['auth']['ldap']>;

/** RFC 4515: a value inside a filter, so a typed `*` or `)` cannot change the filter. */
export function escapeFilterValue(value: string): string {
  return value.replace(/[\\*()\x00]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function text(value: unknown): string | undefined {
  if (Array.isArray(value)) return text(value[0]);
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return typeof value === 'string' ? value : undefined;
}

/** Reads a secret from its file once, when the authenticator is made (the error names the key, not the value). */
export function readSecretFile(file: string | undefined, key: string): string | undefined {
  if (!file) return undefined;
  try {
    const value = fs.readFileSync(file, 'utf8').trim();
    if (!value) throw new Error('it is empty');
    return value;
  } catch (err) {
    throw new AuthServiceError(`${key}: cannot read ${file}: ${(err as Error).message}`, key);
  }
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { code?: string | number };
  if (typeof e.code === 'string' && e.code.startsWith('ERR_TLS') || /certificate|self.signed|SSL|TLS/i.test(e.message ?? '')) {
    return `TLS failed (${e.message}); set auth.ldap.ca_file to the CA that signed the server's certificate`;
  }
  return e.message ?? String(err);
}

/**
 * LDAP logins: a service bind searches for the user, a bind as the user checks their password, and a search
 * for groups gives their groups. TLS through ldaps:// or StartTLS, verified against ca_file.
 */
/** Loaded on first use: a hub that signs in with other means never loads it. */
const ldapts = () => import('ldapts');

export class LdapAuthenticator implements Authenticator {
  readonly kind = 'ldap';
  readonly managesPasswords = false;
  private readonly bindPassword: string | undefined;
  private readonly ca: Buffer | undefined;

  constructor(private readonly config: LdapConfig, private readonly groupMap: Record<string, string>) {
    this.bindPassword = config.bind_password ?? readSecretFile(config.bind_password_file, 'auth.ldap.bind_password_file');
    if (config.ca_file) {
      try {
        this.ca = fs.readFileSync(config.ca_file);
      } catch (err) {
        throw new AuthServiceError(`auth.ldap.ca_file: cannot read ${config.ca_file}: ${(err as Error).message}`, 'auth.ldap.ca_file');
      }
    }
  }

  private async connect(): Promise<Client> {
    const tlsOptions = { ca: this.ca ? [this.ca] : undefined, minVersion: 'TLSv1.2' as const };
    const timeout = this.config.timeout_seconds * 1000;
    const { Client } = await ldapts();
    const client = new Client({ url: this.config.url, timeout, connectTimeout: timeout, tlsOptions });
    if (this.config.start_tls) {
      try {
        await client.startTLS(tlsOptions);
      } catch (err) {
        await client.unbind().catch(() => undefined);
        throw new AuthServiceError(`auth.ldap.start_tls: StartTLS with ${this.config.url} failed: ${describe(err)}`, 'auth.ldap.start_tls');
      }
    }
    return client;
  }

  /** The service bind; its failure is the config's fault, reported with the key to fix. */
  private async serviceClient(): Promise<Client> {
    const client = await this.connect();
    if (!this.config.bind_dn) return client;
    try {
      await client.bind(this.config.bind_dn, this.bindPassword ?? '');
    } catch (err) {
      await client.unbind().catch(() => undefined);
      if (err instanceof (await ldapts()).InvalidCredentialsError) {
        throw new AuthServiceError('auth.ldap.bind_password: the LDAP server refused the service account (auth.ldap.bind_dn) with this password', 'auth.ldap.bind_password');
      }
      throw new AuthServiceError(`auth.ldap.url: cannot reach or bind to ${this.config.url}: ${describe(err)}`, 'auth.ldap.url');
    }
    return client;
  }

  /** Checks the settings by binding as the service account (`plasma auth check`). */
  async check(): Promise<string> {
    const client = await this.serviceClient();
    await client.unbind().catch(() => undefined);
    return `bound to ${this.config.url}${this.config.bind_dn ? ` as ${this.config.bind_dn}` : ' anonymously'}`;
  }

  async authenticate(username: string, password: string): Promise<AuthenticatedUser | null> {
    // An empty password is an "unauthenticated bind" that LDAP servers accept: never a login.
    if (!password || usernameProblem(username)) return null;
    const service = await this.serviceClient();
    let dn: string;
    let name: string | undefined;
    let groups: string[] = [];
    try {
      const filter = this.config.user_filter.replaceAll('{username}', escapeFilterValue(username));
      const found = await service.search(this.config.user_search_base, {
        scope: 'sub', filter, attributes: [this.config.username_attribute], sizeLimit: 2,
      }).catch((err) => {
        throw new AuthServiceError(`auth.ldap.user_search_base/user_filter: the user search failed: ${describe(err)}`, 'auth.ldap.user_filter');
      });
      if (found.searchEntries.length !== 1) return null;
      dn = found.searchEntries[0].dn;
      name = text(found.searchEntries[0][this.config.username_attribute])?.toLowerCase();
      if (!(await this.passwordMatches(dn, password))) return null;
      if (this.config.group_search_base) {
        const filter = this.config.group_filter.replaceAll('{dn}', escapeFilterValue(dn)).replaceAll('{username}', escapeFilterValue(username));
        const res = await service.search(this.config.group_search_base, {
          scope: 'sub', filter, attributes: [this.config.group_name_attribute],
        }).catch((err) => {
          throw new AuthServiceError(`auth.ldap.group_filter: the group search failed: ${describe(err)}`, 'auth.ldap.group_filter');
        });
        groups = res.searchEntries.map((e) => text(e[this.config.group_name_attribute])).filter((g): g is string => !!g);
      }
    } finally {
      await service.unbind().catch(() => undefined);
    }
    if (!name || usernameProblem(name)) return null;
    return { name, providerGroups: mapProviderGroups(groups, this.groupMap) };
  }

  private async passwordMatches(dn: string, password: string): Promise<boolean> {
    const client = await this.connect();
    try {
      await client.bind(dn, password);
      return true;
    } catch (err) {
      if (err instanceof (await ldapts()).InvalidCredentialsError) return false;
      throw new AuthServiceError(`auth.ldap.url: binding as the user failed: ${describe(err)}`, 'auth.ldap.url');
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }
}
