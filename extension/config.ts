import * as vscode from 'vscode';
import { defaultStateDir } from '../proxy-core/src/paths';

export const SECTION = 'containerHttps';
/** How long the proxy outlives the last window when keepRunning is off (covers a window reload). */
export const IDLE_EXIT_SECONDS = 60;

/** Settings that change how the daemon is started: a change needs a proxy restart to apply. */
const DAEMON_KEYS = [
  'proxy.keepRunning',
  'proxy.workers',
  'proxy.captureRequests',
  'proxy.captureBodyKb',
  'proxy.httpsPort',
  'proxy.httpPort',
  'proxy.bindAddress',
  'stateDir',
  'acme.email',
  'acme.directory',
  'acme.challenge',
  'docker.host',
  'docker.labels',
  'docker.publicHosts',
  'autoDomains',
  'traefik.dynamicConfig',
  'lan.interface',
];

/** A typed, read-on-demand view of the containerHttps.* settings (docs/extension.md). */
export class Config implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<{ daemon: boolean; stateDir: boolean }>();
  /** Fires when one of our settings changes; `daemon` says whether the proxy needs a restart. */
  readonly onDidChange = this.changed.event;
  private readonly sub: vscode.Disposable;

  constructor() {
    this.sub = vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(SECTION)) return;
      this.changed.fire({
        daemon: DAEMON_KEYS.some((k) => e.affectsConfiguration(`${SECTION}.${k}`)),
        stateDir: e.affectsConfiguration(`${SECTION}.stateDir`),
      });
    });
  }

  private get cfg(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(SECTION);
  }

  get httpsPort(): number {
    return this.cfg.get<number>('proxy.httpsPort', 8443);
  }
  get httpPort(): number {
    return this.cfg.get<number>('proxy.httpPort', 8080);
  }
  get bindAddress(): string {
    return this.cfg.get<string>('proxy.bindAddress', '127.0.0.1') || '127.0.0.1';
  }
  get keepRunning(): boolean {
    return this.cfg.get<boolean>('proxy.keepRunning', false);
  }
  /** The setting, else $CONTAINER_HTTPS_STATE_DIR, else the platform default (README.md, "Files"). */
  get stateDir(): string {
    const configured = this.cfg.get<string>('stateDir', '').trim();
    return configured ? expandHome(configured) : defaultStateDir();
  }
  get hostSuffix(): string {
    return (this.cfg.get<string>('hostSuffix', 'localhost') || 'localhost').replace(/^\.+|\.+$/g, '');
  }
  get acmeEmail(): string {
    return this.cfg.get<string>('acme.email', '').trim();
  }
  get acmeDirectory(): string {
    return this.cfg.get<string>('acme.directory', '').trim();
  }
  get acmeChallenge(): 'http-01' | 'tls-alpn-01' {
    return this.cfg.get<string>('acme.challenge', 'http-01') === 'tls-alpn-01' ? 'tls-alpn-01' : 'http-01';
  }
  /** Empty means: as the docker CLI would (DOCKER_HOST, then the default socket). */
  get dockerHost(): string {
    return this.cfg.get<string>('docker.host', '').trim();
  }
  /** "auto" or a count; serve validates it. */
  get workers(): string {
    return String(this.cfg.get<string | number>('proxy.workers', 'auto')).trim() || 'auto';
  }
  /** The request inspector (serve --no-capture when off). */
  get captureRequests(): boolean {
    return this.cfg.get<boolean>('proxy.captureRequests', true);
  }
  /** KB of each body recorded; serve validates it. */
  get captureBodyKb(): number {
    return this.cfg.get<number>('proxy.captureBodyKb', 64);
  }
  get dockerLabels(): boolean {
    return this.cfg.get<boolean>('docker.labels', true);
  }
  /** alias | acme | off; serve validates it. */
  get publicHosts(): string {
    return this.cfg.get<string>('docker.publicHosts', 'alias').trim() || 'alias';
  }
  /** off | compose | all: which containers get automatic names (serve --auto-domains; its default is compose). */
  /** serve --lan-interface: where shared routes listen (docs/lan.md). */
  get lanInterface(): string {
    return this.cfg.get<string>('lan.interface', 'auto').trim() || 'auto';
  }

  get autoDomains(): string {
    return this.cfg.get<string>('autoDomains', 'compose').trim() || 'compose';
  }
  /** A Traefik dynamic-configuration file or folder to serve beside the labels; empty: none. */
  get traefikDynamic(): string {
    return this.cfg.get<string>('traefik.dynamicConfig', '').trim();
  }

  /**
   * Set when the user accepted the ACME CA's terms of service in this session; the daemon then
   * records the agreement in the account file, so later starts need no flag.
   */
  agreedToAcmeTerms = false;

  /** `container-https serve` flags for the current settings. */
  serveArgs(): string[] {
    const args = [
      'serve',
      '--state-dir',
      this.stateDir,
      '--https-port',
      String(this.httpsPort),
      '--http-port',
      String(this.httpPort),
      '--bind',
      this.bindAddress,
    ];
    if (this.dockerHost) args.push('--docker-host', this.dockerHost);
    if (this.workers !== 'auto') args.push('--workers', this.workers);
    if (!this.captureRequests) args.push('--no-capture');
    else if (this.captureBodyKb !== 64) args.push('--capture-body-kb', String(this.captureBodyKb));
    if (!this.dockerLabels) args.push('--no-labels');
    if (this.publicHosts !== 'alias') args.push('--public-hosts', this.publicHosts);
    // Always passed, so the editor's default holds whatever serve's default becomes.
    args.push('--auto-domains', this.autoDomains);
    if (this.lanInterface !== 'auto') args.push('--lan-interface', this.lanInterface);
    if (this.traefikDynamic) args.push('--traefik-dynamic', this.traefikDynamic);
    if (this.acmeEmail) args.push('--acme-email', this.acmeEmail);
    if (this.acmeDirectory) args.push('--acme-directory', this.acmeDirectory);
    if (this.acmeEmail || this.acmeDirectory) args.push('--acme-challenge', this.acmeChallenge);
    if (this.agreedToAcmeTerms) args.push('--acme-agree-tos');
    // Shared by every window; the last window to go starts the clock (see keepRunning).
    if (!this.keepRunning) args.push('--exit-when-idle', String(IDLE_EXIT_SECONDS));
    return args;
  }

  /** Extra environment for the daemon (none today; flags carry the settings). */
  serveEnv(): Record<string, string> {
    return {};
  }

  dispose(): void {
    this.sub.dispose();
    this.changed.dispose();
  }
}

function expandHome(p: string): string {
  if (p === '~' || p.startsWith('~/')) return (process.env.HOME ?? '') + p.slice(1);
  return p;
}
