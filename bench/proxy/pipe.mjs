// The ceiling for any user-space proxy on this machine: a TCP byte pipe to the backend that parses nothing.
// (It can't route, add headers or keep routes; bench/proxy runs it only to show what the kernel and Node's
// socket layer cost by themselves.)
import net from 'node:net';

const [port, backendPort] = process.argv.slice(2).map(Number);
const server = net.createServer((client) => {
  const upstream = net.connect(backendPort, '127.0.0.1');
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  client.pipe(upstream);
  upstream.pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
});
server.listen(port, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
