import {
  LabelPair,
  ROUTER,
  SERVICE,
  V1,
  isV1Label,
  middlewareKey,
  routerKey,
  serviceKey,
  splitV1Key,
  v1Key,
} from '../traefik/labelKeys';
import { ENTRY_WEBSECURE, RESOLVER, entryPointName, traefikName } from '../traefik/names';
import { hostsRule, translateV1Rule } from '../traefik/rules';
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
export function migrateLabelPairs(
  labels: LabelPair[],
  service: string,
  opts: LabelMigrationOptions = {},
): LabelMigration {
  const result: LabelMigration = { labels: [], replaced: [], unmapped: [] };
  const groups = new Map<string, LabelPair[]>(); // segment ('' = default) → [rest, value]
  for (const [key, value] of labels) {
    if (!isV1Label(key)) continue;
    const { segment: seg, rest } = splitV1Key(key);
    if (!groups.has(seg)) groups.set(seg, []);
    groups.get(seg)!.push([rest, value]);
  }
  const resolver = opts.certResolver === undefined ? RESOLVER : opts.certResolver;

  for (const [seg, pairs] of groups) {
    const fullKey = (rest: string) => v1Key(seg, rest);
    const get = (rest: string) => pairs.find(([k]) => k.toLowerCase() === rest.toLowerCase());
    const r = traefikName(seg || service);
    const backend = seg ? undefined : get(V1.backend)?.[1];
    const s = backend ? traefikName(backend) : r;
    const router = (k: string, v: string) => result.labels.push([routerKey(r, k), v]);
    const svc = (k: string, v: string) => result.labels.push([serviceKey(s, k), v]);
    const middlewares: string[] = [];
    const mw = (name: string, option: string) => {
      const eq = option.indexOf('=');
      result.labels.push([middlewareKey(name, option.slice(0, eq)), option.slice(eq + 1)]);
      if (!middlewares.includes(name)) middlewares.push(name);
    };
    const done = (rest: string) => result.replaced.push(fullKey(rest));
    const unmapped = (rest: string, reason: string) =>
      result.unmapped.push({ key: `${service}: ${fullKey(rest)}`, reason });
    let entrypoints: string[] | undefined;
    let serviceLabels = 0;
    const replacedBefore = result.replaced.length;

    for (const [rest, value] of pairs) {
      const k = rest.toLowerCase();
      if (k === V1.frontendRule) {
        // A whole rule from a compose variable cannot be translated here; a variable inside
        // one (Host:${DOMAIN}) can, and compose fills it in between the backticks.
        if (/^\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)$/.test(value.trim())) {
          router(ROUTER.rule, value);
          unmapped(
            rest,
            `the value comes from a variable at deploy time: set it to v3 syntax, e.g. ${hostsRule(['myhost.example.com'])} instead of Host:myhost.example.com`,
          );
        } else {
          const t = translateV1Rule(value, r);
          if (t.problems.length) {
            unmapped(rest, `${t.problems.join('; ')}; write the rule by hand as ${routerKey(r, ROUTER.rule)}`);
            continue;
          }
          if (t.rule) router(ROUTER.rule, t.rule);
          for (const [name, option] of t.middlewares) mw(name, option);
        }
      } else if (k === V1.entrypoints) {
        entrypoints = value
          .split(',')
          .map((e) => entryPointName(e.trim()))
          .filter(Boolean);
      } else if (k === 'frontend.auth.basic' || k === 'frontend.auth.basic.users') {
        mw(`${r}-auth`, `basicauth.users=${value}`);
      } else if (k === 'frontend.auth.basic.usersfile') {
        mw(`${r}-auth`, `basicauth.usersfile=${value}`);
      } else if (k === 'frontend.auth.basic.removeheader') {
        mw(`${r}-auth`, `basicauth.removeheader=${value}`);
      } else if (k === 'frontend.redirect.entrypoint') {
        mw(`${r}-redirect`, `redirectscheme.scheme=${entryPointName(value) === ENTRY_WEBSECURE ? 'https' : 'http'}`);
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
        router(ROUTER.priority, value);
      } else if (k === 'frontend.passhostheader') {
        svc(SERVICE.passHostHeader, value);
        serviceLabels++;
      } else if (k === V1.backend) {
        // Names the Traefik service; used above.
      } else if (k === V1.port) {
        svc(SERVICE.port, value);
        serviceLabels++;
      } else if (k === V1.protocol) {
        svc(SERVICE.scheme, value);
        serviceLabels++;
      } else if (k === 'backend.loadbalancer.stickiness' || k === 'backend.loadbalancer.sticky') {
        svc(SERVICE.stickyCookie, value);
        serviceLabels++;
      } else if (k === 'backend.loadbalancer.stickiness.cookiename') {
        svc(SERVICE.stickyCookieName, value);
        serviceLabels++;
      } else if (/^backend\.healthcheck\.(path|interval|port|hostname)$/.test(k)) {
        svc(SERVICE.healthcheck(k.split('.')[2]), value);
        serviceLabels++;
      } else {
        unmapped(
          rest,
          k === 'weight'
            ? 'weighted services are defined in a file provider in v3 (http.services.<s>.weighted)'
            : k === 'tags'
              ? 'tags are gone; the Docker provider filters with constraints = "Label(`a`, `b`)"'
              : k === 'frontend.headers.sslredirect'
                ? `use the entry point redirection to ${ENTRY_WEBSECURE}`
                : k.startsWith('frontend.headers.')
                  ? 'this header option moved to a headers middleware with a different name; set it by hand'
                  : "no v3 label that container-https maps; see Traefik's migration guide",
        );
        continue;
      }
      done(rest);
    }

    if (result.replaced.length === replacedBefore) continue; // nothing in this group mapped
    const onTls = (entrypoints ?? [ENTRY_WEBSECURE]).includes(ENTRY_WEBSECURE);
    router(ROUTER.entrypoints, (entrypoints ?? [ENTRY_WEBSECURE]).join(','));
    if (onTls && resolver) router(ROUTER.certResolver, resolver);
    if (middlewares.length) router(ROUTER.middlewares, middlewares.join(','));
    if (s !== r) {
      // A named backend becomes a named service; it needs one label to exist as such.
      if (!serviceLabels) svc(SERVICE.passHostHeader, 'true');
      router(ROUTER.service, s);
    }
  }
  return result;
}
