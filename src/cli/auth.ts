import type { Command } from 'commander';
import type { Repo } from '../db/index.ts';

/** `plasma auth check`: tries the identity provider's settings (LDAP service bind, OIDC discovery) now. */
export function registerAuthCommands(program: Command): void {
  const auth = program.command('auth').description('the identity provider (auth.type ldap or oidc)');
  auth.command('check')
    .description('bind to LDAP as the service account, or read the OpenID provider\'s discovery document; errors name the key to fix')
    .addHelpText('after', '\nExample:\n  plasma auth check')
    .action(async () => {
      // Loaded here, not at start: `plasma --help` needs commander only.
      const { AuthServiceError, createAuthenticator, LdapAuthenticator, OidcAuthenticator } = await import('../auth/index.ts');
      const config = (await import('../config/index.ts')).loadConfig();
      let authenticator;
      try {
        authenticator = createAuthenticator(config.auth, null as unknown as Repo);
        if (!(authenticator instanceof LdapAuthenticator || authenticator instanceof OidcAuthenticator)) {
          return void console.log(`auth.type is ${config.auth.type}: nothing to check against a provider`);
        }
        console.log(`ok: ${await authenticator.check()}`);
      } catch (err) {
        if (err instanceof AuthServiceError) throw new Error(err.message);
        throw err;
      }
    });
}
