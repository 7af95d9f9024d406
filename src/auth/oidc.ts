import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Configuration } from 'openid-client';
import type { PlasmaConfig } from '../config/index.ts';
import { mapProviderGroups } from './groups.ts';
import { fetchTrusting } from './https-fetch.ts';
import { readSecretFile } from './ldap.ts';
import { AuthServiceError, usernameProblem, type AuthenticatedUser, type Authenticator } from './types.ts';

type OidcConfig = NonNullable<PlasmaConfig['auth']['oidc']>;

interface PendingLogin {
  state: string;
  nonce: string;
  verifier: string;
  redirectUri: string;
  next: string;
  expires: number;
}

const PENDING_TTL_MS = 10 * 60_000;
const MAX_PENDING = 10_000;

/**
 * OpenID Connect logins (authorization code flow with PKCE, through openid-client): the browser goes to the
 * provider and comes back to /hub/oauth_callback; the ID token's claims give the name and the groups.
 */
/** Loaded on first use: a hub that signs in with other means never loads it. */
const openidClient = () => import('openid-client');

export class OidcAuthenticator implements Authenticator {
  readonly kind = 'oidc';
  readonly managesPasswords = false;
  readonly redirectsToProvider = true;
  private readonly secret: string | undefined;
  private readonly fetcher: ReturnType<typeof fetchTrusting>;
  private discovered: Promise<Configuration> | null = null;
  /** Logins under way, by state (also held by the browser in a cookie). */
  private readonly pending = new Map<string, PendingLogin>();

  constructor(private readonly config: OidcConfig, private readonly groupMap: Record<string, string>) {
    this.secret = config.client_secret ?? readSecretFile(config.client_secret_file, 'auth.oidc.client_secret_file');
    let ca: Buffer | undefined;
    if (config.ca_file) {
      try {
        ca = fs.readFileSync(config.ca_file);
      } catch (err) {
        throw new AuthServiceError(`auth.oidc.ca_file: cannot read ${config.ca_file}: ${(err as Error).message}`, 'auth.oidc.ca_file');
      }
    }
    this.fetcher = fetchTrusting(ca);
  }

  get buttonText(): string {
    return this.config.login_button;
  }

  /** Passwords are never typed into Plasma with OIDC. */
  async authenticate(): Promise<AuthenticatedUser | null> {
    return null;
  }

  private configuration(): Promise<Configuration> {
    this.discovered ??= openidClient().then((oidc) => oidc.discovery(new URL(this.config.issuer), this.config.client_id, undefined,
      this.secret ? oidc.ClientSecretPost(this.secret) : oidc.None(), {
        [oidc.customFetch]: this.fetcher as never,
        execute: this.config.issuer.startsWith('http:') ? [oidc.allowInsecureRequests] : [],
        timeout: 15,
      }).then((c) => {
        c[oidc.customFetch] = this.fetcher as never;
        return c;
      })).catch((err) => {
      this.discovered = null; // try again on the next login
      throw new AuthServiceError(`auth.oidc.issuer: cannot read ${this.config.issuer}/.well-known/openid-configuration: ${(err as Error).message}${/certificate/i.test((err as Error).message) ? '; set auth.oidc.ca_file' : ''}`, 'auth.oidc.issuer');
    });
    return this.discovered;
  }

  async check(): Promise<string> {
    const c = await this.configuration();
    return `discovered ${c.serverMetadata().issuer} (authorization endpoint ${c.serverMetadata().authorization_endpoint})`;
  }

  /** The provider URL to send the browser to, and the state its cookie holds. */
  async begin(redirectUri: string, next: string): Promise<{ url: string; state: string }> {
    const config = await this.configuration();
    const oidc = await openidClient();
    const now = Date.now();
    for (const [k, v] of this.pending) if (v.expires < now) this.pending.delete(k);
    if (this.pending.size >= MAX_PENDING) throw new AuthServiceError('too many logins under way; try again in a few minutes', 'auth.oidc');
    const login: PendingLogin = {
      state: oidc.randomState(), nonce: oidc.randomNonce(), verifier: oidc.randomPKCECodeVerifier(),
      redirectUri: this.config.redirect_url ?? redirectUri, next, expires: now + PENDING_TTL_MS,
    };
    this.pending.set(login.state, login);
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: login.redirectUri, scope: this.config.scopes.join(' '), state: login.state, nonce: login.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(login.verifier), code_challenge_method: 'S256',
    });
    return { url: url.href, state: login.state };
  }

  /**
   * The provider sent the browser back: the state must be the one this browser's cookie holds; the code is
   * exchanged, the ID token checked (issuer, audience, nonce, signature), and the claims read.
   */
  async finish(callbackUrl: URL, cookieState: string | undefined): Promise<{ user: AuthenticatedUser | null; next: string; problem?: string }> {
    const state = callbackUrl.searchParams.get('state') ?? '';
    const login = this.pending.get(state);
    const sameBrowser = !!cookieState && cookieState.length === state.length && crypto.timingSafeEqual(Buffer.from(cookieState), Buffer.from(state));
    if (!login || !sameBrowser || login.expires < Date.now()) return { user: null, next: '', problem: 'This sign-in link expired or was opened in another browser; please sign in again.' };
    this.pending.delete(state);
    if (callbackUrl.searchParams.get('error')) {
      return { user: null, next: login.next, problem: `The identity provider refused the sign-in (${callbackUrl.searchParams.get('error')}).` };
    }
    const config = await this.configuration();
    const oidc = await openidClient();
    // The URL the provider redirected to, as registered (the hub may sit behind the proxy under another host).
    const current = new URL(login.redirectUri);
    current.search = callbackUrl.search;
    let claims: Record<string, unknown>;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: login.verifier, expectedState: login.state, expectedNonce: login.nonce, idTokenExpected: true,
      });
      claims = { ...(tokens.claims() ?? {}) };
      if (!(this.config.username_claim in claims) || !(this.config.groups_claim in claims)) {
        const info = await oidc.fetchUserInfo(config, tokens.access_token, String(claims.sub));
        claims = { ...info, ...claims };
      }
    } catch (err) {
      throw new AuthServiceError(`auth.oidc: the code exchange with ${this.config.issuer} failed: ${(err as Error).message}`, 'auth.oidc.client_secret');
    }
    const raw = claims[this.config.username_claim];
    const name = typeof raw === 'string' ? raw.toLowerCase() : '';
    if (usernameProblem(name)) {
      return { user: null, next: login.next, problem: `Your account's ${this.config.username_claim} (${JSON.stringify(String(raw ?? '')).slice(0, 80)}) is not a name Plasma can use.` };
    }
    const groupsClaim = claims[this.config.groups_claim];
    const groups = Array.isArray(groupsClaim) ? groupsClaim.filter((g): g is string => typeof g === 'string') : [];
    return { user: { name, providerGroups: mapProviderGroups(groups, this.groupMap) }, next: login.next };
  }
}
