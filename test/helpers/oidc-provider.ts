import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import type { TestCa } from './tls-ca.ts';

export interface OidcAccount {
  username: string;
  groups: string[];
}

/**
 * A real OpenID provider (the oidc-provider package) on https://127.0.0.1 with a certificate from a test CA. Its
 * development sign-in pages take any login; the accounts' claims (preferred_username, groups) come from here.
 */
export class TestOidcProvider {
  private server: https.Server | null = null;
  issuer = '';
  readonly clientId = 'plasma-hub';
  readonly clientSecret = 'oidc-client-s3cret-for-plasma';

  constructor(private readonly ca: TestCa, private readonly accounts: OidcAccount[]) {}

  /** Listens first (the hub's config needs the issuer URL), answering once `serve` has the redirect URIs. */
  async listen(): Promise<void> {
    const { cert, key } = this.ca.issue('oidc');
    this.server = https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.issuer = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  serve(redirectUris: string[]): void {
    const accounts = this.accounts;
    const provider = new Provider(this.issuer, {
      clients: [{
        client_id: this.clientId, client_secret: this.clientSecret, redirect_uris: redirectUris,
        response_types: ['code'], grant_types: ['authorization_code'],
      }],
      claims: { openid: ['sub'], profile: ['preferred_username', 'name'], groups: ['groups'] },
      scopes: ['openid', 'profile', 'groups'],
      features: { devInteractions: { enabled: true } },
      cookies: { keys: ['plasma-test-cookie-key-0123456789'] },
      async findAccount(_ctx: unknown, id: string) {
        const account = accounts.find((a) => a.username === id);
        if (!account) return undefined;
        return { accountId: id, claims: async () => ({ sub: id, preferred_username: account.username, name: account.username, groups: account.groups }) };
      },
    });
    provider.on('server_error', (_ctx: unknown, err: Error) => console.error('oidc-provider:', err));
    this.server!.on('request', provider.callback());
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
