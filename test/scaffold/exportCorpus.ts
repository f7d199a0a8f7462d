import type { ContainerInfo } from '../../proxy-core/src/docker/types';
import type { ExportInput } from '../../proxy-core/src/scaffold/export/types';
import type { RouteRecord } from '../../proxy-core/src/routes/types';

/**
 * Route sets as the control API returns them (GET /v1/routes, /v1/containers, /v1/status), for
 * the export tests: user routes with paths, label routers with rules, priorities and
 * middlewares, several hosts, ACME and local names.
 */

export const LOCAL_SUFFIXES = ['localhost', 'test', 'internal', 'home.arpa', 'local'];
const CREATED = '2026-01-01T00:00:00.000Z';

export function container(
  name: string,
  ports: number[],
  compose?: { project: string; service: string },
  image = `registry.example.com/${compose?.service ?? name}:1`,
): ContainerInfo {
  return {
    id: `${name.replace(/[^a-z0-9]/g, '')}0123456789abcdef`,
    name,
    image,
    state: 'running',
    status: 'Up 3 minutes',
    ...(compose ? { compose } : {}),
    networks: [{ name: 'bridge', ip: '172.17.0.2' }],
    ports: ports.map((containerPort) => ({ containerPort, protocol: 'tcp' as const })),
    labels: {},
  };
}

function route(r: Partial<RouteRecord> & Pick<RouteRecord, 'host' | 'target'>): RouteRecord {
  return { tls: 'local', source: 'user', createdAt: CREATED, ...r };
}

/** A shop: a web front, an API under /api and an admin under /admin, with middlewares. */
export const shop: ExportInput = {
  localSuffixes: LOCAL_SUFFIXES,
  containers: [
    container('shop-web-1', [8000], { project: 'shop', service: 'web' }),
    container('shop-api-1', [3000, 9090], { project: 'shop', service: 'api' }),
  ],
  routes: [
    route({ host: 'shop.localhost', target: 'container:shop-web-1:8000' }),
    route({
      host: 'shop.localhost',
      target: 'container:shop-api-1:3000',
      source: 'label',
      container: 'shop-api-1',
      router: 'api@docker',
      rule: 'Host(`shop.localhost`) && PathPrefix(`/api`)',
      priority: 100,
      middlewares: [
        { name: 'api-strip@docker', type: 'stripPrefix', options: { prefixes: ['/api'] } },
        {
          name: 'secure-headers@docker',
          type: 'headers',
          options: {
            stsSeconds: 31536000,
            frameDeny: true,
            customResponseHeaders: { 'X-Robots-Tag': 'noindex' },
          },
        },
      ],
    }),
    route({ host: 'shop.localhost', path: '/admin', stripPrefix: true, target: 'container:shop-api-1:9090' }),
  ],
};

/** A public blog (ACME) behind basic auth and an allow list, plus a redirect and a rate limit on www. */
export const blog: ExportInput = {
  localSuffixes: LOCAL_SUFFIXES,
  containers: [container('blog', [80])],
  routes: [
    route({
      host: 'blog.example.com',
      tls: 'acme',
      target: 'container:blog:80',
      source: 'label',
      container: 'blog',
      router: 'blog@docker',
      rule: 'Host(`blog.example.com`) || Host(`www.blog.example.com`)',
      middlewares: [
        {
          name: 'auth@docker',
          type: 'basicAuth',
          options: { users: ['admin:$2y$05$Sg3dJ1S5xQ0sVHqH7m1r2eC0kJpC0b6qLwUeI2lT7pM1Yl0b1vUQG'], realm: 'blog' },
        },
        { name: 'office@docker', type: 'ipAllowList', options: { sourceRange: ['10.0.0.0/8', '192.168.0.0/16'] } },
        { name: 'gzip@docker', type: 'compress', options: {} },
      ],
    }),
    route({
      host: 'blog.example.com',
      tls: 'acme',
      target: 'container:blog:80',
      source: 'label',
      container: 'blog',
      router: 'feed@docker',
      rule: 'Host(`blog.example.com`) && (Path(`/feed`) || Path(`/rss`))',
      priority: 50,
      middlewares: [
        { name: 'feed-path@docker', type: 'replacePath', options: { path: '/feed.xml' } },
        { name: 'limit@docker', type: 'rateLimit', options: { average: 100, burst: 50, period: '1s' } },
      ],
    }),
  ],
};

/** Matchers a standard Ingress cannot say, a v2 rule, a public alias, and targets that cannot be exported. */
export const mixed: ExportInput = {
  localSuffixes: LOCAL_SUFFIXES,
  containers: [
    container('app-1', [5000], { project: 'app', service: 'app' }),
    container('app-canary-1', [5000], { project: 'app', service: 'canary' }),
    container('docs', [8080]),
  ],
  routes: [
    route({ host: 'app.test', target: 'container:app-1' }),
    route({
      host: 'app.test',
      target: 'container:app-canary-1:5000',
      source: 'label',
      container: 'app-canary-1',
      router: 'canary@docker',
      rule: 'Host(`app.test`) && Header(`X-Canary`, `1`) && Method(`GET`)',
      priority: 200,
      middlewares: [
        { name: 'old-api@docker', type: 'replacePathRegex', options: { regex: '^/v1/(.*)', replacement: '/v2/$1' } },
        { name: 'to-https@docker', type: 'redirectScheme', options: { scheme: 'https', permanent: true } },
        { name: 'prefix@docker', type: 'addPrefix', options: { prefix: '/canary' } },
      ],
    }),
    route({
      host: 'legacy.app.test',
      target: 'container:app-1:5000',
      source: 'label',
      container: 'app-1',
      router: 'legacy@docker',
      rule: 'Host(`legacy.app.test`, `old.app.test`)',
      ruleSyntax: 'v2',
    }),
    route({
      host: 'docs.example.org.localhost',
      publicHost: 'docs.example.org',
      target: 'container:docs:8080',
      servers: ['container:docs:8080'],
    }),
    route({ host: 'local.localhost', target: 'http://127.0.0.1:5000' }),
    route({ host: 'demo.localhost', target: 'builtin:demo', source: 'demo' }),
  ],
};

export const CORPUS: Record<string, { input: ExportInput; domainMap: string }> = {
  shop: { input: shop, domainMap: '.localhost=example.com' },
  blog: { input: blog, domainMap: '.localhost=example.com' },
  mixed: { input: mixed, domainMap: '.test=example.net' },
};
