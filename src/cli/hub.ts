import type { Command } from 'commander';

/** `plasma hub`, `plasma up`, `plasma users`, `plasma token` (owned by the hub issue). */
export function registerHubCommands(_program: Command): void {}
