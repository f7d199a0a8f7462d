import makeMdns from 'multicast-dns';
import type { LanInterface } from './types';

/** dns-packet's answer record, as multicast-dns's types carry it (dns-packet is not a direct dependency). */
type Answer = makeMdns.ResponsePacket['answers'][number];

const TTL = 120;
const MDNS_PORT = 5353;

export interface MdnsResponderOptions {
  iface: LanInterface;
  log: (line: string) => void;
  /** Tests use another port; the real one is 5353. */
  port?: number;
}

/**
 * Answers A (and AAAA) queries for the shared `.local` names on the LAN interface (RFC 6762),
 * announces a name when it is shared or the address changes, and says goodbye (TTL 0) when it
 * is unshared or the daemon stops. multicast-dns binds 0.0.0.0:5353 with SO_REUSEADDR and joins
 * the group on the LAN interface only, so avahi or Bonjour on the same machine keep working.
 * Not done: probing for a name another device already claims (RFC 6762 §8.1; docs/lan.md).
 */
export class MdnsResponder {
  private readonly mdns: makeMdns.MulticastDNS;
  private names = new Set<string>();
  private iface: LanInterface;
  private readonly ready: Promise<void>;

  constructor(private readonly opts: MdnsResponderOptions) {
    this.iface = opts.iface;
    this.mdns = makeMdns({
      interface: opts.iface.ipv4,
      bind: '0.0.0.0',
      reuseAddr: true,
      port: opts.port ?? MDNS_PORT,
      loopback: true,
    });
    this.ready = new Promise((resolve, reject) => {
      this.mdns.once('ready', () => resolve());
      this.mdns.once('error', reject);
    });
    this.mdns.on('error', (err: Error) => opts.log(`mDNS: ${err.message}`));
    this.mdns.on('warning', () => undefined);
    this.mdns.on('query', (query, rinfo) => this.onQuery(query, rinfo));
  }

  /** Resolves once bound; rejects with the bind error (EADDRINUSE without SO_REUSEADDR elsewhere). */
  start(): Promise<void> {
    return this.ready;
  }

  /** The names to answer for: new ones are announced, dropped ones get a goodbye. */
  setNames(names: string[]): void {
    const next = new Set(names.map((n) => n.toLowerCase()));
    const gone = [...this.names].filter((n) => !next.has(n));
    const added = [...next].filter((n) => !this.names.has(n));
    this.names = next;
    if (gone.length) this.send(gone.flatMap((n) => this.records(n, 0)));
    if (added.length) this.announce(added);
  }

  /** The interface's IPv6 address changed (same IPv4, same socket): goodbye for the old records, then the new ones announced. */
  setInterface(iface: LanInterface): void {
    const names = [...this.names];
    this.send(names.flatMap((n) => this.records(n, 0)));
    this.iface = iface;
    this.announce(names);
  }

  /** Goodbye for every name, then the socket closes. */
  async close(): Promise<void> {
    const names = [...this.names];
    this.names.clear();
    if (names.length) await this.send(names.flatMap((n) => this.records(n, 0)));
    await new Promise<void>((resolve) => this.mdns.destroy(() => resolve()));
  }

  /** RFC 6762 §8.3: at least two unsolicited responses, one second apart. */
  private announce(names: string[]): void {
    const again = () => {
      const still = names.filter((n) => this.names.has(n));
      if (still.length) void this.send(still.flatMap((n) => this.records(n, TTL)));
    };
    again();
    setTimeout(again, 1000).unref();
  }

  private records(name: string, ttl: number): Answer[] {
    const answers: Answer[] = [{ name, type: 'A', ttl, class: 'IN', flush: true, data: this.iface.ipv4 }];
    if (this.iface.ipv6) answers.push({ name, type: 'AAAA', ttl, class: 'IN', flush: true, data: this.iface.ipv6 });
    return answers;
  }

  private onQuery(query: makeMdns.QueryPacket, rinfo: { address: string; port: number }): void {
    const answers: Answer[] = [];
    for (const q of query.questions) {
      const name = q.name.toLowerCase();
      if (!this.names.has(name)) continue;
      for (const record of this.records(name, TTL))
        if ((q.type as string) === 'ANY' || q.type === record.type) answers.push(record);
    }
    if (!answers.length) return;
    // A one-shot querier (not on port 5353, RFC 6762 §6.7) gets a unicast answer with its id and question.
    if (rinfo.port !== (this.opts.port ?? MDNS_PORT)) {
      this.mdns.respond(
        { id: query.id, questions: query.questions, answers: answers.map((a) => ({ ...a, flush: false })) },
        { port: rinfo.port, address: rinfo.address },
      );
      return;
    }
    void this.send(answers);
  }

  private send(answers: Answer[]): Promise<void> {
    if (!answers.length) return Promise.resolve();
    return this.ready.then(
      () => new Promise<void>((resolve) => this.mdns.respond({ answers }, () => resolve())),
      () => undefined,
    );
  }
}
