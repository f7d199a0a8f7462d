/**
 * The option names and value types of Traefik v3's dynamic HTTP configuration: routers,
 * services and middlewares, as its Docker provider (labels) and file provider (YAML, TOML) take
 * them. Both decoders (traefik/labelConfig.ts, traefik/fileConfig.ts) walk this one table, so a
 * name is canonicalised the same way whatever the source. Names are Traefik's (camelCase, as in
 * its docs and JSON); Traefik matches them case-insensitively, and so do the decoders.
 */

/** Where a value comes from: a Docker label (all strings, lists comma-separated) or a file. */
export type Source = 'label' | 'file';

/**
 * A value's type. Scalars: 'string'; 'int' (a whole number); 'bool' (Go's ParseBool words);
 * 'duration' (Go duration such as `10s`, or a number of seconds: kept as written);
 * 'port' (1-65535). 'strings' is a list (comma-separated in labels). 'raw' keeps whatever is
 * written, unchecked (plugin options, file-only service kinds).
 */
export type Spec =
  | 'string'
  | 'int'
  | 'bool'
  | 'duration'
  | 'port'
  | 'strings'
  | 'raw'
  | MapSpec
  | StructSpec
  | ListSpec
  | OnlySpec
  | OneOfSpec;

/** A map whose keys are names as written (router names, header names). */
export interface MapSpec {
  kind: 'map';
  of: Spec;
}

export interface StructSpec {
  kind: 'struct';
  /** For messages: "stripPrefix takes …". */
  name: string;
  fields: Record<string, Spec>;
  /**
   * `tls=true` and `sticky.cookie=true` switch the option on with no sub-option; any other word
   * (`tls=false`) switches it off, sub-options and all, as Traefik does.
   */
  allowEmpty?: boolean;
}

/**
 * A list of structs: in files a YAML/TOML list; in labels `domains[0].main`, or, when
 * `labelName` is set, a single element below that name (`loadbalancer.server.port` is
 * `servers[0].port`).
 */
export interface ListSpec {
  kind: 'list';
  of: StructSpec;
  labelName?: string;
}

/** An option that only one source takes (Traefik's `label:"-"` and `file:"-"`). */
export interface OnlySpec {
  kind: 'only';
  source: Source;
  spec: Spec;
}

/**
 * Exactly one of several named kinds (a middleware's type). Unknown kinds are kept as written
 * (values raw) so the route model can name the type it does not implement.
 */
export interface OneOfSpec {
  kind: 'oneOf';
  what: string;
  variants: Record<string, Spec>;
}

const struct = (name: string, fields: Record<string, Spec>, allowEmpty = false): StructSpec => ({
  kind: 'struct',
  name,
  fields,
  allowEmpty,
});
const map = (of: Spec): MapSpec => ({ kind: 'map', of });
const list = (of: StructSpec, labelName?: string): ListSpec => ({ kind: 'list', of, labelName });
const labelOnly = (spec: Spec): OnlySpec => ({ kind: 'only', source: 'label', spec });
const fileOnly = (spec: Spec): OnlySpec => ({ kind: 'only', source: 'file', spec });

// ---- routers ------------------------------------------------------------------------------

export const ROUTER_SPEC = struct('router', {
  rule: 'string',
  ruleSyntax: 'string',
  priority: 'int',
  service: 'string',
  middlewares: 'strings',
  entryPoints: 'strings',
  parentRefs: fileOnly('strings'),
  tls: struct(
    'tls',
    {
      options: 'string',
      certResolver: 'string',
      domains: list(struct('domain', { main: 'string', sans: 'strings' })),
    },
    true,
  ),
  observability: struct('observability', {
    accessLogs: 'bool',
    metrics: 'bool',
    tracing: 'bool',
    traceVerbosity: 'string',
  }),
});

// ---- services -----------------------------------------------------------------------------

const SERVER = struct('server', {
  url: 'string',
  weight: 'int',
  preservePath: 'bool',
  // Docker only: the container's port and scheme, turned into a url by the Docker provider.
  port: labelOnly('port'),
  scheme: labelOnly('string'),
});

const LOAD_BALANCER = struct('loadBalancer', {
  servers: list(SERVER, 'server'),
  passHostHeader: 'bool',
  strategy: 'string',
  serversTransport: 'string',
  sticky: struct(
    'sticky',
    {
      cookie: struct(
        'cookie',
        {
          name: 'string',
          secure: 'bool',
          httpOnly: 'bool',
          sameSite: 'string',
          maxAge: 'int',
          path: 'string',
          domain: 'string',
        },
        true,
      ),
    },
    true,
  ),
  healthCheck: struct('healthCheck', {
    scheme: 'string',
    mode: 'string',
    path: 'string',
    method: 'string',
    status: 'int',
    port: 'int',
    interval: 'duration',
    unhealthyInterval: 'duration',
    timeout: 'duration',
    hostname: 'string',
    followRedirects: 'bool',
    headers: map('string'),
  }),
  passiveHealthCheck: struct('passiveHealthCheck', { failureWindow: 'duration', maxFailedAttempts: 'int' }),
  responseForwarding: struct('responseForwarding', { flushInterval: 'duration' }),
});

