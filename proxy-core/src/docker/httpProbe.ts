import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { ModeledContainer } from './containerModel';
import type { ProbeResult, ProbeResults } from './autoDomains';

export const PROBE_TIMEOUT_MS = 1000;
/** A port that answered nothing is asked again after these delays (a server may still be starting), then left. */
export const PROBE_RETRY_MS = [100, 250, 500, 1000, 2000, 4000, 8000, 16000];

/**
 * Whether a TCP port speaks HTTP: one short HTTP/1.1 request (`GET /`, `Connection: close`),
 * then the first bytes of the answer decide. A status line (`HTTP/1.1 200`) is HTTP, except the
 * 400 a TLS server sends to plain HTTP (nginx: "The plain HTTP request was sent to HTTPS port",
 * Go: "Client sent an HTTP request to an HTTPS server"); a TLS record (0x15 alert, 0x16
 * handshake) is TLS; other bytes are not HTTP; refused, reset, closed without a byte or silent
 * for `timeoutMs` is nothing. At most 1 KiB is read.
 */
export async function probeHttp(hostname: string, port: number, timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeResult> {
  const plain = await askHttp(hostname, port, timeoutMs);
  // A TLS server may close on (or wait out) a plain request without a byte: a handshake tells.
  if (plain.answer === 'none' && plain.accepted && (await speaksTls(hostname, port, timeoutMs)))
    return { answer: 'tls', detail: 'speaks TLS', final: true };
  return { answer: plain.answer, detail: plain.detail, final: plain.final };
}

/** True when a TLS handshake with the port completes (any certificate: only the protocol is asked). */
function speaksTls(hostname: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: hostname, port, rejectUnauthorized: false, servername: undefined });
    const done = (yes: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(yes);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('secureConnect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}

function askHttp(hostname: string, port: number, timeoutMs: number): Promise<ProbeResult & { accepted: boolean }> {
  return new Promise((resolve) => {
    let accepted = false;
    let got = Buffer.alloc(0);
    let done = false;
    const socket = net.connect({ host: hostname, port });
    const finish = (answer: ProbeResult['answer'], detail: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ answer, detail, final: answer !== 'none', accepted });
    };
    const decide = (ended: boolean) => {
      if (done) return;
      if (!got.length) {
        if (ended) finish('none', 'closed the connection without answering');
        return;
      }
      if (got[0] === 0x15 || got[0] === 0x16) return finish('tls', 'answered with TLS');
      const text = got.toString('latin1');
      const notHttp = () => finish('other', `answered ${JSON.stringify(text.slice(0, 24))}, not HTTP`);
      if (!text.startsWith('HTTP/'.slice(0, Math.min(5, text.length)))) return notHttp();
      const full = ended || got.length >= 1024;
      const lineEnd = text.indexOf('\n');
      if (lineEnd === -1 && !full) return; // the status line is still coming
      const status = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(text);
      if (!status) return notHttp();
      if (status[1] === '400') {
        if (!full) return; // the body may say it wants TLS
        if (/https|tls|ssl/i.test(text)) return finish('tls', 'wants TLS (it answered plain HTTP with 400)');
      }
      finish('http', `answered ${text.slice(0, lineEnd === -1 ? 32 : lineEnd).trim()}`);
    };
    const timer = setTimeout(() => {
      if (got.length) return decide(true);
      finish('none', `answered nothing within ${timeoutMs / 1000} s`);
    }, timeoutMs);
    socket.on('connect', () => {
      accepted = true;
      socket.write(
        `GET / HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUser-Agent: container-https-probe\r\nAccept: */*\r\nConnection: close\r\n\r\n`,
      );
    });
    socket.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]).subarray(0, 1024);
      decide(false);
    });
    socket.on('end', () => decide(true));
    socket.on('close', () => decide(true));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (got.length) return decide(true);
      // A reset after the connection was taken is a server closing on us, not a port nobody listens on.
      if (accepted) return finish('none', 'closed the connection without answering');
      finish(
        'none',
        err.code === 'ECONNREFUSED' ? 'refused the connection' : `could not be reached (${err.code ?? err.message})`,
      );
    });
  });
}

