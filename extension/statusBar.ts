import * as vscode from 'vscode';
import type { CertMeta } from '../proxy-core/src/control/apiTypes';
import type { Ctx } from './ctx';
import type { ProxyState } from './proxyState';

const SOON_MS = 7 * 24 * 3600 * 1000;
export const STATUS_ITEM_ID = 'containerHttps.status';

/** What the status bar shows, as data (rendered below, asserted on by tests). */
export interface StatusModel {
  text: string;
  hosts: Array<{ host: string; url: string; issuer?: string; notAfter?: string; status: string }>;
  /** The LAN URLs of shared routes (docs/lan.md); empty when nothing is on the LAN. */
  lanShares: string[];
  /** Reasons for the warning colour; empty when all is well. */
  warnings: string[];
  /** Softer notes shown in the tooltip only (e.g. CA trust not verified). */
  notes: string[];
  tooltip: string;
}

export function statusModel(state: ProxyState, now = Date.now()): StatusModel {
  const warnings: string[] = [];
  const notes: string[] = [];
  if (state.connection.state === 'failed') {
    return {
      text: '$(lock) $(error)',
      hosts: [],
      lanShares: [],
      warnings: [`Proxy not running: ${state.connection.error}`],
      notes,
      tooltip: `**Container HTTPS** — proxy not running\n\n${state.connection.error}`,
    };
  }
  if (state.caTrust.state === 'untrusted')
    warnings.push(
      `The local CA is not trusted by this system${state.caTrust.detail ? ` (${state.caTrust.detail})` : ''}: run "Container HTTPS: Trust Local CA".`,
    );
  if (state.caTrust.state === 'unknown')
    warnings.push(
      `The local CA is not verified as trusted${state.caTrust.detail ? ` (${state.caTrust.detail})` : ''}: browsers warn until you run "Container HTTPS: Trust Local CA".`,
    );
  // Where container IPs are unreachable (rootless engines, Docker Desktop), only published ports
  // get names: say so, or a container without one looks forgotten (docs/docker.md).
  const docker = state.status?.docker;
  if (docker?.connected && docker.address === 'published')
    notes.push(`Containers are reached by their published ports: ${docker.addressWhy ?? 'serve --docker-address'}`);
  // Never silent: another program on 443 means URLs keep the proxy's own port (docs/ports.md).
  if (state.status?.ports?.mode === 'held') warnings.push(state.status.ports.detail);
  const hosts = state.routes.map((r) => {
    const cert = state.certFor(r.host);
    if (cert?.lastError)
      warnings.push(
        `${r.host}: ${cert.issuer === 'acme' ? 'ACME order failed' : 'certificate error'} — ${cert.lastError}`,
      );
    else if (cert && Date.parse(cert.notAfter) - now < SOON_MS)
      warnings.push(`${r.host}: certificate expires ${cert.notAfter.slice(0, 10)}`);
    if (r.status === 'pending' && r.tls === 'acme' && r.detail && !cert?.lastError)
      warnings.push(`${r.host}: ${r.detail}`);
    return { host: r.host, url: r.url, issuer: cert?.issuerName, notAfter: cert?.notAfter, status: r.status };
  });
  const n = hosts.length;
  const lan = state.status?.lan;
  const shared = lan?.shares ?? [];
  let text = `$(lock) ${n}`;
  if (state.connection.state === 'connecting') text = `$(sync~spin) ${n}`;
  // On the LAN is shown all the time it is: a route reachable from other devices is never a surprise.
  if (shared.length) text += ` $(broadcast) ${shared.length}`;
  if (warnings.length) text += ` $(warning) ${shortReason(warnings[0], state)}`;
  const lines = [`**Container HTTPS** — ${n} HTTPS host${n === 1 ? '' : 's'}`, ''];
  for (const h of hosts)
    lines.push(
      `- [${h.url}](${h.url}) — ${h.issuer ?? 'no certificate yet'}${h.notAfter ? `, expires ${h.notAfter.slice(0, 10)}` : ''}${h.status !== 'ready' ? ` (${h.status})` : ''}`,
    );
  if (shared.length) {
    const where = lan?.interface ? ` (${lan.interface.name} ${lan.interface.ipv4})` : '';
    lines.push('', `$(broadcast) **On the LAN**${where}:`);
    for (const s of shared) lines.push(`- ${s.url} → ${s.host}${s.authUser ? ' (basic auth)' : ''}`);
  }
  if (lan?.caShare)
    lines.push('', `$(device-mobile) CA offered to phones until ${lan.caShare.expiresAt.slice(11, 16)} UTC`);
  if (warnings.length) lines.push('', ...warnings.map((w) => `$(warning) ${w}`));
  if (notes.length) lines.push('', ...notes);
  lines.push('', 'Click for certificates and actions.');
  return { text, hosts, lanShares: shared.map((s) => s.url), warnings, notes, tooltip: lines.join('\n') };
}

function shortReason(first: string, state: ProxyState): string {
  if (state.caTrust.state === 'untrusted') return 'CA not trusted';
  if (state.caTrust.state === 'unknown') return 'CA not verified';
  if (/^port 443 is held/.test(first)) return '443 held';
  if (/expires/.test(first)) return 'cert expiring';
  if (/ACME/.test(first)) return 'ACME failed';
  return 'check certificates';
}

/** `$(lock) N` with warning colour and a Markdown tooltip; click opens the certificates pick. */
export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly sub: vscode.Disposable;
  model: StatusModel;

  constructor(private readonly ctx: Ctx) {
    this.item = vscode.window.createStatusBarItem(STATUS_ITEM_ID, vscode.StatusBarAlignment.Left, 10);
    this.item.name = 'Container HTTPS';
    this.item.command = 'containerHttps.showCertificates';
    this.model = statusModel(ctx.state);
    this.sub = ctx.state.onDidChange(() => this.render());
    this.render();
    this.item.show();
  }

  private render(): void {
    const m = (this.model = statusModel(this.ctx.state));
    this.item.text = m.text;
    const md = new vscode.MarkdownString(m.tooltip, true);
    md.isTrusted = false;
    this.item.tooltip = md;
    this.item.backgroundColor = m.warnings.length
      ? new vscode.ThemeColor('statusBarItem.warningBackground')
      : undefined;
    this.item.accessibilityInformation = {
      label: `Container HTTPS: ${m.hosts.length} HTTPS hosts${m.lanShares.length ? `, ${m.lanShares.length} on the LAN` : ''}${m.warnings.length ? `, ${m.warnings.length} warnings` : ''}`,
    };
  }

  dispose(): void {
    this.sub.dispose();
    this.item.dispose();
  }
}

export function certLabel(cert: CertMeta | undefined): string {
  if (!cert) return 'no certificate yet';
  return `${cert.issuer === 'acme' ? "Let's Encrypt / ACME" : 'local CA'} · expires ${cert.notAfter.slice(0, 10)}`;
}
