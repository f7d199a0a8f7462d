/**
 * Router priority as Traefik computes it: a router without a priority of its own (0 or unset)
 * gets the length of its rule, so the longer, more specific rule is tried first. Traefik's
 * length is Go's len(), the UTF-8 byte count, which is what rulePriority returns.
 */

/** The highest priority a router (a user route, a label) may ask for: Traefik's are Go ints; this keeps them exact in JSON and in labels. */
export const MAX_PRIORITY = 2 ** 31 - 1;

export function rulePriority(rule: string): number {
  return Buffer.byteLength(rule, 'utf8');
}

/** The priority a router is tried with: its own when set (non-zero, as Traefik), else its rule's length. */
export function routerPriority(rule: string, explicit?: number): number {
  return explicit !== undefined && explicit !== 0 ? explicit : rulePriority(rule);
}

export interface RankedRouter {
  name: string;
  rule: string;
  priority?: number;
}

/**
 * Sort order for routers: higher priority first; on a tie, by name (code-unit order), so the
 * order never depends on the order routers were discovered. Traefik breaks ties by provider
 * and otherwise leaves them to an unstable sort; one proxy here has one provider, so the name
 * is the tie-break.
 */
export function compareRouters(a: RankedRouter, b: RankedRouter): number {
  const d = routerPriority(b.rule, b.priority) - routerPriority(a.rule, a.priority);
  if (d !== 0) return d;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
