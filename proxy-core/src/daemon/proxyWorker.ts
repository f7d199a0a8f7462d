/**
 * A proxy worker: a second process that serves HTTPS connections the daemon hands it, so the
 * proxy can use more than one core. It owns no state of its own: routes (already resolved, with
 * container addresses) and certificates arrive from the daemon over the IPC channel, and it
 * exits when that channel closes, whatever way the daemon ended.
 */
import * as net from 'node:net';
import type * as tls from 'node:tls';
import { CaptureBatcher } from '../capture/captureBatcher';
import { makeContext } from '../certs/certStore';
import { FallbackCerts } from '../certs/fallbackCerts';
import { errorMessage } from '../errors';
import { HttpsProxy } from '../proxy/httpsProxy';
import { SnapshotLookup } from '../routes/routeSnapshot';
import { RECORD_PIPE_FD, writeRecords } from './recordPipe';
import { type CertPem, type FromWorker, recordsToWire, type ToWorker } from './workerProtocol';

const send = (msg: FromWorker): void => {
  if (process.connected) process.send?.(msg);
};
const log = (line: string): void => send({ t: 'log', line });

const routes = new SnapshotLookup();
const contexts = new Map<string, tls.SecureContext>();
const fallbackWaiters = new Map<number, (cert: CertPem | undefined) => void>();
let nextFallbackId = 1;
let proxy: HttpsProxy | undefined;
let open = 0;
let accepted = 0;
/** The record pipe (recordPipe.ts), opened at init when the daemon forked this worker with one. */
let recordPipe: net.Socket | undefined;
const captured = new CaptureBatcher((records) =>
  recordPipe ? writeRecords(recordPipe, records) : send({ t: 'capture', records: recordsToWire(records) }),
);

/** Certificates for names without a route come from the daemon, which holds the CA key. */
const fallbacks = new FallbackCerts(
  (host) =>
    new Promise<CertPem | undefined>((resolve) => {
      const id = nextFallbackId++;
      fallbackWaiters.set(id, resolve);
      send({ t: 'fallback', id, host });
    }),
);

function setCerts(certs: CertPem[]): void {
  for (const c of certs) {
    try {
      contexts.set(c.host, makeContext(c.certPem, c.keyPem));
    } catch (err) {
      log(`worker ${process.pid}: certificate for ${c.host} not usable: ${errorMessage(err)}`);
    }
  }
}

/** Serves one connection; the daemon hears when the last one closes (it may then stop this worker). */
function serve(socket: net.Socket): void {
  open++;
  socket.once('close', () => {
    if (--open === 0) send({ t: 'conns', open, accepted });
  });
  proxy!.accept(socket);
}

function onMessage(msg: ToWorker, handle: unknown): void {
  switch (msg.t) {
    case 'conn':
      // Before init there is nothing to serve with; the daemon never sends one that early.
      accepted++;
      if (proxy && handle) serve(handle as net.Socket);
      else {
        (handle as net.Socket | undefined)?.destroy();
        if (open === 0) send({ t: 'conns', open, accepted });
      }
      return;
    case 'init':
      if (msg.capture?.pipe) {
        recordPipe = new net.Socket({ fd: RECORD_PIPE_FD, readable: false, writable: true });
        // Broken only when the daemon is gone, and then so is this worker (see 'disconnect').
        recordPipe.on('error', () => undefined);
      }
      routes.replace(msg.routes);
      setCerts(msg.certs);
      proxy = new HttpsProxy({
        table: routes,
        contextFor: (name) => contexts.get(name),
        fallbackContextFor: (name) => fallbacks.contextFor(name),
        defaultCert: msg.defaultCert,
        port: msg.port,
        backendTimeoutMs: msg.backendTimeoutMs,
        timeouts: msg.timeouts,
        log,
        capture: msg.capture && { bodyBytes: msg.capture.bodyBytes, publish: (r) => captured.publish(r) },
      });
      break;
    case 'routes':
      routes.replace(msg.routes);
      break;
    case 'port':
      if (proxy) proxy.port = msg.port;
      break;
    case 'certs':
      for (const host of msg.remove) contexts.delete(host);
      setCerts(msg.set);
      break;
    case 'fallback':
      fallbackWaiters.get(msg.id)?.(msg.cert);
      fallbackWaiters.delete(msg.id);
      return;
  }
  send({ t: 'ack', seq: msg.seq });
}

if (!process.send) {
  process.stderr.write('proxyWorker.js is started by `container-https serve`, not by hand.\n');
  process.exit(2);
}
process.on('message', onMessage);
// The daemon is gone (stopped, crashed or killed): so is every reason to run.
process.on('disconnect', () => {
  captured.flush();
  void proxy?.close();
  if (!recordPipe) process.exit(0);
  // The last records are still in the pipe's queue: out, then exit (a daemon that stopped reading
  // does not hold the worker up for long).
  recordPipe.end(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
// One bad request must not take the worker's connections down with it (the daemon does the same).
process.on('uncaughtException', (err) =>
  log(`worker ${process.pid}: internal error (please report): ${err.stack ?? err}`),
);
process.on('SIGINT', () => undefined);
