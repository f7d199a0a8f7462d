import * as vscode from 'vscode';
import { PortsCheck } from '../proxy-core/src/control/protocol';
import { shellQuote } from '../proxy-core/src/shellQuote';
import { SECTION } from './config';
import type { Ctx } from './ctx';

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

/**
 * Offers `ports setup` once per window, when the proxy's URLs carry a port (nothing on 443) and
 * there is a route to show it on: "Set Up" / "Not Now" (not again in this window) / "Don't Ask
 * Again" (the setting off).
 */
export class PortsOffer implements vscode.Disposable {
  private asked = false;
  private readonly sub: vscode.Disposable;

  constructor(private readonly ctx: Ctx) {
    this.sub = ctx.state.onDidChange(() => void this.maybeOffer());
  }

  private async maybeOffer(): Promise<void> {
    const { status, routes } = this.ctx.state;
    if (this.asked || status?.ports?.mode !== 'own-port' || routes.length === 0) return;
    const cfg = vscode.workspace.getConfiguration(SECTION);
    if (!cfg.get<boolean>(OFFER_SETTING, true)) return;
    this.asked = true;
    const pick = await vscode.window.showInformationMessage(
      `Your HTTPS URLs end in :${status.https.port}. Serve https://NAME.localhost/ without a port? Set Up runs "container-https ports setup" in a terminal: it shows each admin step and asks for your password.`,
      'Set Up',
      'Not Now',
      "Don't Ask Again",
    );
    if (pick === 'Set Up') setupPortsInTerminal(this.ctx);
    else if (pick === "Don't Ask Again") await cfg.update(OFFER_SETTING, false, vscode.ConfigurationTarget.Global);
  }

  dispose(): void {
    this.sub.dispose();
  }
}
