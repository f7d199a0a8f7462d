import * as vscode from 'vscode';
import { PortsCheck } from '../proxy-core/src/control/protocol';
import { shellQuote } from '../proxy-core/src/shellQuote';
import { SECTION } from './config';
import type { Ctx } from './ctx';
import type { ProxyState } from './proxyState';

/** `containerHttps.proxy.offerStandardPorts`: "Don't Ask Again" turns it off (visible, and reversible, in Settings). */
export const OFFER_SETTING = 'proxy.offerStandardPorts';

/**
 * Runs `container-https ports setup` in a terminal, as Trust Local CA runs `ca trust`: the user
 * sees every admin step and answers sudo's prompt. setup tells the daemon itself; the check on
 * close also covers a setup that ran elsewhere. URLs follow through the routes event.
 */
export function setupPortsInTerminal(ctx: Ctx): vscode.Terminal {
  const terminal = vscode.window.createTerminal({
    name: 'Container HTTPS: standard ports',
    env: { ELECTRON_RUN_AS_NODE: '1' },
  });
  terminal.show();
  terminal.sendText(
    `${shellQuote(process.execPath)} ${shellQuote(ctx.cliPath)} ports setup --state-dir ${shellQuote(ctx.config.stateDir)}`,
  );
  const sub = vscode.window.onDidCloseTerminal((t) => {
    if (t !== terminal) return;
    sub.dispose();
    void ctx
      .api()
      .then((api) => api.call(PortsCheck))
      .catch(() => undefined); // the status (and its warning) says what the daemon sees
  });
  return terminal;
}

/** What the offer needs; the editor passes the real window and settings, a test scripted ones. */
export interface PortsOfferDeps {
  ask: (message: string, ...choices: string[]) => Thenable<string | undefined>;
  setUp: () => void;
  enabled: () => boolean;
  disable: () => Thenable<void>;
}

export function editorOfferDeps(ctx: Ctx): PortsOfferDeps {
  const cfg = () => vscode.workspace.getConfiguration(SECTION);
  return {
    ask: (message, ...choices) => vscode.window.showInformationMessage(message, ...choices),
    setUp: () => setupPortsInTerminal(ctx),
    enabled: () => cfg().get<boolean>(OFFER_SETTING, true),
    disable: () => cfg().update(OFFER_SETTING, false, vscode.ConfigurationTarget.Global),
  };
}

/**
 * Offers `ports setup` once per window, when the proxy's URLs carry a port (nothing on 443) and
 * there is a route to show it on: "Set Up" / "Not Now" (not again in this window) / "Don't Ask
 * Again" (the setting off).
 */
export class PortsOffer implements vscode.Disposable {
  private offered?: Promise<void>;
  private readonly sub: vscode.Disposable;

  constructor(
    private readonly state: ProxyState,
    private readonly deps: PortsOfferDeps,
  ) {
    this.sub = state.onDidChange(() => void this.maybeOffer());
  }

  /** Resolves once the user answered (or at once when nothing is asked); the one offer of this window. */
  maybeOffer(): Promise<void> {
    if (this.offered) return this.offered;
    const { status, routes } = this.state;
    if (status?.ports?.mode !== 'own-port' || routes.length === 0 || !this.deps.enabled()) return Promise.resolve();
    this.offered = this.offer(status.https.port);
    return this.offered;
  }

  private async offer(port: number): Promise<void> {
    const pick = await this.deps.ask(
      `Your HTTPS URLs end in :${port}. Serve https://NAME.localhost/ without a port? Set Up runs "container-https ports setup" in a terminal: it shows each admin step and asks for your password.`,
      'Set Up',
      'Not Now',
      "Don't Ask Again",
    );
    if (pick === 'Set Up') this.deps.setUp();
    else if (pick === "Don't Ask Again") await this.deps.disable();
  }

  dispose(): void {
    this.sub.dispose();
  }
}
