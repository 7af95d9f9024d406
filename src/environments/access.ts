import type { PlasmaConfig } from '../config/index.ts';
import type { EnvironmentRepo } from '../db/index.ts';
import { EnvironmentError } from './types.ts';

/**
 * Which groups may use which environment (tljh-plasma's permissions). The groups that can be granted are
 * environments.groups (plasma.groups) when it is set, else every hub group; a mapping to a group later
 * taken off that list stops counting without being deleted.
 */

const GROUP_RE = /^[a-z0-9_][a-z0-9_.@-]{0,63}$/;

export interface PermissionsView {
  groups: string[];
  environments: string[];
  permissions: Record<string, string[]>;
}

export class EnvironmentAccess {
  constructor(
    private readonly repo: EnvironmentRepo,
    private readonly config: PlasmaConfig['environments'],
    private readonly hubGroups: () => Promise<string[]>,
  ) {}

  async grantableGroups(): Promise<string[]> {
    if (this.config.groups.length) return [...this.config.groups];
    return (await this.hubGroups()).sort();
  }

  /** environment → the groups that count (restricted to the include list when there is one). */
  async effective(): Promise<Map<string, string[]>> {
    const all = await this.repo.permissions();
    if (!this.config.groups.length) return all;
    const include = new Set(this.config.groups);
    return new Map([...all].map(([env, groups]) => [env, groups.filter((g) => include.has(g))]));
  }

  mayUse(environmentGroups: string[], userGroups: string[]): boolean {
    return environmentGroups.some((g) => userGroups.includes(g));
  }

  async view(environments: string[]): Promise<PermissionsView> {
    const mapping = await this.repo.permissions();
    const permissions: Record<string, string[]> = {};
    for (const env of environments) permissions[env] = mapping.get(env) ?? [];
    return { groups: await this.grantableGroups(), environments, permissions };
  }

  private async checkGroups(groups: unknown, field: string): Promise<string[]> {
    if (!Array.isArray(groups) || groups.some((g) => typeof g !== 'string')) {
      throw new EnvironmentError(400, `${field} must be a list of group names`, { field });
    }
    const grantable = new Set(await this.grantableGroups());
    for (const g of groups as string[]) {
      if (!GROUP_RE.test(g)) throw new EnvironmentError(400, `${JSON.stringify(g.slice(0, 64))} is not a group name`, { field });
      if (!grantable.has(g)) {
        throw new EnvironmentError(400, this.config.groups.length
          ? `group ${g} is not in environments.groups (${this.config.groups.join(', ')}); add it there first`
          : `no hub group is named ${g}`, { field });
      }
    }
    return [...new Set(groups as string[])];
  }

  /**
   * Replaces the whole mapping: `{permissions: {env: [groups]}}`, or tljh-plasma's `[{name, value}]` list.
   * Everything is checked before anything changes.
   */
  async replace(body: unknown, environments: string[]): Promise<void> {
    let entries: Array<[string, unknown]>;
    if (Array.isArray(body)) {
      const grouped = new Map<string, string[]>();
      for (const item of body) {
        if (!item || typeof item !== 'object' || typeof item.name !== 'string' || typeof item.value !== 'string') {
          throw new EnvironmentError(400, 'each permission must be {"name": <environment>, "value": <group>}', { field: 'permissions' });
        }
        grouped.set(item.name, [...(grouped.get(item.name) ?? []), item.value]);
      }
      entries = [...grouped];
    } else if (body && typeof body === 'object' && 'permissions' in body) {
      const permissions = (body as { permissions: unknown }).permissions;
      const extra = Object.keys(body).filter((k) => k !== 'permissions');
      if (extra.length) throw new EnvironmentError(400, `unknown keys: ${extra.join(', ')}`);
      if (!permissions || typeof permissions !== 'object' || Array.isArray(permissions)) {
        throw new EnvironmentError(400, 'permissions must be an object {"<environment>": ["<group>", …]}', { field: 'permissions' });
      }
      entries = Object.entries(permissions);
    } else {
      throw new EnvironmentError(400, 'the body must be {"permissions": {"<environment>": ["<group>", …]}}', { field: 'permissions' });
    }
    const known = new Set(environments);
    const mapping = new Map<string, string[]>();
    for (const [env, groups] of entries) {
      if (!known.has(env)) throw new EnvironmentError(400, `no environment is named ${JSON.stringify(env.slice(0, 64))}`, { field: 'permissions' });
      mapping.set(env, await this.checkGroups(groups, `permissions.${env}`));
    }
    await this.repo.replacePermissions(mapping);
  }

  async grant(environment: string, groups: unknown): Promise<void> {
    await this.repo.grant(environment, await this.checkGroups(groups, 'groups'));
  }

  async revoke(environment: string, groups: unknown): Promise<void> {
    if (!Array.isArray(groups) || groups.some((g) => typeof g !== 'string')) {
      throw new EnvironmentError(400, 'groups must be a list of group names', { field: 'groups' });
    }
    await this.repo.revoke(environment, groups as string[]);
  }
}
