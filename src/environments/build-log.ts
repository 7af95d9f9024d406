import { EventEmitter } from 'node:events';

/**
 * A build's log in bounded memory: the first `headBytes` and the last `tailBytes` are kept (a build that
 * prints 20 MB costs the hub no more than that), and every chunk is passed on live to whoever follows it.
 * Credentials given for the fetch are cut out of anything that would be kept or shown.
 */
export class BuildLog extends EventEmitter {
  private head = '';
  private tail: string[] = [];
  private tailLength = 0;
  private total = 0;
  private readonly secrets: string[];

  constructor(private readonly headBytes: number, private readonly tailBytes: number, secrets: string[] = []) {
    super();
    this.setMaxListeners(0);
    this.secrets = secrets.filter((s) => s.length >= 3);
  }

  get bytes(): number {
    return this.total;
  }

  private redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join('[redacted]');
    return out;
  }

  append(raw: string): void {
    if (!raw) return;
    const text = this.redact(raw);
    this.total += text.length;
    let rest = text;
    if (this.head.length < this.headBytes) {
      const room = this.headBytes - this.head.length;
      this.head += rest.slice(0, room);
      rest = rest.slice(room);
    }
    if (rest) {
      this.tail.push(rest);
      this.tailLength += rest.length;
      while (this.tailLength - this.tail[0].length >= this.tailBytes) this.tailLength -= this.tail.shift()!.length;
      if (this.tailLength > this.tailBytes) {
        const over = this.tailLength - this.tailBytes;
        this.tail[0] = this.tail[0].slice(over);
        this.tailLength -= over;
      }
      // Keep the array short: one string per half-megabyte of tail at most.
      if (this.tail.length > 256) this.tail = [this.tail.join('')];
    }
    this.emit('text', text);
  }

  line(text: string): void {
    this.append(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** What is kept: the head, a marker for what was left out, the tail. */
  text(): string {
    const omitted = this.total - this.head.length - this.tailLength;
    const tail = this.tail.join('');
    if (omitted <= 0) return this.head + tail;
    return `${this.head}\n[… ${omitted} characters of log left out …]\n${tail}`;
  }
}
