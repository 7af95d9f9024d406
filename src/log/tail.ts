import fs from 'node:fs';

/** The last `lines` lines of a file (read from its end, so a large log costs no more than what is shown). */
function lastLines(fd: number, size: number, lines: number): { text: string; end: number } {
  const chunk = 64 * 1024;
  let pos = size;
  let text = '';
  while (pos > 0 && text.split('\n').length <= lines + 1) {
    const len = Math.min(chunk, pos);
    pos -= len;
    const buf = Buffer.alloc(len);
    fs.readSync(fd, buf, 0, len, pos);
    text = buf.toString('utf8') + text;
  }
  const all = text.split('\n');
  if (all.at(-1) === '') all.pop();
  return { text: all.slice(-lines).map((l) => `${l}\n`).join(''), end: size };
}

/**
 * A file's last lines, then (with `follow`) each line appended to it, until `signal` aborts; starts over when the
 * file is replaced or truncated (log rotation).
 */
export async function* tailFile(file: string, options: { lines: number; follow: boolean; signal?: AbortSignal }): AsyncGenerator<string> {
  let fd = fs.openSync(file, 'r');
  let ino = fs.fstatSync(fd).ino;
  try {
    const first = lastLines(fd, fs.fstatSync(fd).size, options.lines);
    if (first.text) yield first.text;
    let pos = first.end;
    let partial = '';
    while (options.follow && !options.signal?.aborted) {
      await new Promise((r) => setTimeout(r, 250));
      const now = fs.statSync(file, { throwIfNoEntry: false });
      if (now && (now.ino !== ino || now.size < pos)) {
        fs.closeSync(fd);
        fd = fs.openSync(file, 'r');
        ino = fs.fstatSync(fd).ino;
        pos = 0;
      }
      const size = fs.fstatSync(fd).size;
      if (size <= pos) continue;
      const buf = Buffer.alloc(size - pos);
      fs.readSync(fd, buf, 0, buf.length, pos);
      pos = size;
      const text = partial + buf.toString('utf8');
      const cut = text.lastIndexOf('\n') + 1;
      partial = text.slice(cut);
      if (cut) yield text.slice(0, cut);
    }
  } finally {
    fs.closeSync(fd);
  }
}
