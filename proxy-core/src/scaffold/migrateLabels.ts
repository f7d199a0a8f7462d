import { LabelPair, traefikName } from './composeLabels';
import { entryPointName } from './migrateV1';
import { RESOLVER } from './traefikToml';
import { Unmapped } from './types';

/**
 * Traefik v1 container labels → v3 labels, as plain data (reference table in
 * shared/reference/traefik-v1-to-v3.md). Labels that mean the same in both versions stay; v1
 * labels that map are replaced; the ones that do not stay where they are and are reported.
 */

export interface LabelMigrationOptions {
  /** Resolver for routers on websecure; false for none (default: letsencrypt, as `migrate` names it). */
  certResolver?: string | false;
}

export interface LabelMigration {
  /** The v3 labels to set. */
  labels: LabelPair[];
  /** v1 labels (keys) that were translated and should be removed. */
  replaced: string[];
  unmapped: Unmapped[];
}

const SAME = /^traefik\.(enable|docker\.|http\.|tcp\.|udp\.|tls\.)/i;
const V1_WORDS = new Set(['frontend', 'backend', 'port', 'protocol', 'weight', 'tags']);

/** True for a v1-style traefik label (one v3 does not read the same way). */
export function isV1Label(key: string): boolean {
  return /^traefik\./i.test(key) && !SAME.test(key);
}

interface Rule {
  rule?: string;
  middlewares: LabelPair[]; // [middleware name, "type.option=value"] pairs flattened below
  problems: string[];
}

const matchers: Record<string, string> = {
  host: 'Host',
  path: 'Path',
  pathprefix: 'PathPrefix',
  method: 'Method',
};

/** `Host:a,b;PathPrefix:/x` → ``(Host(`a`) || Host(`b`)) && PathPrefix(`/x`)``, plus middlewares v1 rules implied. */
export function translateRule(v1: string, router: string): Rule {
  const out: Rule = { middlewares: [], problems: [] };
  const parts: string[] = [];
  for (const part of v1.split(';').map((p) => p.trim()).filter(Boolean)) {
    const colon = part.indexOf(':');
    if (colon === -1) {
      out.problems.push(`"${part}" is not a v1 matcher (Name:value)`);
      continue;
    }
    const name = part.slice(0, colon).trim().toLowerCase();
    const values = part.slice(colon + 1).split(',').map((v) => v.trim()).filter(Boolean);
    const any = (m: string) => {
      const terms = values.map((v) => `${m}(\`${v}\`)`);
      parts.push(terms.length > 1 ? `(${terms.join(' || ')})` : terms[0]);
    };
    if (matchers[name]) any(matchers[name]);
    else if (name === 'pathstrip' || name === 'pathprefixstrip') {
      any(name === 'pathstrip' ? 'Path' : 'PathPrefix');
      out.middlewares.push([`${router}-stripprefix`, `stripprefix.prefixes=${values.join(',')}`]);
    } else if (name === 'addprefix') {
      out.middlewares.push([`${router}-addprefix`, `addprefix.prefix=${values[0]}`]);
    } else if (name === 'replacepath') {
      out.middlewares.push([`${router}-replacepath`, `replacepath.path=${values[0]}`]);
    } else if (name === 'headers' && values.length === 2) {
      parts.push(`Header(\`${values[0]}\`, \`${values[1]}\`)`);
    } else if (name === 'query') {
      const terms = values.map((q) => q.split('=')).map(([k, v]) => (v === undefined ? `Query(\`${k}\`)` : `Query(\`${k}\`, \`${v}\`)`));
      parts.push(terms.length > 1 ? `(${terms.join(' || ')})` : terms[0]);
    } else {
      out.problems.push(`the v1 matcher "${part.slice(0, colon)}" has no direct v3 equivalent (HostRegexp and the *Regex forms take Go regular expressions now)`);
    }
  }
  if (parts.length) {
    // A lone OR group needs no parentheses.
    out.rule = parts.length === 1 ? parts[0].replace(/^\((.*)\)$/, '$1') : parts.join(' && ');
  }
  return out;
}

