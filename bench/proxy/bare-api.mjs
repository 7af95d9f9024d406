// A reference for the route-add timing: a bare node:http server that does the least a routes API can do (token
// check, JSON.parse, a Map) and answers 201. run.ts times the same wrk bursts against it, so the report shows what the
// usual way of writing such an API in Node costs on the same machine in the same run (plasma's API skips node:http's
// request and response objects, so it can come out ahead).   node bench/proxy/bare-api.mjs PORT
import http from 'node:http';

const token = `token ${process.env.CONFIGPROXY_AUTH_TOKEN ?? ''}`;
const routes = new Map();
const server = http.createServer((req, res) => {
  if (req.headers.authorization !== token) return res.writeHead(403).end();
  const path = req.url.slice('/api/routes'.length) || '/';
  if (req.method === 'GET') {
    const found = path === '/' ? Object.fromEntries(routes) : routes.get(path);
    return found ? res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(found)) : res.writeHead(404).end();
  }
  if (req.method === 'DELETE') return res.writeHead(routes.delete(path) ? 204 : 404).end();
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => { body += chunk; });
  req.on('end', () => {
    routes.set(path, JSON.parse(body));
    res.writeHead(201).end();
  });
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => console.log(`listening ${server.address().port}`));
