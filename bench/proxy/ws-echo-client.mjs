// Websocket echo load, as bench/proxy/run.ts makes it: N sockets, 64-byte messages, W in flight on each.
// Prints messages per second.   node bench/proxy/ws-echo-client.mjs ws://127.0.0.1:PORT/ [seconds] [sockets] [window]
import WebSocket from 'ws';

const [url, seconds = '5', sockets = '50', window = '8'] = process.argv.slice(2);
const payload = Buffer.alloc(64, 7);
let messages = 0;
const open = await Promise.all(Array.from({ length: Number(sockets) }, () => new Promise((resolve, reject) => {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  ws.once('open', () => resolve(ws));
  ws.once('error', reject);
})));
let running = true;
const started = performance.now();
for (const ws of open) {
  ws.on('message', () => { messages++; if (running) ws.send(payload); });
  for (let i = 0; i < Number(window); i++) ws.send(payload);
}
await new Promise((r) => setTimeout(r, Number(seconds) * 1000));
running = false;
const elapsed = (performance.now() - started) / 1000;
for (const ws of open) ws.terminate();
console.log(Math.round(messages / elapsed));
