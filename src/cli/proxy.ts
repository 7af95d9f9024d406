import type { Command } from 'commander';

/** `plasma proxy` (owned by the proxy issue). */
export function registerProxyCommands(_program: Command): void {}
