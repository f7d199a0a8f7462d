import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CaStatus, DaemonStatus } from '../proxy-core/src/control/apiTypes';
import { ControlClient } from '../proxy-core/src/control/controlClient';
import { Ca, CaCheck, Containers, type DaemonEventArgs } from '../proxy-core/src/control/protocol';
import { errorMessage, isUserError } from '../proxy-core/src/errors';
import { Config } from './config';
import { attachOrStart, stopDaemon } from './daemonLauncher';
import { CaTrust, ProxyState } from './proxyState';

const MAX_BACKOFF_MS = 30_000;

/**
 * Owns everything with a lifetime: settings, the log, the connection to the daemon and the
 * state it streams to us. Commands, the tree and the status bar get this and nothing else.
 */
export class Ctx implements vscode.Disposable {
  readonly config = new Config();
  readonly log: vscode.LogOutputChannel;
  readonly state = new ProxyState();
  readonly cliPath: string;
  private readonly disposables: vscode.Disposable[] = [];
  private client?: ControlClient;
  private unsubscribe?: () => void;
  private connecting?: Promise<void>;
  private reconnectTimer?: NodeJS.Timeout;
  private failures = 0;
  private notifiedFailure = false;
  private disposed = false;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.log = vscode.window.createOutputChannel('Container HTTPS', { log: true });
    this.cliPath = path.join(extension.extensionPath, 'dist', 'cli.js');
    this.push(this.log, this.config, this.state);
    this.push(
      this.config.onDidChange((e) => {
        if (e.stateDir) void this.reconnect();
        else if (e.daemon) void this.offerRestart();
      }),
    );
  }

  push(...d: vscode.Disposable[]): void {
    this.disposables.push(...d);
  }

  /** The control API of the daemon we are attached to, connecting (or starting it) first. */
  async api(): Promise<ControlClient> {
    if (!this.client || this.state.connection.state !== 'connected') await this.connect();
    if (!this.client)
      throw new Error(
        'The Container HTTPS proxy is not running. Run "Container HTTPS: Restart Proxy", or see "Container HTTPS: Show Proxy Log".',
      );
    return this.client;
  }

  /** Attaches to the daemon (starting it when none runs) and subscribes to its events. */
  connect(): Promise<void> {
    this.connecting ??= this.doConnect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async doConnect(): Promise<void> {
    clearTimeout(this.reconnectTimer);
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    const stateDir = this.config.stateDir;
    if (this.state.connection.state !== 'connecting') this.state.update({ connection: { state: 'connecting' } });
    try {
      const { status, started } = await attachOrStart({
        stateDir,
        cliPath: this.cliPath,
        args: this.config.serveArgs(),
        env: this.config.serveEnv(),
        log: (l) => this.log.info(l),
      });
      if (this.disposed) return;
      this.log.info(
        `${started ? 'started' : 'attached to'} proxy ${status.version} (pid ${status.pid}) on https://${status.https.bind}:${status.https.port}, state ${status.stateDir}`,
      );
      this.warnIfSettingsDiffer(status, started);
      const client = new ControlClient(stateDir);
      this.client = client;
      this.failures = 0;
      this.notifiedFailure = false;
      this.unsubscribe = client.subscribe(
        (...event) => this.onEvent(...event),
        (err) => this.onStreamClosed(err),
        { requests: 'errors' },
      );
      this.state.update({ status, connection: { state: 'connected' } });
      await Promise.all([this.refreshContainers(), this.refreshCaTrust()]);
    } catch (err) {
      this.client = undefined;
      this.failures++;
      const message = errorMessage(err);
      this.log.error(`proxy: ${message}`);
      this.state.update({ connection: { state: 'failed', error: message } });
      this.notifyFailure(message);
      this.scheduleReconnect();
    }
  }

  private onEvent(...[event, data]: DaemonEventArgs): void {
    switch (event) {
      case 'status':
        this.state.update({ status: data });
        break;
      case 'routes':
        this.state.update({ routes: data.routes });
        break;
      case 'certs':
        this.state.update({ certs: data.certs });
        break;
      case 'containers':
        this.state.update({ containers: data });
        break;
      case 'ca':
        this.state.update({ caTrust: parseTrust(data) });
        break;
      case 'log':
        this.log.info(`[proxy] ${data.line}`);
        break;
      case 'request':
        this.state.update({ serverErrors: this.state.serverErrors + 1 });
        break;
    }
  }

  /** The event stream ended: the daemon stopped or crashed. Reattach, restarting it if needed. */
  private onStreamClosed(err?: Error): void {
    if (this.disposed) return;
    this.log.warn(`lost the connection to the proxy${err ? `: ${err.message}` : ''}; reconnecting`);
    this.client = undefined;
    this.state.update({ connection: { state: 'connecting' } });
    this.scheduleReconnect(250);
  }

  private scheduleReconnect(ms = Math.min(500 * 2 ** this.failures, MAX_BACKOFF_MS)): void {
    if (this.disposed) return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.connect(), ms);
  }

  /** Drops the current connection and attaches again (e.g. after the state dir changed). */
  async reconnect(): Promise<void> {
    this.failures = 0;
    this.notifiedFailure = false;
    await this.connect();
  }

  /** Stops the daemon and starts it with the current settings; its routes come back from routes.json. */
  async restart(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.client = undefined;
    clearTimeout(this.reconnectTimer);
    this.state.update({ connection: { state: 'connecting' } });
    this.log.info('restarting the proxy');
    await stopDaemon(this.config.stateDir);
    await this.reconnect();
    if (this.state.connection.state === 'failed') throw new Error(this.state.connection.error);
  }

  async refreshContainers(): Promise<void> {
    const client = this.client;
    if (!client) return;
    try {
      this.state.update({ containers: await client.call(Containers, { timeoutMs: 15_000 }) });
    } catch (err) {
      const old = isUserError(err) && (err as { status?: number }).status === 404;
      this.state.update({
        containers: {
          connected: false,
          containers: [],
          error: old
            ? 'This proxy does not list containers (it is older than the extension): run "Container HTTPS: Restart Proxy".'
            : errorMessage(err),
        },
      });
    }
  }

  /** Reads the CA's trust state; `verify` asks the daemon to check the trust stores again first. */
  async refreshCaTrust(verify = false): Promise<void> {
    const client = this.client;
    if (!client) return;
    try {
      this.state.update({ caTrust: parseTrust(await client.call(verify ? CaCheck : Ca, { timeoutMs: 60_000 })) });
    } catch {
      this.state.update({
        caTrust: { state: 'unknown', detail: 'This proxy cannot check whether its CA is trusted.' },
      });
    }
  }

  private notifyFailure(message: string): void {
    if (this.notifiedFailure) return;
    this.notifiedFailure = true;
    void vscode.window
      .showErrorMessage(`Container HTTPS: ${message}`, 'Open Settings', 'Show Log', 'Retry')
      .then((pick) => {
        if (pick === 'Open Settings')
          void vscode.commands.executeCommand('workbench.action.openSettings', 'containerHttps');
        if (pick === 'Show Log') this.log.show();
        if (pick === 'Retry') void this.reconnect();
      });
  }

  private async offerRestart(): Promise<void> {
    const pick = await vscode.window.showInformationMessage(
      'Container HTTPS: restart the proxy to apply the changed settings? Its routes are kept.',
      'Restart Proxy',
    );
    if (pick) await vscode.commands.executeCommand('containerHttps.restartProxy');
  }

  private warnIfSettingsDiffer(status: DaemonStatus, started: boolean): void {
    if (started) return;
    const want = this.config.httpsPort;
    if (want !== 0 && status.https.port !== want) {
      this.log.warn(
        `the running proxy listens on port ${status.https.port}, the setting says ${want}; run "Restart Proxy" to apply the setting`,
      );
    }
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.reconnectTimer);
    this.unsubscribe?.();
    for (const d of this.disposables.reverse()) d.dispose();
  }
}

/** GET /v1/ca and event 'ca' (CaStatus): never checked counts as "not verified", not as trusted. */
export function parseTrust(data: unknown): CaTrust {
  const d = data as Partial<CaStatus> | undefined;
  if (d?.trusted === true) return { state: 'trusted' };
  if (d?.problem) return { state: 'untrusted', detail: d.problem };
  if (!d?.lastCheck)
    return {
      state: 'unknown',
      detail: d?.added?.length ? 'not checked since it was added' : 'not trusted anywhere yet',
    };
  const bad = d.lastCheck.stores.filter((s) => s.result !== 'trusted').map((s) => s.label);
  return { state: 'untrusted', detail: bad.length ? `not trusted in ${bad.join(', ')}` : undefined };
}
