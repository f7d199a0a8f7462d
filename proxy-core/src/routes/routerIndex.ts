import { buildMiddleware } from '../middlewares/buildMiddleware';
import type { Middleware, MiddlewareSpec } from '../middlewares/types';
import { Match, MatchRequest, compileRule } from '../traefik/matcher';
import { routerPriority } from '../traefik/priority';
import { hostPathNode, hostsOfRule, printRule, RuleNode } from '../traefik/rules';
import type { RouteRecord, RouteSource } from './types';

/** A router's host when its rule fixes none (HostRegexp, PathPrefix alone): it is tried for every host. */
export const ANY_HOST = '*';

// An explicit action in the editor or CLI beats what a container or a file advertises, which
// beats the demo route: within one host, the source decides first, then the router's priority.
// Labels and files are both Traefik providers, so between them priority alone decides.
// Automatic names (serve --auto-domains) rank below everything, the demo included: nobody wrote
// them, they follow from a container's name, and a name somebody did write (a route, a label or
// file router, or `serve --demo`, which is asked for by flag) must never be taken by a container
// that happens to be called the same. (Label and file routers for a host also keep the automatic
// name off that host altogether when derived: docker/autoDomains.ts.)
const RANK: Record<RouteSource, number> = { user: 4, label: 3, file: 3, demo: 2, auto: 1 };

export interface IndexedRoute {
  record: RouteRecord;
  /** undefined: the host alone decides (a rule of Host matchers only), nothing to evaluate. */
  match?: Match;
  /** The host the rule is evaluated with: the production name when `record.host` is its alias. */
  ruleHost?: string;
  priority: number;
  rank: number;
  middlewares: Middleware[];
  /** Round-robin position over the service's servers. */
  turn: number;
}

/** The rule a record routes by: its own, or the one its host and path stand for. */
export function ruleOf(record: RouteRecord): string {
  if (record.rule) return record.rule;
  return printRule(userRule(record.host, record.path));
}

/**
 * A user route's path takes the path and everything below it (`/api`, `/api/…`), not `/apix`:
 * what "expose app.localhost/api" means to a person (traefik/rules.ts hostPathNode).
 */
function userRule(host: string, path: string | undefined): RuleNode {
  return hostPathNode([host], path);
}

/** What runs between the route and its service: a user route's strip-prefix, or the router's list. */
export function middlewaresOf(record: RouteRecord): MiddlewareSpec[] {
  if (record.middlewares) return record.middlewares;
  if (record.stripPrefix && record.path)
    return [{ name: 'strip-prefix', type: 'stripPrefix', options: { prefixes: [record.path] } }];
  return [];
}

/** Identity of a record inside its source: what an upsert replaces. */
export function routeKey(record: RouteRecord): string {
  return record.source === 'user' || record.source === 'demo'
    ? `${record.host}${record.path ?? ''}`
    : `${record.router ?? ''}|${record.host}`;
}

function compare(a: IndexedRoute, b: IndexedRoute): number {
  if (a.rank !== b.rank) return b.rank - a.rank;
  if (a.priority !== b.priority) return b.priority - a.priority;
  const ka = routeKey(a.record);
  const kb = routeKey(b.record);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * Routers grouped by the host their records carry, each group in the order they are tried
 * (source, then priority, then name), with the routers that fix no host merged into every group.
 * A request is matched against its host's group only; a group whose first router takes the whole
 * host costs one map lookup, as host-only routing did.
 */
export class RouterIndex {
  private readonly byHost = new Map<string, IndexedRoute[]>();
  private readonly anyHost: IndexedRoute[] = [];
  /** Every record that can be reached (one hidden behind a whole-host route of a stronger source is not). */
  readonly reachable: RouteRecord[] = [];
  /** Records that could not be compiled, with why (sources check first, so this is a safety net). */
  readonly refused: Array<{ record: RouteRecord; reason: string }> = [];

  constructor(records: Iterable<RouteRecord>) {
    const all: IndexedRoute[] = [];
    for (const record of records) {
      const indexed = index(record);
      if (typeof indexed === 'string') this.refused.push({ record, reason: indexed });
      else all.push(indexed);
    }
    all.sort(compare);
    for (const route of all) {
      if (route.record.host === ANY_HOST) this.anyHost.push(route);
      else {
        let group = this.byHost.get(route.record.host);
        if (!group) this.byHost.set(route.record.host, (group = []));
        group.push(route);
      }
    }
    for (const [host, group] of this.byHost) {
      const merged = this.anyHost.length ? [...group, ...this.anyHost].sort(compare) : group;
      // Routers after one that takes every request of the host are never tried.
      const cut = merged.findIndex((r) => !r.match);
      const kept = cut === -1 ? merged : merged.slice(0, cut + 1);
      this.byHost.set(host, kept);
      for (const r of kept) if (r.record.host === host) this.reachable.push(r.record);
    }
    this.reachable.push(...this.anyHost.map((r) => r.record));
  }

  /** The first router (in order) whose rule takes the request; `request` is built only if a rule needs it. */
  find(host: string, request: () => MatchRequest): IndexedRoute | undefined {
    const group = this.byHost.get(host) ?? this.anyHost;
    if (!group.length) return undefined;
    let req: MatchRequest | undefined;
    for (let i = 0; i < group.length; i++) {
      const route = group[i];
      if (!route.match) return route;
      req ??= request();
      if (route.match(route.ruleHost ? withHost(req, route.ruleHost) : req)) return route;
    }
    return undefined;
  }

  /** The first router of a host, whatever the request: for "is this host routed?" questions. */
  first(host: string): IndexedRoute | undefined {
    return this.byHost.get(host)?.[0];
  }
}

/** The same request seen with another host (an alias is matched as the production name it stands for). */
function withHost(req: MatchRequest, host: string): MatchRequest {
  return Object.create(req, { host: { value: host } }) as MatchRequest;
}

function index(record: RouteRecord): IndexedRoute | string {
  const rule = ruleOf(record);
  const compiled = compileRule(rule, { syntax: record.ruleSyntax ?? 'v3' });
  if (!compiled.ok) return compiled.reason;
  const ruleHost = record.publicHost;
  const pure = hostsOfRule(rule);
  // A rule of Host matchers only, indexed under one of its hosts, needs no evaluation.
  const hostOnly = record.host !== ANY_HOST && Array.isArray(pure) && pure.includes(ruleHost ?? record.host);
  let middlewares: Middleware[];
  try {
    middlewares = middlewaresOf(record).map(buildMiddleware);
  } catch (err) {
    return (err as Error).message;
  }
  const route: IndexedRoute = {
    record,
    priority: routerPriority(rule, record.priority),
    rank: RANK[record.source],
    middlewares,
    turn: 0,
  };
  if (!hostOnly) route.match = compiled.match;
  if (ruleHost) route.ruleHost = ruleHost;
  return route;
}
