import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as vscode from 'vscode';
import { bodyDisplay } from '../proxy-core/src/capture/bodyText';
import { toCurl } from '../proxy-core/src/capture/curl';
import { toHar } from '../proxy-core/src/capture/har';
import type { CaptureRecord, CaptureSummary, ReplayEdits } from '../proxy-core/src/control/apiTypes';
import { ReplayRequest, RequestDetail, Requests } from '../proxy-core/src/control/protocol';
import { errorMessage } from '../proxy-core/src/errors';
import type { Ctx } from './ctx';

/** What the webview (media/inspector.js) asks of the extension. */
type FromWebview =
  | { type: 'ready' }
  | { type: 'detail'; id: string; secrets: boolean }
  | { type: 'replay'; id: string }
  | { type: 'editReplay'; id: string }
  | { type: 'curl'; id: string }
  | { type: 'har'; ids: string[] };

/**
 * The Inspector: every request the proxy recorded, live, in a webview beside the code (issue 15).
 * One panel per window; it reads the control API (GET /v1/requests, the `request` events) and
 * never keeps more than the daemon's buffer does.
 */
export class InspectorPanel {
  private static current?: InspectorPanel;
  private unsubscribe?: () => void;

  static async show(ctx: Ctx, host?: string): Promise<void> {
    ctx.state.update({ serverErrors: 0 });
    if (InspectorPanel.current) {
      InspectorPanel.current.panel.reveal();
      // From the palette or the status bar's "all requests": every host, as a panel opened fresh shows.
      void InspectorPanel.current.post({ type: 'host', host: host ?? '' });
      return;
    }
    await ctx.api();
    const panel = vscode.window.createWebviewPanel(
      'containerHttps.inspector',
      'Request Inspector',
      vscode.ViewColumn.Active,
      {
        enableScripts: true,
        retainContextWhenHidden: true,
        localResourceRoots: [vscode.Uri.joinPath(ctx.extension.extensionUri, 'media')],
      },
    );
    InspectorPanel.current = new InspectorPanel(ctx, panel, host);
  }

  private constructor(
    private readonly ctx: Ctx,
    private readonly panel: vscode.WebviewPanel,
    private readonly host: string | undefined,
  ) {
    panel.webview.html = this.html();
    panel.webview.onDidReceiveMessage((m: FromWebview) => void this.onMessage(m).catch((err) => this.fail(err)));
    panel.onDidDispose(() => {
      this.unsubscribe?.();
      InspectorPanel.current = undefined;
    });
  }

  private post(message: unknown): Thenable<boolean> {
    return this.panel.webview.postMessage(message);
  }

  private fail(err: unknown): void {
    void vscode.window.showErrorMessage(`Request Inspector: ${errorMessage(err)}`);
  }

  private async onMessage(m: FromWebview): Promise<void> {
    const client = await this.ctx.api();
    switch (m.type) {
      case 'ready': {
        const { requests, capture } = await client.call(Requests, { query: { limit: '1000' } });
        await this.post({ type: 'list', requests, capture, host: this.host ?? '' });
        this.unsubscribe?.();
        this.unsubscribe = client.subscribe(
          (event, data) => {
            if (event === 'request') void this.post({ type: 'add', request: data as CaptureSummary });
          },
          undefined,
          { requests: true },
        );
        return;
      }
      case 'detail': {
        const record = await this.detail(m.id, m.secrets);
        // The webview shows the bodies as given: formatting them is proxy-core's (capture/bodyText.ts).
        const bodies = {
          request: record.requestBody && bodyDisplay(record.requestBody, record.requestHeaders),
          response: record.responseBody && bodyDisplay(record.responseBody, record.responseHeaders),
        };
        await this.post({ type: 'detail', record, bodies });
        return;
      }
      case 'replay': {
        const res = await client.call(ReplayRequest, { params: { id: m.id }, body: undefined });
        await this.post({ type: 'replayed', result: res });
        return;
      }
      case 'editReplay': {
        const edits = await this.askEdits(await this.detail(m.id, true));
        if (!edits) return;
        const res = await client.call(ReplayRequest, { params: { id: m.id }, body: edits });
        await this.post({ type: 'replayed', result: res });
        return;
      }
      case 'curl': {
        const status = this.ctx.state.status;
        const record = await this.detail(m.id, true);
        await vscode.env.clipboard.writeText(
          toCurl(record, { port: status?.https.port ?? 8443, caFile: status?.ca.certFile ?? 'root.pem' }),
        );
        void vscode.window.showInformationMessage(`Copied ${record.method} ${record.host}${record.url} as cURL.`);
        return;
      }
      case 'har': {
        const target = await vscode.window.showSaveDialog({
          title: 'Save Requests as HAR',
          filters: { HAR: ['har'] },
          defaultUri: vscode.Uri.joinPath(
            vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(os.homedir()),
            `requests-${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}.har`,
          ),
        });
        if (!target) return;
        const records: CaptureRecord[] = [];
        for (const id of m.ids) records.push(await this.detail(id, false).catch(() => undefined as never));
        const har = toHar(records.filter(Boolean), { version: this.ctx.state.status?.version ?? '0' });
        fs.writeFileSync(target.fsPath, JSON.stringify(har, null, 2) + '\n');
        void vscode.window.showInformationMessage(`Saved ${har.log.entries.length} requests to ${target.fsPath}.`);
        return;
      }
    }
  }