export const SERVICE_SPEC = struct('service', {
  loadBalancer: LOAD_BALANCER,
  middlewares: 'strings',
  // Traefik reads these from files only; the local proxy keeps them as written to name them.
  weighted: fileOnly('raw'),
  mirroring: fileOnly('raw'),
  failover: fileOnly('raw'),
  highestRandomWeight: fileOnly('raw'),
});

// ---- middlewares --------------------------------------------------------------------------

const IP_STRATEGY = struct('ipStrategy', { depth: 'int', excludedIPs: 'strings', ipv6Subnet: 'int' }, true);
const SOURCE_CRITERION = struct('sourceCriterion', {
  ipStrategy: IP_STRATEGY,
  requestHeaderName: 'string',
  requestHost: 'bool',
});
const CLIENT_TLS = struct('tls', {
  ca: 'string',
  cert: 'string',
  key: 'string',
  insecureSkipVerify: 'bool',
  caOptional: 'bool',
});
const AUTH = {
  users: 'strings',
  usersFile: 'string',
  realm: 'string',
  removeHeader: 'bool',
  headerField: 'string',
} as const satisfies Record<string, Spec>;
const DN_FIELDS = ['country', 'province', 'locality', 'organization', 'commonName', 'serialNumber', 'domainComponent'];
const bools = (names: string[]): Record<string, Spec> => Object.fromEntries(names.map((n) => [n, 'bool' as const]));
const ENCODED = [
  'allowEncodedSlash',
  'allowEncodedBackSlash',
  'allowEncodedNullCharacter',
  'allowEncodedSemicolon',
  'allowEncodedPercent',
  'allowEncodedQuestionMark',
  'allowEncodedHash',
];

