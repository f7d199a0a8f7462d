/**
 * The "phone" of test/lan/lanNetns.test.ts: run as a script inside the phone's network namespace
 * (nsenter --net), it does one thing and prints the outcome as one JSON line. Node cannot move a
 * socket into another namespace, hence a process per action.
 *
 *   resolve NAME IFACE_ADDR [ms]            mDNS A query → { addresses: [...] }
 *   goodbye NAME IFACE_ADDR ms              waits for a TTL 0 answer → { goodbye: true|false, seen: [...] }
 *   get URL [--ca FILE] [--connect IP] [--auth USER:PASS] [--host H (the Host header only)]
 *                                           → { status, headers, body (base64) } or { error }
 *   connect IP PORT                         → { open: true|false, code }
 *   respond NAME IFACE_ADDR IP              another mDNS responder on 5353 (as avahi), until killed → { ready: true }
 *   ws URL [--ca FILE] [--connect IP] [--auth USER:PASS] [--host H]
 *                                           WebSocket handshake → { hello } or { status } or { error }
 *   wsbackend PORT                          (laptop side) a WebSocket backend saying hello, until killed
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import makeMdns from 'multicast-dns';
import WebSocket, { WebSocketServer } from 'ws';

const print = (v: unknown) => process.stdout.write(JSON.stringify(v) + '\n');

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? undefined : args[i + 1];
}

async function resolve(name: string, ifaceAddr: string, ms: number): Promise<void> {
  const mdns = makeMdns({ interface: ifaceAddr, bind: '0.0.0.0', reuseAddr: true });
  const addresses = new Set<string>();
  mdns.on('response', (res) => {
    for (const a of [...res.answers, ...(res.additionals ?? [])])
      if (a.name === name && a.type === 'A' && (a.ttl ?? 0) > 0) addresses.add(String(a.data));
  });
  mdns.on('ready', () => mdns.query({ questions: [{ name, type: 'A' }] }));
  // Asked again in case the first query left before the responder joined.
  const again = setInterval(() => mdns.query({ questions: [{ name, type: 'A' }] }), 500);
  const deadline = Date.now() + ms;
  while (!addresses.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  clearInterval(again);
  mdns.destroy();
  print({ addresses: [...addresses] });
}

async function goodbye(name: string, ifaceAddr: string, ms: number): Promise<void> {
  const mdns = makeMdns({ interface: ifaceAddr, bind: '0.0.0.0', reuseAddr: true });
  const seen: Array<{ type: string; ttl: number; data: string }> = [];
  mdns.on('response', (res) => {
    for (const a of res.answers as Array<{ name: string; type: string; ttl?: number; data?: unknown }>)
      if (a.name === name) seen.push({ type: a.type, ttl: a.ttl ?? -1, data: String(a.data) });
  });
  await new Promise((r) => mdns.once('ready', r));
  print({ ready: true });
  const deadline = Date.now() + ms;
  while (!seen.some((s) => s.ttl === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  mdns.destroy();
  print({ goodbye: seen.some((s) => s.type === 'A' && s.ttl === 0), seen });
}

function get(url: string, args: string[]): Promise<void> {
  const u = new URL(url);
  const ca = flag(args, 'ca');
  const connect = flag(args, 'connect');
  const auth = flag(args, 'auth');
  const host = flag(args, 'host');
  const headers: http.OutgoingHttpHeaders = { host: host ?? u.host };
  if (auth) headers.authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
  const options: https.RequestOptions = {
    host: connect ?? u.hostname,
    port: u.port || (u.protocol === 'https:' ? 443 : 80),
    path: u.pathname + u.search,
    headers,
    timeout: 10_000,
  };
  if (u.protocol === 'https:') {
    options.ca = ca ? fs.readFileSync(ca) : undefined;
    // SNI and the certificate check follow the URL; --host changes only the Host header.
    options.servername = u.hostname;
    options.agent = false;
  }
  return new Promise((done) => {
    const req = (u.protocol === 'https:' ? https : http).request(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        print({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('base64') });
        done();
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      print({ error: err.code ?? err.message, message: err.message });
      done();
    });
    req.end();
  });
}

function connect(ip: string, port: number): Promise<void> {
  return new Promise((done) => {
    const socket = net.connect({ host: ip, port, timeout: 3000 });
    socket.once('connect', () => {
      print({ open: true });
      socket.destroy();
      done();
    });
    socket.once('timeout', () => {
      print({ open: false, code: 'ETIMEDOUT' });
      socket.destroy();
      done();
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      print({ open: false, code: err.code });
      done();
    });
  });
}

function respond(name: string, ifaceAddr: string, ip: string): void {
  const mdns = makeMdns({ interface: ifaceAddr, bind: '0.0.0.0', reuseAddr: true });
  mdns.on('query', (q) => {
    if (q.questions.some((x) => x.name === name)) mdns.respond({ answers: [{ name, type: 'A', ttl: 120, data: ip }] });
  });
  mdns.on('ready', () => print({ ready: true }));
}

function ws(url: string, args: string[]): Promise<void> {
  const u = new URL(url);
  const ca = flag(args, 'ca');
  const auth = flag(args, 'auth');
  const host = flag(args, 'host');
  const headers: Record<string, string> = { host: host ?? u.host };
  if (auth) headers.authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
  const target = `wss://${flag(args, 'connect') ?? u.hostname}:${u.port}${u.pathname}`;
  return new Promise((done) => {
    // ws hands these options to https.request; its types omit `servername`.
    const socket = new WebSocket(target, {
      ca: ca ? fs.readFileSync(ca) : undefined,
      servername: u.hostname,
      headers,
    } as WebSocket.ClientOptions);
    let finished = false;
    const finish = (v: unknown) => {
      if (finished) return;
      finished = true;
      print(v);
      socket.terminate();
      done();
    };
    socket.once('message', (m) => finish({ hello: String(m) }));
    socket.once('unexpected-response', (_req, res) => finish({ status: res.statusCode }));
    socket.once('error', (err: NodeJS.ErrnoException) => finish({ error: err.code ?? err.message }));
  });
}

function wsBackend(port: number): void {
  const server = http.createServer((req, res) => res.end(`backend saw ${req.headers.host}`));
  new WebSocketServer({ server }).on('connection', (socket, req) => socket.send(`hello over ${req.headers.host}`));
  server.listen(port, '127.0.0.1', () => print({ ready: true }));
}

async function main(): Promise<void> {
  const [cmd, ...args] = process.argv.slice(2);
  if (cmd === 'resolve') return resolve(args[0], args[1], Number(args[2] ?? 3000));
  if (cmd === 'goodbye') return goodbye(args[0], args[1], Number(args[2] ?? 5000));
  if (cmd === 'get') return get(args[0], args.slice(1));
  if (cmd === 'connect') return connect(args[0], Number(args[1]));
  if (cmd === 'respond') return respond(args[0], args[1], args[2]);
  if (cmd === 'ws') return ws(args[0], args.slice(1));
  if (cmd === 'wsbackend') return wsBackend(Number(args[0]));
  throw new Error(`unknown command ${cmd}`);
}

if (require.main === module) void main();
