import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * A tiny authoritative DNS server for Pebble's -dnsserver: every A query answers 127.0.0.1,
 * AAAA answers nothing (else Pebble dials [::1] only), TXT answers what a test published
 * (DNS-01), everything else is an empty NOERROR.
 */
export interface DnsResponder {
  port: number;
  txt: Map<string, string[]>;
  /** A directory where a DNS-01 hook (a child process) drops files named after the TXT name. */
  txtDir?: string;
  queries: Array<{ name: string; type: number }>;
  close: () => Promise<void>;
}

const A = 1;
const TXT = 16;

export async function startDnsResponder(): Promise<DnsResponder> {
  const socket = dgram.createSocket('udp4');
  const txt = new Map<string, string[]>();
  const queries: DnsResponder['queries'] = [];
  socket.on('message', (msg, rinfo) => {
    const q = parseQuestion(msg);
    if (!q) return;
    queries.push({ name: q.name, type: q.type });
    const answers: Buffer[] = [];
    if (q.type === A) answers.push(record(A, Buffer.from([127, 0, 0, 1])));
    if (q.type === TXT) {
      const name = q.name.toLowerCase().replace(/\.$/, '');
      const fromFile = responder.txtDir ? readLines(path.join(responder.txtDir, name)) : [];
      for (const value of [...(txt.get(name) ?? []), ...fromFile]) {
        const v = Buffer.from(value);
        answers.push(record(TXT, Buffer.concat([Buffer.from([v.length]), v])));
      }
    }
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2); // id
    header.writeUInt16BE(0x8400 | (msg.readUInt16BE(2) & 0x0100), 2); // QR, AA, copy RD
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    socket.send(Buffer.concat([header, msg.subarray(12, q.end), ...answers]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const responder: DnsResponder = {
    port: socket.address().port,
    txt,
    queries,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
  return responder;
}

function readLines(file: string): string[] {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

function parseQuestion(msg: Buffer): { name: string; type: number; end: number } | undefined {
  if (msg.length < 17) return undefined;
  const labels: string[] = [];
  let i = 12;
  while (i < msg.length && msg[i] !== 0) {
    const len = msg[i];
    labels.push(msg.subarray(i + 1, i + 1 + len).toString('ascii'));
    i += len + 1;
  }
  if (i + 5 > msg.length) return undefined;
  return { name: labels.join('.'), type: msg.readUInt16BE(i + 1), end: i + 5 };
}

function record(type: number, rdata: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(0xc00c, 0); // pointer to the question's name
  head.writeUInt16BE(type, 2);
  head.writeUInt16BE(1, 4); // IN
  head.writeUInt32BE(1, 6); // TTL 1 s
  head.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([head, rdata]);
}
