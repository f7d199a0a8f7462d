import { httpsUrl } from '../routes/hostName';
import { ANY_HOST } from '../routes/routerIndex';
import { RouteRecord } from '../routes/types';
import { pathOfRule } from '../traefik/rules';

/** Small self-contained HTML pages the proxy answers with itself. No external assets. */
const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${esc(title)} · Container HTTPS</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;color:#222}h1{font-size:1.4rem}code{background:#f3f3f3;padding:.1em .3em;border-radius:3px}table{border-collapse:collapse}td,th{padding:.2rem .8rem .2rem 0;text-align:left}small{color:#777}</style></head>
<body><h1>${esc(title)}</h1>${body}<p><small>Container HTTPS local proxy</small></p></body></html>\n`;
}

export function notFoundPage(host: string, routes: RouteRecord[] | undefined, httpsPort: number, path = '/'): string {
  const shown = (routes ?? []).filter((r) => r.host !== ANY_HOST);
  const list =
    routes === undefined
      ? ''
      : routes.length === 0
        ? '<p>No routes are configured. Expose one with <code>container-https expose app.localhost http://127.0.0.1:5000</code> or from the editor.</p>'
        : `<p>Routes served here:</p><table><tr><th>URL</th><th>Rule</th><th>Target</th></tr>${shown
            .map((r) => {
              const url = httpsUrl(r.host, httpsPort, r.path ?? (r.rule ? pathOfRule(r.rule) : undefined) ?? '/');
              return `<tr><td><a href="${esc(url)}">${esc(url)}</a></td><td><code>${esc(r.rule ?? '')}</code></td><td><code>${esc(r.target)}</code></td></tr>`;
            })
            .join('')}</table>`;
  // The host has routers, but none whose rule takes this request (a path, a header, a method).
  const hostRouted = routes?.some((r) => r.host === host);
  return page(
    hostRouted ? 'No route for this request' : 'No route for this host',
    hostRouted
      ? `<p>No route of <code>${esc(host)}</code> takes <code>${esc(path)}</code>.</p>${list}`
      : `<p>This proxy has no route for <code>${esc(host || '(no Host header)')}</code>.</p>${list}`,
  );
}

export function badRequestPage(reason: string): string {
  return page(
    'Bad request',
    `<p>This proxy refused the request: ${esc(reason)}.</p><p>Browsers never send this; check the client or script that did.</p>`,
  );
}

export function badGatewayPage(host: string, target: string, reason: string): string {
  return page(
    'Bad gateway',
    `<p>The route <code>${esc(host)}</code> points at <code>${esc(target)}</code>, which did not answer: ${esc(reason)}.</p><p>Is the app running and listening on that address? Other routes are unaffected.</p>`,
  );
}

export function unavailablePage(host: string, title: string, detail: string): string {
  return page(
    title,
    `<p>Route <code>${esc(host)}</code>: ${esc(detail)}</p><p>This page reloads itself every few seconds.</p><script>setTimeout(()=>location.reload(),3000)</script>`,
  );
}

export function demoPage(host: string): string {
  return page(
    'Container HTTPS works',
    `<p>You are looking at <code>https://${esc(host)}</code>, served by the Container HTTPS proxy with a certificate from your local CA.</p>
<p>Next: right-click a container in VS Code and pick <b>Expose over HTTPS…</b>, or run <code>container-https expose app.localhost http://127.0.0.1:5000</code>.</p>`,
  );
}