  /** Edit and Replay: method, path and (when it was text) body, each prefilled with what was sent. */
  private async askEdits(r: CaptureRecord): Promise<ReplayEdits | undefined> {
    const title = `Edit and Replay ${r.method} ${r.host}${r.url}`;
    const method = await vscode.window.showInputBox({
      title,
      prompt: 'Method',
      value: r.method,
      validateInput: (v) => (/^[A-Za-z]+$/.test(v) ? undefined : 'An HTTP method, such as GET or POST'),
    });
    if (method === undefined) return undefined;
    const path = await vscode.window.showInputBox({
      title,
      prompt: 'Path and query',
      value: r.url,
      validateInput: (v) => (v.startsWith('/') ? undefined : 'Starts with /, e.g. /api/items?page=2'),
    });
    if (path === undefined) return undefined;
    const edits: ReplayEdits = { method, path };
    const sent = r.requestBody && Buffer.from(r.requestBody.base64, 'base64');
    const text = sent?.toString('utf8');
    if (
      method !== 'GET' &&
      method !== 'HEAD' &&
      (!sent || (Buffer.from(text!).equals(sent) && !r.requestBody!.truncated))
    ) {
      const body = await vscode.window.showInputBox({ title, prompt: 'Body (as text)', value: text ?? '' });
      if (body === undefined) return undefined;
      edits.body = body;
    }
    return edits;
  }

  private async detail(id: string, secrets: boolean): Promise<CaptureRecord> {
    const client = await this.ctx.api();
    const { request } = await client.call(RequestDetail, { params: { id }, query: secrets ? { secrets: '1' } : {} });
    return request;
  }

  private html(): string {
    const webview = this.panel.webview;
    const nonce = crypto.randomBytes(16).toString('base64');
    const media = (file: string) =>
      webview.asWebviewUri(vscode.Uri.joinPath(this.ctx.extension.extensionUri, 'media', file)).toString();
    return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${webview.cspSource} data:; style-src ${webview.cspSource}; script-src 'nonce-${nonce}';">
<link rel="stylesheet" href="${media('inspector.css')}">
<title>Request Inspector</title></head>
<body>
<div class="filters" role="search">
  <input id="f-host" placeholder="host" aria-label="Filter by host">
  <select id="f-status" aria-label="Filter by status"><option value="">any status</option><option>2xx</option><option>3xx</option><option>4xx</option><option>5xx</option><option value="err">failed</option></select>
  <input id="f-method" placeholder="method" aria-label="Filter by method" size="7">
  <input id="f-text" placeholder="search" aria-label="Search">
  <label><input type="checkbox" id="f-secrets"> show secrets</label>
  <button id="b-har">Save as HAR</button>
  <span id="count"></span>
</div>
<div class="split">
  <table id="list" tabindex="0" aria-label="Requests"><thead><tr><th>method</th><th>status</th><th>host/path</th><th>time</th><th>size</th></tr></thead><tbody></tbody></table>
  <section id="detail" aria-live="polite"><p class="empty">Select a request.</p></section>
</div>
<script nonce="${nonce}" src="${media('inspector.js')}"></script>
</body></html>`;
  }
}
