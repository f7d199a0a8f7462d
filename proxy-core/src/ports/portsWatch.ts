import { EventEmitter } from 'node:events';
import { describeHolder, findPortHolder } from './portHolder';
import { probeTls, type ProbeResult } from './portProbe';
import type { PortsStatus } from './types';

export interface PortsWatchOptions {
  /** The HTTPS port the daemon bound. */
  ownPort: () => number;
  caPem: string;
  /** A name the proxy always has a certificate for. */
  servername: string;
  /** Tests swap the probe or the holder lookup; the daemon uses the real ones. */
  probe?: () => Promise<ProbeResult>;
  holder?: typeof findPortHolder;
  log: (line: string) => void;
}

/**
 * Whether https://NAME.localhost/ without a port reaches this daemon. Checked once at start and
 * whenever a client asks (`ports setup`, `ports undo` and `ports check` do, POST /v1/ports/check),
 * never on a timer: the redirect changes only when someone runs those. Concurrent asks share one
 * probe. 'changed' is emitted when the mode or the public port changes.
 */
export class PortsWatch extends EventEmitter {
  private current: PortsStatus;
  private running?: Promise<PortsStatus>;

  constructor(private readonly opts: PortsWatchOptions) {
    super();
    this.current = this.ownPortStatus('not checked yet');
  }

  status(): PortsStatus {
    return this.current;
  }

  /** The port URLs carry. */
  publicHttpsPort(): number {
    return this.current.publicHttpsPort;
  }

  check(): Promise<PortsStatus> {
    this.running ??= this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(): Promise<PortsStatus> {
    const own = this.opts.ownPort();
    let next: PortsStatus;
    if (own === 443) {
      next = { mode: 'standard', publicHttpsPort: 443, detail: 'the proxy listens on 443 itself', checkedAt: now() };
    } else {
      const probe =
        this.opts.probe ??
        (() => probeTls({ host: '127.0.0.1', port: 443, servername: this.opts.servername, caPem: this.opts.caPem }));
      const r = await probe();
      if (r.kind === 'ours')
        next = {
          mode: 'standard',
          publicHttpsPort: 443,
          detail: `127.0.0.1:443 reaches this proxy (:${own}): URLs carry no port`,
          checkedAt: now(),
        };
      else if (r.kind === 'nothing')
        next = this.ownPortStatus(
          `nothing listens on 127.0.0.1:443, so URLs carry :${own}. To drop the port: container-https ports setup`,
        );
      else {
        const holder = process.platform === 'linux' ? (this.opts.holder ?? findPortHolder)(443) : undefined;
        next = {
          ...this.ownPortStatus(
            `port 443 is held by ${holder ? describeHolder(holder) : 'another program'} (${r.detail}); this proxy stays on :${own}. Stop that program, or move it off 443, then run: container-https ports check`,
          ),
          mode: 'held',
          holder,
        };
      }
    }
    const before = this.current;
    this.current = next;
    if (before.mode !== next.mode || before.publicHttpsPort !== next.publicHttpsPort || before.detail !== next.detail) {
      if (next.mode !== 'own-port' || before.mode !== 'own-port') this.opts.log(`ports: ${next.detail}`);
      this.emit('changed', next);
    }
    return next;
  }

  private ownPortStatus(detail: string): PortsStatus {
    return { mode: 'own-port', publicHttpsPort: this.opts.ownPort(), detail, checkedAt: now() };
  }
}

const now = () => new Date().toISOString();
