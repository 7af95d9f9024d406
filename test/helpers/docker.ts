import { execFileSync } from 'node:child_process';

export const BASE_IMAGE = 'plasma/base:latest';
export const TEST_IMAGE = 'plasma-test/base:latest';

export function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

export function dockerOk(...args: string[]): { code: number; out: string } {
  try {
    return { code: 0, out: docker(...args) };
  } catch (err) {
    const e = err as { status: number; stdout?: string; stderr?: string };
    return { code: e.status, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** Test images are tags of the bootstrap image under plasma-test/ (cheap, removed after). */
export function tagTestImage(name = TEST_IMAGE): void {
  docker('tag', BASE_IMAGE, name);
}

export function removeTestContainersAndImages(images: string[] = [TEST_IMAGE]): void {
  const ids = docker('ps', '-aq', '--filter', 'name=^/jupyter-pt-').split('\n').filter(Boolean);
  if (ids.length) dockerOk('rm', '-f', ...ids);
  for (const image of images) dockerOk('rmi', image);
}
