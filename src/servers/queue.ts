/**
 * Bounds how many server starts run at once (spawner.concurrent_spawn_limit). Starts beyond the limit wait in line,
 * first come first served, and are told their place whenever it changes; a cancelled start leaves the line at once.
 * JupyterHub answers 429 there instead: in a class, everyone asks in the same second, and everyone should get in.
 */
export class SpawnQueue {
  private active = 0;
  private readonly line: Array<{ grant: () => void; place: (ahead: number) => void }> = [];

  /** 0 means no limit. */
  constructor(private limit: number) {}

  setLimit(limit: number): void {
    this.limit = limit;
    this.drain();
  }

  get running(): number {
    return this.active;
  }

  get waiting(): number {
    return this.line.length;
  }

  /**
   * Waits for a free slot; `place(ahead)` is called while waiting with the number of starts ahead in line.
   * Resolves with the function that frees the slot again (call it once the start has finished, either way).
   */
  acquire(signal: AbortSignal, place: (ahead: number) => void): Promise<() => void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.hasRoom() && !this.line.length) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const entry = {
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          resolve(this.releaser());
        },
        place,
      };
      const onAbort = () => {
        const at = this.line.indexOf(entry);
        if (at >= 0) this.line.splice(at, 1);
        this.announce(at);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.line.push(entry);
      place(this.line.length - 1);
    });
  }

  private hasRoom(): boolean {
    return this.limit <= 0 || this.active < this.limit;
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.active--;
      this.drain();
    };
  }

  private drain(): void {
    let moved = false;
    while (this.line.length && this.hasRoom()) {
      this.active++;
      this.line.shift()!.grant();
      moved = true;
    }
    if (moved) this.announce(0);
  }

  /** Tells everyone from `from` on their new place. */
  private announce(from: number): void {
    for (let i = Math.max(0, from); i < this.line.length; i++) this.line[i].place(i);
  }
}
