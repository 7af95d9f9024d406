import type { PlasmaConfig } from '../config/index.ts';
import type { Repo, UserRow } from '../db/index.ts';
import { addToGroup, createGroup, createUser, lookupGroup, removeFromGroup } from '../system/accounts.ts';
import { groupsOfUser, lookupUser, SYSTEM_NAME_RE } from '../system/users.ts';
import path from 'node:path';

/** groups.system: 1 mirrors a UNIX group, 2 comes from an identity provider (LDAP, OIDC), 0 is made in the hub. */
const PROVIDER_GROUP = 2;

/** Brings a user who just logged in into the hub: created if new, admin per config, system groups mirrored. */
export class HubUsers {
  constructor(
    private readonly repo: Repo,
    private readonly config: PlasmaConfig['auth'],
    private readonly environments: PlasmaConfig['environments'],
    private readonly users?: PlasmaConfig['users'],
  ) {}

  /** Why this user may not log in (banned, or not on the allowed list), or null. Read live: config reloads apply. */
  loginRefusal(name: string): string | null {
    if (this.config.banned_users.includes(name)) return 'This account is banned from Plasma.';
    const allowed = this.config.allowed_users;
    if (allowed.length && !allowed.includes(name) && !this.config.admin_users.includes(name)) return 'This account may not use Plasma.';
    return null;
  }

  isBanned(name: string): boolean {
    return this.config.banned_users.includes(name);
  }

  /** Roles a user holds through their groups: `builder` for members of environments.builder_groups. */
  async groupRoles(user: UserRow): Promise<string[]> {
    if (!this.environments.builder_groups.length) return [];
    return this.isBuilder(await this.repo.groupsOf(user.id)) ? ['builder'] : [];
  }

  isBuilder(groups: string[]): boolean {
    return this.environments.builder_groups.some((g) => groups.includes(g));
  }

  /**
   * The user's groups as they are now: for a user with a system account, the UNIX groups are read again and
   * mirrored first (an admin may have changed them since the last login). Used where a permission depends on them.
   */
  async currentGroups(user: UserRow): Promise<string[]> {
    if (await lookupUser(user.name)) await this.syncSystemGroups(user, await groupsOfUser(user.name));
    return this.repo.groupsOf(user.id);
  }

  async ensure(name: string, systemGroups?: string[], providerGroups?: string[]): Promise<UserRow | null> {
    if (this.loginRefusal(name)) return null;
    if (providerGroups && this.config.create_system_users) await this.ensureSystemAccount(name, providerGroups);
    let user = await this.repo.findUser(name);
    const admin = this.config.admin_users.includes(name);
    if (!user) {
      // Native users must be created by an admin first; PAM and dummy users appear on first login.
      if (this.config.type === 'native') return null;
      user = await this.repo.createUser(name, admin);
    } else if (admin && !user.admin) {
      await this.repo.updateUser(user.id, { admin: 1 });
      user = { ...user, admin: 1 };
    }
    if (systemGroups) await this.syncSystemGroups(user, systemGroups);
    if (providerGroups) await this.syncProviderGroups(user, providerGroups);
    return user;
  }

  /** Memberships of the provider's groups follow the provider at every login. */
  private async syncProviderGroups(user: UserRow, groups: string[]): Promise<void> {
    const current = new Set(await this.repo.groupsOf(user.id));
    for (const name of groups) {
      const group = (await this.repo.findGroup(name)) ?? (await this.repo.createGroup(name));
      if (group.system === 0) await this.repo.markGroup(group.id, PROVIDER_GROUP);
      if (!current.has(name)) await this.repo.addMembers(group.id, [user.id]);
    }
    for (const name of current) {
      if (groups.includes(name)) continue;
      const group = await this.repo.findGroup(name);
      if (group?.system !== PROVIDER_GROUP) continue;
      await this.repo.removeMembers(group.id, [user.id]);
      if (this.config.create_system_users && (await lookupGroup(name))?.members.includes(user.name)) await removeFromGroup(user.name, name);
    }
  }

  /** auth.create_system_users: an account (useradd) for a provider's user, in UNIX groups named as their groups. */
  private async ensureSystemAccount(name: string, groups: string[]): Promise<void> {
    if (!SYSTEM_NAME_RE.test(name)) throw new Error(`${name} cannot be a system user name; turn off auth.create_system_users or map the names`);
    for (const g of groups) if (!(await lookupGroup(g))) await createGroup(g);
    if (!(await lookupUser(name))) {
      await createUser(name, { home: path.join(this.users?.home_base ?? '/home', name), groups });
      return;
    }
    const have = await groupsOfUser(name);
    for (const g of groups) if (!have.includes(g)) await addToGroup(name, g);
  }

  /** Memberships of groups that mirror UNIX groups follow the system; groups made in the hub are left alone. */
  private async syncSystemGroups(user: UserRow, systemGroups: string[]): Promise<void> {
    const current = new Set(await this.repo.groupsOf(user.id));
    for (const name of systemGroups) {
      let group = await this.repo.findGroup(name);
      if (!group) group = await this.repo.createGroup(name, true);
      if (!current.has(name)) await this.repo.addMembers(group.id, [user.id]);
    }
    for (const name of current) {
      if (systemGroups.includes(name)) continue;
      const group = await this.repo.findGroup(name);
      if (group?.system) await this.repo.removeMembers(group.id, [user.id]);
    }
  }

  /** Config's admin_users are admins in the database too (created for native auth without a password). */
  async applyAdminUsers(): Promise<void> {
    for (const name of this.config.admin_users) {
      const user = await this.repo.findUser(name);
      if (!user) await this.repo.createUser(name, true);
      else if (!user.admin) await this.repo.updateUser(user.id, { admin: 1 });
    }
  }
}
