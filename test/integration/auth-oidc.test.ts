import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fetchTrusting } from '../../src/auth/https-fetch.ts';
import { Browser } from '../helpers/browser.ts';
import { dockerOk } from '../helpers/docker.ts';
import { addEnvironment } from '../helpers/environments.ts';
import { GitServer } from '../helpers/git-server.ts';
import { TestOidcProvider } from '../helpers/oidc-provider.ts';
import { Stack } from '../helpers/stack.ts';
import { TestCa } from '../helpers/tls-ca.ts';

const STUDENT = 'pt-clsoidc1';
const OUTSIDER = 'pt-clsoidc2';
const BIOLOGY = 'pt-clsbio';
const PREFIX = 'plasma-test/clsoidc-';

/** Signs in through the browser flow: Plasma's button, the provider's login and consent pages, back to the hub. */
async function oidcLogin(browser: Browser, issuer: string, username: string) {
  const login = await browser.go('/hub/login');
  const button = /id="oidc-login" href="([^"]+)"/.exec(login.text);
  assert.ok(button, `the sign-in page has the provider's button: ${login.text.slice(-500)}`);
  let page = await browser.go(button[1].replaceAll('&amp;', '&'));
  for (let step = 0; step < 3 && page.url.startsWith('/interaction/'); step++) {
    const action = /<form[^>]*action="([^"]+)"/.exec(page.text)![1];
    const prompt = /name="prompt" value="([^"]+)"/.exec(page.text)![1];
    const form: Record<string, string> = prompt === 'login' ? { prompt, login: username, password: 'any' } : { prompt };
    page = await browser.go(new URL(action, issuer).href, { form });
  }
  return page;
}

// Issue 14, must-show 4 (OIDC): the browser flow against a real OpenID provider on 127.0.0.1; its groups claim
// maps to an environment permission.
describe('OpenID Connect logins', () => {
  const ca = new TestCa();
  const provider = new TestOidcProvider(ca, [
    { username: STUDENT, groups: [BIOLOGY, 'Staff Room'] },
    { username: OUTSIDER, groups: ['other'] },
  ]);
  const repos = new GitServer();
  const trusting = fetchTrusting(fs.readFileSync(ca.caCert)) as unknown as (url: URL, init: RequestInit) => Promise<Response>;
  let stack: Stack;
  const oidcConfig = () => ({
    issuer: provider.issuer, client_id: provider.clientId, client_secret: provider.clientSecret, ca_file: ca.caCert,
    scopes: ['openid', 'profile', 'groups'],
  });

  before(async () => {
    await provider.listen();
    repos.commit('biology', { 'cells.md': '# cells\n' });
    stack = new Stack({
      config: {
        auth: { type: 'oidc', oidc: oidcConfig() },
        environments: { build_network: 'host', image_prefix: PREFIX, local_roots: [repos.root] },
      },
    });
    await stack.start();
    provider.serve([`${stack.publicUrl}/hub/oauth_callback`]);
    await addEnvironment(stack, { repo: repos.path('biology') });
    assert.equal((await stack.api('POST', `/groups/${BIOLOGY}`, { json: {} })).status, 201);
    assert.equal((await stack.api('POST', '/plasma/environments/biology/groups', { json: { groups: [BIOLOGY] } })).status, 200);
  });

  after(async () => {
    await stack?.stop();
    await provider.stop();
    dockerOk('rmi', '-f', `${PREFIX}biology:HEAD`);
    await repos.stop();
    ca.remove();
  });

  it('a student signs in at the provider and comes back signed in; the groups claim gives the environment', async () => {
    const browser = new Browser(stack.publicUrl, trusting);
    const home = await oidcLogin(browser, provider.issuer, STUDENT);
    assert.equal(home.status, 200, home.text.slice(0, 800));
    assert.equal(home.url, '/hub/home');
    const visitedProvider = browser.visited.some((v) => v.url.startsWith('/interaction/'));
    assert.ok(visitedProvider, 'the flow went through the provider');
    const model = (await stack.api('GET', `/users/${STUDENT}`)).data;
    assert.deepEqual(model.groups, [BIOLOGY], '"Staff Room" is not a group name and is left out');
    const token = await stack.cli(['token', STUDENT]);
    assert.deepEqual((await stack.api('GET', '/plasma/environments', { token })).data.map((e: any) => e.name), ['biology']);
  });

  it('a user of another group is offered nothing; a callback replayed in another browser is refused', async () => {
    const browser = new Browser(stack.publicUrl, trusting);
    assert.equal((await oidcLogin(browser, provider.issuer, OUTSIDER)).status, 200);
    const token = await stack.cli(['token', OUTSIDER]);
    assert.deepEqual((await stack.api('GET', '/plasma/environments', { token })).data, []);
    const callback = browser.visited.find((v) => v.url.startsWith('/hub/oauth_callback'));
    assert.ok(callback);
    const replay = await new Browser(stack.publicUrl).go(callback.url);
    assert.equal(replay.status, 403);
    assert.match(replay.text, /expired or was opened in another browser/);
  });

  it('a wrong client secret: a generic message for the user, the key in the log, the secret nowhere', async () => {
    await stack.killHub('SIGTERM');
    const wrong = 'Wr0ng-client-secret-xyz';
    stack.writeConfig({ auth: { type: 'oidc', oidc: { ...oidcConfig(), client_secret: wrong } } });
    await stack.startHub();
    const res = await oidcLogin(new Browser(stack.publicUrl, trusting), provider.issuer, STUDENT);
    assert.equal(res.status, 503);
    assert.match(res.text, /Signing in is not working right now/);
    const log = fs.readFileSync(stack.hubLog, 'utf8');
    assert.match(log, /auth\.oidc/);
    assert.ok(!log.includes(wrong) && !log.includes(provider.clientSecret), 'no client secret in the log');
    assert.ok(!res.text.includes(wrong));
  });

  it('bad OIDC settings are refused by plasma config, naming the key', async () => {
    await assert.rejects(stack.cli(['config', 'set', 'auth.oidc.issuer', 'not a url']), /auth\.oidc\.issuer/);
    await assert.rejects(stack.cli(['config', 'set', 'auth.oidc.client_secret_file', 'relative/path']), /auth\.oidc\.client_secret_file: an absolute path/);
    const shown = await stack.cli(['config', 'show']);
    assert.match(shown, /client_secret: "?\[hidden\]"?/);
    assert.ok(!shown.includes('Wr0ng-client-secret-xyz'), 'config show does not print the client secret');
  });
});
