import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * After a burst of traffic, once the proxy has been quiet for a while, run one full garbage collection so the heap
 * (and RSS) shrinks back to its resting size instead of staying at the burst's high-water mark.
 * Returns a function to call on traffic, and one to stop the checks.
 */
export function idleCollector(quietMs = 5000): { busy(): void; stop(): void } {
  let gc: (() => void) | undefined;
  try {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  } catch {
    gc = undefined;
  }
  let traffic = 0;
  let seen = 0;
  let collectedAt = 0;
  const timer = setInterval(() => {
    const quiet = traffic === seen;
    seen = traffic;
    if (quiet && traffic !== collectedAt && gc) {
      collectedAt = traffic;
      gc();
    }
  }, quietMs);
  timer.unref();
  return {
    busy: () => { traffic++; },
    stop: () => clearInterval(timer),
  };
}