export interface HttpProbesOptions {
  /** Where the port is reached from here: the address the container resolver would use, or why it cannot be. */
  address: (c: ModeledContainer, port: number) => { hostname: string; port: number } | string;
  /** Which ports of a container need probing now (docker/autoDomains.ts portsToProbe). */
  wanted: (c: ModeledContainer) => number[];
  probe?: typeof probeHttp;
  retryMs?: number[];
  timeoutMs?: number;
}

interface Entry {
  result?: ProbeResult;
  attempt: number;
  timer?: NodeJS.Timeout;
}

/**
 * Probes the ports of starting containers once, and keeps what they said per container id and
 * port for as long as the container runs (a container that stops and starts again is probed
 * again). A port that answered nothing is asked again with backoff while the container starts;
 * HTTP, TLS or other answers are final. Emits 'changed' when a result arrives; `results()` is
 * plain data for the derivation.
 */
export class HttpProbes extends EventEmitter {
  private readonly entries = new Map<string, Map<number, Entry>>();
  /** The latest model of each container probed: a retry asks at its current address. */
  private readonly models = new Map<string, ModeledContainer>();
  private closed = false;

  constructor(private readonly opts: HttpProbesOptions) {
    super();
  }

  /** The current models: probes what is new, forgets containers that stopped or went. */
  sync(models: ModeledContainer[]): void {
    if (this.closed) return;
    const seen = new Set<string>();
    for (const c of models) {
      const ports = this.opts.wanted(c);
      if (!ports.length) continue;
      seen.add(c.info.id);
      this.models.set(c.info.id, c);
      let byPort = this.entries.get(c.info.id);
      if (!byPort) this.entries.set(c.info.id, (byPort = new Map()));
      for (const port of ports) {
        if (byPort.has(port)) continue;
        const entry: Entry = { attempt: 0 };
        byPort.set(port, entry);
        void this.run(c.info.id, port, entry);
      }
    }
    let dropped = false;
    for (const [id, byPort] of this.entries) {
      if (seen.has(id)) continue;
      for (const e of byPort.values()) clearTimeout(e.timer);
      this.entries.delete(id);
      this.models.delete(id);
      dropped = true;
    }
    if (dropped) this.emit('changed');
  }

  results(): ProbeResults {
    const out = new Map<string, Map<number, ProbeResult>>();
    for (const [id, byPort] of this.entries) {
      const results = new Map<number, ProbeResult>();
      for (const [port, e] of byPort) if (e.result) results.set(port, e.result);
      if (results.size) out.set(id, results);
    }
    return out;
  }

  close(): void {
    this.closed = true;
    for (const byPort of this.entries.values()) for (const e of byPort.values()) clearTimeout(e.timer);
    this.entries.clear();
    this.models.clear();
  }

  private async run(id: string, port: number, entry: Entry): Promise<void> {
    const c = this.models.get(id);
    if (!c) return;
    const where = this.opts.address(c, port);
    let result: ProbeResult;
    if (typeof where === 'string') result = { answer: 'none', detail: `cannot be reached: ${where}`, final: false };
    else result = await (this.opts.probe ?? probeHttp)(where.hostname, where.port, this.opts.timeoutMs);
    // The container stopped or went meanwhile: its entry is gone, the answer is for nobody.
    if (this.closed || this.entries.get(id)?.get(port) !== entry) return;
    const retries = this.opts.retryMs ?? PROBE_RETRY_MS;
    if (!result.final && entry.attempt >= retries.length) result = { ...result, final: true };
    const before = entry.result;
    entry.result = result;
    if (!result.final) {
      entry.timer = setTimeout(() => void this.run(id, port, entry), retries[entry.attempt++]);
      entry.timer.unref();
    }
    if (!before || before.answer !== result.answer || before.final !== result.final || before.detail !== result.detail)
      this.emit('changed');
  }
}
