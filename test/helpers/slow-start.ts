import path from 'node:path';
import type { Stack } from './stack.ts';

/**
 * Restarts the stack's hub with a local server command that waits while a file exists, so a test can press Cancel
 * while a start is still pending. Returns the file's path: create it for slow starts, remove it for normal ones.
 */
export async function useSlowStartSwitch(stack: Stack): Promise<string> {
  const flag = path.join(stack.prefix, 'slow-start');
  stack.writeConfig({
    spawner: { local: { cmd: ['/bin/sh', '-c', `if [ -e ${flag} ]; then sleep 60; fi; exec /usr/bin/jupyterhub-singleuser "$@"`, 'plasma-start'] } },
  });
  await stack.killHub('SIGTERM');
  await stack.startHub();
  return flag;
}
