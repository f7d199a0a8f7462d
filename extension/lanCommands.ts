import * as crypto from 'node:crypto';
import * as qrcode from 'qrcode';
import * as vscode from 'vscode';
import type { CaShareInfo, LanShareRequest } from '../proxy-core/src/control/apiTypes';
import { DeleteLanShare, PostCaShare, PutLanShare } from '../proxy-core/src/control/protocol';
import { errorMessage } from '../proxy-core/src/errors';
import { type CmdFactory, pickRoute } from './commands';

/**
 * The LAN commands (docs/lan.md): Share on LAN… and Stop Sharing on LAN on a route or exposed
 * container, and Set Up a Phone… (a QR code of the daemon's one-time CA URL in a webview).
 */

const shareOnLan: CmdFactory = (ctx) => async (arg) => {
  const route = await pickRoute(ctx, arg, 'Share which route on the LAN?');
  if (!route) return undefined;
  const who = await vscode.window.showQuickPick(
    [
      { label: '$(broadcast) Anyone on this network', auth: false },
      { label: '$(key) Ask for a user name and password…', auth: true },
    ],
    {
      title: `Share ${route.host} on the LAN`,
      placeHolder: 'Other devices on this network will reach this route only',
    },
  );
  if (!who) return undefined;
  const body: LanShareRequest = {};
  if (who.auth) {
    const user = await vscode.window.showInputBox({
      title: `Share ${route.host}: user name`,
      validateInput: (v) => (!v || v.includes(':') ? 'A user name without a colon' : undefined),
    });
    if (!user) return undefined;
    const password = await vscode.window.showInputBox({
      title: `Share ${route.host}: password for ${user}`,
      password: true,
    });
    if (!password) return undefined;
    body.auth = { user, password };
  }
  try {
    const share = await (await ctx.api()).call(PutLanShare, { params: { host: route.host }, body });
    const action = await vscode.window.showInformationMessage(
      `${share.host} is on the LAN as ${share.url}${share.authUser ? ` (user ${share.authUser})` : ''}. A phone needs the local CA once: Set Up a Phone…`,
      'Set Up a Phone…',
      'Copy LAN URL',
    );
    if (action === 'Copy LAN URL') await vscode.env.clipboard.writeText(share.url);
    if (action === 'Set Up a Phone…') await vscode.commands.executeCommand('containerHttps.setUpPhone');
    return share;
  } catch (err) {
    void vscode.window.showErrorMessage(`Could not share ${route.host} on the LAN: ${errorMessage(err)}`);
    return undefined;
  }
};

const stopSharing: CmdFactory = (ctx) => async (arg) => {
  const route = await pickRoute(ctx, arg, 'Stop sharing which route?');
  if (!route) return false;
  try {
    await (await ctx.api()).call(DeleteLanShare, { params: { host: route.host } });
    void vscode.window.showInformationMessage(`${route.host} is no longer on the LAN.`);
    return true;
  } catch (err) {
    void vscode.window.showErrorMessage(`Could not stop sharing ${route.host}: ${errorMessage(err)}`);
    return false;
  }
};

let panel: vscode.WebviewPanel | undefined;

const setUpPhone: CmdFactory = (ctx) => async () => {
  let share: CaShareInfo;
  try {
    share = await (await ctx.api()).call(PostCaShare, { body: { minutes: 10 } });
  } catch (err) {
    void vscode.window.showErrorMessage(`Could not offer the CA to a phone: ${errorMessage(err)}`);
    return undefined;
  }
  const qr = await qrcode.toDataURL(share.url, { margin: 2, scale: 6 });
  if (!panel) {
    panel = vscode.window.createWebviewPanel('containerHttps.phoneSetup', 'Set Up a Phone', vscode.ViewColumn.Active, {
      enableScripts: true,
    });
    panel.onDidDispose(() => (panel = undefined));
  }
  panel.webview.html = phonePage(share, qr, ctx.state.localSuffixes);
  panel.reveal();
  return share;
};

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The QR code, the URL as text, the fingerprint and a countdown to the expiry. */
export function phonePage(share: CaShareInfo, qrDataUrl: string, suffixes: string[]): string {
  const nonce = crypto.randomBytes(16).toString('base64');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'nonce-${nonce}'">
<style>body{font-family:var(--vscode-font-family);padding:1rem 2rem}img{background:#fff;padding:8px;image-rendering:pixelated}code{word-break:break-all}</style></head>
<body><h2>Set up a phone</h2>
<p>Scan this with the phone's camera (on the same network) and follow the steps on the page it opens.</p>
<img id="qr" alt="${esc(share.url)}" src="${qrDataUrl}" width="240" height="240">
<p>Or open <code id="url">${esc(share.url)}</code></p>
<p>Compare the SHA-256 fingerprint on the phone:<br><code id="fingerprint">${esc(share.fingerprint256)}</code></p>
<p>The CA can only vouch for names ending in ${suffixes.map((s) => `<code>.${esc(s)}</code>`).join(', ')}.</p>
<p id="expiry" data-expires="${esc(share.expiresAt)}">Works for 10 minutes or ${share.downloadsLeft} downloads.</p>
<script nonce="${nonce}">
const el = document.getElementById('expiry');
const end = Date.parse(el.dataset.expires);
const tick = () => {
  const left = Math.max(0, Math.round((end - Date.now()) / 1000));
  el.textContent = left ? 'This link works for ' + Math.floor(left / 60) + ':' + String(left % 60).padStart(2, '0') + ' more (or ${share.downloadsLeft} downloads).' : 'This link has expired: run Set Up a Phone… again.';
  if (left) setTimeout(tick, 1000);
};
tick();
</script></body></html>`;
}

export const LAN_COMMANDS: Record<string, CmdFactory> = {
  'containerHttps.shareOnLan': shareOnLan,
  'containerHttps.stopSharing': stopSharing,
  'containerHttps.setUpPhone': setUpPhone,
};
