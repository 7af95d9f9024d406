/**
 * One name per (user, server) for containers and run files, and never the same name for two of them
 * (CVE-2020-15110: names that differ only by escaping must not share a container). Hub names are lower-case
 * [a-z0-9._@-]; anything else ('@' in practice) becomes X and two hex digits, and the server name follows "-S-".
 * Upper-case letters never occur in a hub name, so X and S cannot be read any other way: "ab" + server "c" is
 * ab-S-c, the user "ab-c" stays ab-c, and "a@b" (aX40b) is not the user "a-40b".
 */
export function escapeName(name: string): string {
  return name.replace(/[^a-z0-9._-]/gu, (c) => {
    const code = c.codePointAt(0)!;
    return code < 0x100 ? `X${code.toString(16).padStart(2, '0')}` : `Y${code.toString(16).padStart(6, '0')}`;
  });
}

export function serverSlug(user: string, server: string): string {
  return `${escapeName(user)}${server ? `-S-${escapeName(server)}` : ''}`;
}