export const MIDDLEWARE_TYPES: Record<string, StructSpec | MapSpec> = {
  addPrefix: struct('addPrefix', { prefix: 'string' }),
  stripPrefix: struct('stripPrefix', { prefixes: 'strings', forceSlash: 'bool' }),
  stripPrefixRegex: struct('stripPrefixRegex', { regex: 'strings' }),
  replacePath: struct('replacePath', { path: 'string' }),
  replacePathRegex: struct('replacePathRegex', { regex: 'string', replacement: 'string' }),
  redirectScheme: struct('redirectScheme', { scheme: 'string', port: 'string', permanent: 'bool' }),
  redirectRegex: struct('redirectRegex', { regex: 'string', replacement: 'string', permanent: 'bool' }),
  headers: struct('headers', {
    customRequestHeaders: map('string'),
    customResponseHeaders: map('string'),
    accessControlAllowCredentials: 'bool',
    accessControlAllowHeaders: 'strings',
    accessControlAllowMethods: 'strings',
    accessControlAllowOriginList: 'strings',
    accessControlAllowOriginListRegex: 'strings',
    accessControlExposeHeaders: 'strings',
    accessControlMaxAge: 'int',
    addVaryHeader: 'bool',
    allowedHosts: 'strings',
    hostsProxyHeaders: 'strings',
    sslProxyHeaders: map('string'),
    stsSeconds: 'int',
    stsIncludeSubdomains: 'bool',
    stsPreload: 'bool',
    forceSTSHeader: 'bool',
    frameDeny: 'bool',
    customFrameOptionsValue: 'string',
    contentTypeNosniff: 'bool',
    browserXssFilter: 'bool',
    customBrowserXSSValue: 'string',
    contentSecurityPolicy: 'string',
    contentSecurityPolicyReportOnly: 'string',
    publicKey: 'string',
    referrerPolicy: 'string',
    permissionsPolicy: 'string',
    isDevelopment: 'bool',
    // Deprecated in Traefik v3 but still read.
    featurePolicy: 'string',
    sslRedirect: 'bool',
    sslTemporaryRedirect: 'bool',
    sslHost: 'string',
    sslForceHost: 'bool',
  }),
  basicAuth: struct('basicAuth', AUTH),
  digestAuth: struct('digestAuth', AUTH),
  forwardAuth: struct('forwardAuth', {
    address: 'string',
    tls: CLIENT_TLS,
    trustForwardHeader: 'bool',
    authResponseHeaders: 'strings',
    authResponseHeadersRegex: 'string',
    authRequestHeaders: 'strings',
    addAuthCookiesToResponse: 'strings',
    maxResponseBodySize: 'int',
    headerField: 'string',
    forwardBody: 'bool',
    maxBodySize: 'int',
    preserveLocationHeader: 'bool',
    preserveRequestMethod: 'bool',
    authSigninURL: 'string',
  }),
  ipAllowList: struct('ipAllowList', { sourceRange: 'strings', ipStrategy: IP_STRATEGY, rejectStatusCode: 'int' }),
  ipWhiteList: struct('ipWhiteList', { sourceRange: 'strings', ipStrategy: IP_STRATEGY }),
  chain: struct('chain', { middlewares: 'strings' }),
  compress: struct(
    'compress',
    {
      excludedContentTypes: 'strings',
      includedContentTypes: 'strings',
      minResponseBodyBytes: 'int',
      encodings: 'strings',
      defaultEncoding: 'string',
    },
    true,
  ),
  rateLimit: struct('rateLimit', {
    average: 'int',
    period: 'duration',
    burst: 'int',
    sourceCriterion: SOURCE_CRITERION,
    redis: struct('redis', {
      endpoints: 'strings',
      tls: struct('tls', { ca: 'string', cert: 'string', key: 'string', insecureSkipVerify: 'bool' }),
      username: 'string',
      password: 'string',
      db: 'int',
      poolSize: 'int',
      minIdleConns: 'int',
      maxActiveConns: 'int',
      readTimeout: 'duration',
      writeTimeout: 'duration',
      dialTimeout: 'duration',
    }),
  }),
  inFlightReq: struct('inFlightReq', { amount: 'int', sourceCriterion: SOURCE_CRITERION }),
  retry: struct('retry', {
    attempts: 'int',
    timeout: 'duration',
    initialInterval: 'duration',
    maxRequestBodyBytes: 'int',
    status: 'strings',
    disableRetryOnNetworkError: 'bool',
    retryNonIdempotentMethod: 'bool',
  }),
  buffering: struct('buffering', {
    maxRequestBodyBytes: 'int',
    memRequestBodyBytes: 'int',
    maxResponseBodyBytes: 'int',
    memResponseBodyBytes: 'int',
    retryExpression: 'string',
  }),
  circuitBreaker: struct('circuitBreaker', {
    expression: 'string',
    checkPeriod: 'duration',
    fallbackDuration: 'duration',
    recoveryDuration: 'duration',
    responseCode: 'int',
  }),
  errors: struct('errors', {
    status: 'strings',
    statusRewrites: map('int'),
    service: 'string',
    query: 'string',
    errorRequestHeaders: 'strings',
  }),
  grpcWeb: struct('grpcWeb', { allowOrigins: 'strings' }),
  contentType: struct('contentType', { autoDetect: 'bool' }, true),
  passTLSClientCert: struct('passTLSClientCert', {
    pem: 'bool',
    info: struct('info', {
      notAfter: 'bool',
      notBefore: 'bool',
      sans: 'bool',
      serialNumber: 'bool',
      subject: struct('subject', bools([...DN_FIELDS, 'organizationalUnit'])),
      issuer: struct('issuer', bools(DN_FIELDS)),
    }),
  }),
  encodedCharacters: struct('encodedCharacters', bools(ENCODED)),
  // One key per plugin name, holding that plugin's own options, unchecked.
  plugin: map('raw'),
};

/** Middleware types Traefik v3 still reads but deprecates, and what replaces them. */
export const DEPRECATED_MIDDLEWARES: Record<string, string> = { ipWhiteList: 'ipAllowList' };

export const MIDDLEWARE_SPEC: OneOfSpec = { kind: 'oneOf', what: 'middleware', variants: MIDDLEWARE_TYPES };

/** The `http` section: what both decoders produce (dynamic.ts's HttpConfig). */
export const HTTP_SPEC = struct('http', {
  routers: map(ROUTER_SPEC),
  services: map(SERVICE_SPEC),
  middlewares: map(MIDDLEWARE_SPEC),
});

// ---- value syntax -------------------------------------------------------------------------

/** Go's strconv.ParseBool words, which Traefik accepts for booleans. */
export function parseBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(text)) return false;
  return undefined;
}

/** A whole number as Go's ParseInt reads it (base 10, optional sign). */
export function parseInteger(text: string): number | undefined {
  return /^[+-]?\d+$/.test(text.trim()) ? Number(text.trim()) : undefined;
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * A Traefik duration in milliseconds: a Go duration (`1m30s`, `250ms`) or, as Traefik reads a
 * bare number, seconds. Undefined when it is neither.
 */
export function durationMs(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value * 1000 : undefined;
  const text = value.trim();
  if (/^[+-]?\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const m = /^([+-]?)((?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/.exec(text);
  if (!m) return text === '0' ? 0 : undefined;
  let ms = 0;
  for (const part of m[2].matchAll(/(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    ms += Number(part[1]) * DURATION_UNITS[part[2]];
  }
  return m[1] === '-' ? -ms : ms;
}

/** The canonical name of `written` among `names`, matched as Traefik does: ignoring case. */
export function canonicalName(names: Iterable<string>, written: string): string | undefined {
  const lower = written.toLowerCase();
  for (const n of names) if (n.toLowerCase() === lower) return n;
  return undefined;
}
