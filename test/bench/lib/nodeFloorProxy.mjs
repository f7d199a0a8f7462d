// The least a Node HTTPS proxy can be, run beside ours in the footprint benchmark as "node": the
// same server and client libraries ours uses (http2.createSecureServer with HTTP/1.1 allowed, an
// undici Pool, the same HTTP/2 windows as proxy-core/src/proxy/httpsProxy.ts) and nothing else:
// no routing, no header rules, no capture, no workers. What it costs is what Node itself costs,
// so ours ÷ node is what our own code adds and node ÷ nginx is the platform's share.
//
//   node nodeFloorProxy.mjs PORT CERT KEY BACKEND_PORT
import * as fs from 'node:fs';
import * as http2 from 'node:http2';
import { Pool } from 'undici';

const [port, certFile, keyFile, backendPort] = process.argv.slice(2);
const pool = new Pool(`http://127.0.0.1:${backendPort}`, { connections: 128 });
// Hop-by-hop headers (RFC 9110 §7.6.1) and HTTP/2 pseudo-headers are not forwarded; nor is
// Expect: Node's server has already answered 100-continue, and undici refuses the header.
const skip = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
  'host',
  'expect',
]);

const server = http2.createSecureServer(
  {
    cert: fs.readFileSync(certFile),
    key: fs.readFileSync(keyFile),
    allowHTTP1: true,
    // Node's http.Server sets this on what it accepts; tls and http2 servers do not.
    noDelay: true,
    settings: { initialWindowSize: 1 << 20 },
  },
  (req, res) => {
    const headers = {};
    for (const [k, v] of Object.entries(req.headers)) if (k[0] !== ':' && !skip.has(k)) headers[k] = v;
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    pool.request(
      { method: req.method, path: req.url, headers, body: hasBody ? req : undefined },
      (err, { statusCode, headers: upHeaders, body } = {}) => {
        if (err) {
          console.error(`upstream: ${err.message}`);
          res.writeHead(502);
          return res.end();
        }
        const out = {};
        for (const [k, v] of Object.entries(upHeaders)) if (!skip.has(k)) out[k] = v;
        res.writeHead(statusCode, out);
        body.pipe(res);
      },
    );
  },
);
server.on('session', (session) => session.setLocalWindowSize(4 << 20));
server.listen(Number(port), '127.0.0.1', () => console.log(`listening on https://127.0.0.1:${port}`));
