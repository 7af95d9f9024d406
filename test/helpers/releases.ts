import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './stack.ts';

/**
 * Source trees to make releases from in tests: a commit of this repository (e.g. the previous one, for a real
 * upgrade across commits), optionally patched (a broken migration, a hub that cannot start). They share this
 * checkout's node_modules, so packing one takes seconds.
 */
export function sourceTree(commit: string, patch?: (dir: string) => void): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-src-'));
  execFileSync('bash', ['-c', 'git -C "$1" archive "$2" | tar -x -C "$3"', 'archive', REPO_ROOT, commit, dir]);
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  patch?.(dir);
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A commit whose release differs from HEAD's: the parent of the last commit that changed what a release is made of
 * (src/, ui/, bin/, package files). Not simply the last such commit before HEAD: when HEAD changes only tests or
 * docs, that one builds the very same release.
 */
export function previousReleaseCommit(): string {
  const git = (...args: string[]) => execFileSync('git', ['-C', REPO_ROOT, ...args], { encoding: 'utf8' }).trim();
  const lastChange = git('rev-list', '-n', '1', 'HEAD', '--', 'src', 'ui', 'bin', 'package.json', 'package-lock.json', 'scripts');
  return git('rev-parse', `${lastChange}~1`);
}

/** Adds a migration that fails, after the release's own. */
export function addBrokenMigration(dir: string): void {
  const migrations = path.join(dir, 'src/db/migrations');
  fs.writeFileSync(path.join(migrations, '999_deliberately_broken.ts'),
    "export async function up(db: any): Promise<void> {\n  await db.schema.createTable('pt_half_done').addColumn('x', 'text').execute();\n  throw new Error('this migration fails on purpose');\n}\n");
  const index = path.join(migrations, 'index.ts');
  const text = fs.readFileSync(index, 'utf8')
    .replace("import type { Migration } from 'kysely';", "import type { Migration } from 'kysely';\nimport * as broken from './999_deliberately_broken.ts';")
    .replace(/\n};\s*$/, "\n  '999_deliberately_broken': broken,\n};\n");
  fs.writeFileSync(index, text);
}

/** Makes the hub exit as it starts. */
export function breakHubStart(dir: string): void {
  const file = path.join(dir, 'src/hub/index.ts');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(
    'export async function startHub(options',
    "export async function startHub(...args: any[]): Promise<RunningHub> {\n  throw new Error('this hub cannot start, on purpose');\n}\nexport async function unusedStartHub(options"));
}
