/** Group names as Plasma keeps them (and as UNIX groups can be made from them). */
const GROUP_RE = /^[a-z_][a-z0-9_.-]{0,31}$/;

/**
 * An identity provider's groups as Plasma groups: through auth.group_map when it has entries (only mapped groups
 * count), else the provider's names themselves, lower-cased, where they are valid group names.
 */
export function mapProviderGroups(groups: string[], groupMap: Record<string, string>): string[] {
  const mapped = Object.keys(groupMap).length
    ? groups.map((g) => groupMap[g]).filter((g): g is string => !!g)
    : groups.map((g) => g.toLowerCase()).filter((g) => GROUP_RE.test(g));
  return [...new Set(mapped)].sort();
}