function bareHeaders(rest: string): string | undefined {
  const simple: Record<string, string> = {
    stsseconds: 'stsseconds',
    stsincludesubdomains: 'stsincludesubdomains',
    stspreload: 'stspreload',
    forcestsheader: 'forcestsheader',
    framedeny: 'framedeny',
    browserxssfilter: 'browserxssfilter',
    contenttypenosniff: 'contenttypenosniff',
    customframeoptionsvalue: 'customframeoptionsvalue',
    referrerpolicy: 'referrerpolicy',
    contentsecuritypolicy: 'contentsecuritypolicy',
  };
  return simple[rest.toLowerCase()];
}

/**
 * Migrates one container's labels. `service` is the compose service name: it names the router
 * (and the Traefik service, unless `traefik.backend` names one).
 */
export function migrateLabelPairs(labels: LabelPair[], service: string, opts: LabelMigrationOptions = {}): LabelMigration {
  const result: LabelMigration = { labels: [], replaced: [], unmapped: [] };
  const groups = new Map<string, LabelPair[]>(); // segment ('' = default) → [rest, value]
  for (const [key, value] of labels) {
    if (!isV1Label(key)) continue;
    const parts = key.split('.');
    const seg = parts.length > 2 && !V1_WORDS.has(parts[1].toLowerCase()) && V1_WORDS.has(parts[2].toLowerCase()) ? parts[1] : '';
    const rest = parts.slice(seg ? 2 : 1).join('.');
    if (!groups.has(seg)) groups.set(seg, []);
    groups.get(seg)!.push([rest, value]);
  }
  const resolver = opts.certResolver === undefined ? RESOLVER : opts.certResolver;

  for (const [seg, pairs] of groups) {
    const fullKey = (rest: string) => `traefik.${seg ? seg + '.' : ''}${rest}`;
    const get = (rest: string) => pairs.find(([k]) => k.toLowerCase() === rest.toLowerCase());
    const r = traefikName(seg || service);
    const backend = seg ? undefined : get('backend')?.[1];
    const s = backend ? traefikName(backend) : r;
    const router = (k: string, v: string) => result.labels.push([`traefik.http.routers.${r}.${k}`, v]);
    const svc = (k: string, v: string) => result.labels.push([`traefik.http.services.${s}.${k}`, v]);
    const middlewares: string[] = [];
    const mw = (name: string, option: string) => {
      const eq = option.indexOf('=');
      result.labels.push([`traefik.http.middlewares.${name}.${option.slice(0, eq)}`, option.slice(eq + 1)]);
      if (!middlewares.includes(name)) middlewares.push(name);
    };
    const done = (rest: string) => result.replaced.push(fullKey(rest));
    const unmapped = (rest: string, reason: string) => result.unmapped.push({ key: `${service}: ${fullKey(rest)}`, reason });
    let entrypoints: string[] | undefined;
    let serviceLabels = 0;
    const replacedBefore = result.replaced.length;

    for (const [rest, value] of pairs) {
      const k = rest.toLowerCase();
      if (k === 'frontend.rule') {
        // A whole rule from a compose variable cannot be translated here; a variable inside
        // one (Host:${DOMAIN}) can, and compose fills it in between the backticks.
        if (/^\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)$/.test(value.trim())) {
          router('rule', value);
          unmapped(rest, `the value comes from a variable at deploy time: set it to v3 syntax, e.g. Host(\`myhost.example.com\`) instead of Host:myhost.example.com`);
        } else {
          const t = translateRule(value, r);
          if (t.problems.length) {
            unmapped(rest, `${t.problems.join('; ')}; write the rule by hand as traefik.http.routers.${r}.rule`);
            continue;
          }
          if (t.rule) router('rule', t.rule);
          for (const [name, option] of t.middlewares) mw(name, option);
        }
      } else if (k === 'frontend.entrypoints') {
        entrypoints = value.split(',').map((e) => entryPointName(e.trim())).filter(Boolean);
      } else if (k === 'frontend.auth.basic' || k === 'frontend.auth.basic.users') {
        mw(`${r}-auth`, `basicauth.users=${value}`);
      } else if (k === 'frontend.auth.basic.usersfile') {
        mw(`${r}-auth`, `basicauth.usersfile=${value}`);
      } else if (k === 'frontend.auth.basic.removeheader') {
        mw(`${r}-auth`, `basicauth.removeheader=${value}`);
      } else if (k === 'frontend.redirect.entrypoint') {
        mw(`${r}-redirect`, `redirectscheme.scheme=${entryPointName(value) === 'websecure' ? 'https' : 'http'}`);
        mw(`${r}-redirect`, `redirectscheme.permanent=${get('frontend.redirect.permanent')?.[1] ?? 'true'}`);
      } else if (k === 'frontend.redirect.permanent') {
        if (!get('frontend.redirect.entryPoint')) {
          unmapped(rest, 'only meaningful with frontend.redirect.entryPoint');
          continue;
        }
      } else if (k === 'frontend.whitelist.sourcerange' || k === 'frontend.whitelistsourcerange') {
        mw(`${r}-allow`, `ipallowlist.sourcerange=${value}`);
      } else if (k.startsWith('frontend.headers.') && bareHeaders(k.slice('frontend.headers.'.length))) {
        mw(`${r}-headers`, `headers.${bareHeaders(k.slice('frontend.headers.'.length))}=${value}`);
      } else if (k === 'frontend.priority') {
        router('priority', value);
      } else if (k === 'frontend.passhostheader') {
        svc('loadbalancer.passhostheader', value);
        serviceLabels++;
      } else if (k === 'backend') {
        // Names the Traefik service; used above.
      } else if (k === 'port') {
        svc('loadbalancer.server.port', value);
        serviceLabels++;
      } else if (k === 'protocol') {
        svc('loadbalancer.server.scheme', value);
        serviceLabels++;
      } else if (k === 'backend.loadbalancer.stickiness' || k === 'backend.loadbalancer.sticky') {
        svc('loadbalancer.sticky.cookie', value);
        serviceLabels++;
      } else if (k === 'backend.loadbalancer.stickiness.cookiename') {
        svc('loadbalancer.sticky.cookie.name', value);
        serviceLabels++;
      } else if (/^backend\.healthcheck\.(path|interval|port|hostname)$/.test(k)) {
        svc(`loadbalancer.healthcheck.${k.split('.')[2]}`, value);
        serviceLabels++;
      } else {
        unmapped(rest, k === 'weight' ? 'weighted services are defined in a file provider in v3 (http.services.<s>.weighted)'
          : k === 'tags' ? 'tags are gone; the Docker provider filters with constraints = "Label(`a`, `b`)"'
          : k === 'frontend.headers.sslredirect' ? 'use the entry point redirection to websecure'
          : k.startsWith('frontend.headers.') ? 'this header option moved to a headers middleware with a different name; set it by hand'
          : 'no v3 label that container-https maps; see Traefik\'s migration guide');
        continue;
      }
      done(rest);
    }

    if (result.replaced.length === replacedBefore) continue; // nothing in this group mapped
    const onTls = (entrypoints ?? ['websecure']).includes('websecure');
    router('entrypoints', (entrypoints ?? ['websecure']).join(','));
    if (onTls && resolver) router('tls.certresolver', resolver);
    if (middlewares.length) router('middlewares', middlewares.join(','));
    if (s !== r) {
      // A named backend becomes a named service; it needs one label to exist as such.
      if (!serviceLabels) svc('loadbalancer.passhostheader', 'true');
      router('service', s);
    }
  }
  return result;
}
