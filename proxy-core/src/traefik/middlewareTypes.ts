/**
 * Traefik v3's HTTP middleware types, spelled as its dynamic configuration spells them. Labels
 * read them case-insensitively (`stripprefix`), so generators look a type up here to write the
 * one spelling every target (labels, files, Kubernetes CRDs) understands.
 */
export const MIDDLEWARE_TYPES = [
  'addPrefix',
  'basicAuth',
  'buffering',
  'chain',
  'circuitBreaker',
  'compress',
  'contentType',
  'digestAuth',
  'encodedCharacters',
  'errors',
  'forwardAuth',
  'grpcWeb',
  'headers',
  'inFlightReq',
  'ipAllowList',
  'ipWhiteList',
  'passTLSClientCert',
  'plugin',
  'rateLimit',
  'redirectRegex',
  'redirectScheme',
  'replacePath',
  'replacePathRegex',
  'retry',
  'stripPrefix',
  'stripPrefixRegex',
] as const;

export type MiddlewareType = (typeof MIDDLEWARE_TYPES)[number];

const BY_LOWER = new Map<string, MiddlewareType>(MIDDLEWARE_TYPES.map((t) => [t.toLowerCase(), t]));

/** The canonical spelling of a middleware type, or undefined when Traefik v3 has no such type. */
export function canonicalMiddlewareType(type: string): MiddlewareType | undefined {
  return BY_LOWER.get(type.toLowerCase());
}
