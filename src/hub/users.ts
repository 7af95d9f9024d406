import type { PlasmaConfig } from '../config/index.ts';
import type { Repo, UserRow } from '../db/index.ts';
import { groupsOfUser, lookupUser } from '../system/users.ts';

/** Brings a user who just logged in into the hub: created if new, admin per config, system groups mirrored. */
export class HubUsers {
  constructor(
    private readonly repo: Repo,
    private readonly config: PlasmaConfig['auth'],
    private readonly environments: PlasmaConfig['environments'],
  ) {}

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

  async ensure(name: string, systemGroups?: string[]): Promise<UserRow | null> {
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
    return user;
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
