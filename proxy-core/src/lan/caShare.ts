import * as crypto from 'node:crypto';
import type * as http from 'node:http';
import { caDer, constraintsInWords, mobileconfig } from './caProfile';
import type { CaShareInfo } from './types';

export interface CaShareSettings {
  caPem: string;
  fingerprint256: string;
  suffixes: string[];
}

interface Active {
  token: string;
  url: string;
  expiresAt: number;
  downloadsLeft: number;
}

export const DEFAULT_MINUTES = 10;
export const DEFAULT_DOWNLOADS = 5;

/**
 * `ca share`: the CA offered to a phone at http://<lan-address>:<http-port>/ca/<token> for a
 * few minutes or downloads. One share at a time (a new one replaces the old); the token is 128
 * random bits, and any other path, or the token once spent, is a plain 404.
 */
export class CaShare {
  private active?: Active;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly settings: CaShareSettings,
    /** Called when the share ends by itself (time or downloads), so the LAN listeners may stop. */
    private readonly ended: () => void,
  ) {}

  start(baseUrl: string, minutes: number, downloads: number, now = Date.now()): CaShareInfo {
    this.stop();
    const token = crypto.randomBytes(16).toString('base64url');
    this.active = {
      token,
      url: `${baseUrl}/ca/${token}`,
      expiresAt: now + minutes * 60_000,
      downloadsLeft: downloads,
    };
    this.timer = setTimeout(() => this.end(), minutes * 60_000);
    this.timer.unref();
    return this.info()!;
  }

  info(): CaShareInfo | undefined {
    const a = this.live();
    return (
      a && {
        url: a.url,
        expiresAt: new Date(a.expiresAt).toISOString(),
        downloadsLeft: a.downloadsLeft,
        fingerprint256: this.settings.fingerprint256,
      }
    );
  }

  stop(): void {
    clearTimeout(this.timer);
    this.active = undefined;
  }

  /** Answers /ca/<token>[/file]; false for anything else (the caller's 404). */
  respond(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const url = new URL(req.url ?? '/', 'http://lan');
    const m = /^\/ca\/([A-Za-z0-9_-]+)(?:\/(profile\.mobileconfig|ca\.crt|ca\.pem))?$/.exec(url.pathname);
    if (!m) return false;
    const a = this.live();
    if (!a || !timingSafeEqualText(m[1], a.token)) return false;
    const file = m[2];
    const headers = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
    if (!file) {
      const body = caPage(a, this.settings, deviceOf(req.headers['user-agent'] ?? ''));
      res.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8' });
      res.end(body);
      return true;
    }
    const { caPem, suffixes } = this.settings;
    const [type, body] =
      file === 'profile.mobileconfig'
        ? ['application/x-apple-aspen-config', Buffer.from(mobileconfig(caPem, suffixes))]
        : file === 'ca.crt'
          ? ['application/x-x509-ca-cert', caDer(caPem)]
          : ['application/x-pem-file', Buffer.from(caPem)];
    res.writeHead(200, {
      ...headers,
      'content-type': type,
      'content-disposition': `attachment; filename="container-https-${file.replace('profile.', 'ca.')}"`,
    });
    res.end(body);
    if (--a.downloadsLeft <= 0) this.end();
    return true;
  }

  private live(now = Date.now()): Active | undefined {
    if (this.active && (this.active.expiresAt <= now || this.active.downloadsLeft <= 0)) this.end();
    return this.active;
  }

  private end(): void {
    if (!this.active) return;
    this.stop();
    this.ended();
  }
}

function timingSafeEqualText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

type Device = 'ios' | 'android' | 'other';

function deviceOf(userAgent: string): Device {
  if (/iPhone|iPad|iPod/.test(userAgent)) return 'ios';
  if (/Android/.test(userAgent)) return 'android';
  return 'other';
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page a phone sees: its own OS's steps first, the others below, the fingerprint to compare. */
function caPage(a: Active, s: CaShareSettings, device: Device): string {
  const base = a.url.replace(/^https?:\/\/[^/]+/, '');
  const sections: Record<Device, string> = {
    ios: `<section id="ios"><h2>iPhone and iPad</h2><ol>
<li><a class="button" href="${esc(base)}/profile.mobileconfig">Download the profile</a> (Safari asks to allow the download).</li>
<li>Settings → General → VPN &amp; Device Management (or "Profile Downloaded" at the top of Settings) → install <b>Container HTTPS local CA</b>.</li>
<li>Settings → General → About → Certificate Trust Settings → turn on full trust for the Container HTTPS CA.</li></ol></section>`,
    android: `<section id="android"><h2>Android</h2><ol>
<li><a class="button" href="${esc(base)}/ca.crt">Download the certificate (.crt)</a>.</li>
<li>Settings → Security (or Security &amp; privacy → More security settings) → Encryption &amp; credentials → Install a certificate → <b>CA certificate</b>, and pick the downloaded file.</li>
<li>Chrome trusts it from then on; apps trust user CAs only when they opt in (network security config).</li></ol></section>`,
    other: `<section id="other"><h2>Other devices</h2><p><a class="button" href="${esc(base)}/ca.pem">Download the PEM</a> or the <a href="${esc(base)}/ca.crt">DER (.crt)</a> and add it to the system's or the browser's trusted authorities (Firefox has its own: Settings → Privacy &amp; Security → Certificates → View Certificates → Authorities → Import).</p></section>`,
  };
  const order: Device[] = [device, ...(['ios', 'android', 'other'] as Device[]).filter((d) => d !== device)];
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Install the local CA · Container HTTPS</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:1.5rem auto;padding:0 1rem;color:#222}h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.5rem}code{word-break:break-all;background:#f3f3f3;padding:.1em .3em}.button{display:inline-block;padding:.4em .8em;background:#0a5;color:#fff;border-radius:6px;text-decoration:none}.note{background:#fff6d5;padding:.6em .8em;border-radius:6px}</style></head>
<body><h1>Trust HTTPS from your development machine</h1>
<p class="note">${esc(constraintsInWords(s.suffixes))}</p>
<p>Compare this SHA-256 fingerprint with the one your device shows for the certificate:<br><code id="fingerprint">${esc(s.fingerprint256)}</code></p>
${order.map((d) => sections[d]).join('\n')}
<p><small>This link stops working at ${esc(new Date(a.expiresAt).toISOString().slice(11, 16))} UTC or after ${a.downloadsLeft} more download${a.downloadsLeft === 1 ? '' : 's'}.</small></p>
</body></html>\n`;
}
