import type { Command } from 'commander';

/** `plasma image …` (owned by the Docker issue). */
export function registerImageCommands(_program: Command): void {}
