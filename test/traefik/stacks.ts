/**
 * A realistic production stack, shared by the label, file and provider tests: a web front end
 * and an API split by PathPrefix on one host, an admin router behind basic auth, a www
 * redirect, CORS and custom response headers, and middlewares kept in a file provider file and
 * referenced from labels as `name@file`.
 */

/** bcrypt of "s3cret" and "0pspass": `htpasswd -nbB`'s `$2y$` form, `$` and all. */
export const ADMIN_HASH = '$2y$05$KlvJiZEnP1Qngot8Oew0l.4ydw1ezbArcVgI.M.czHA/GhrHYt/wK';
export const OPS_HASH = '$2y$05$MIJvPieOJHxTTvcGXg3iP.dL1VjgPuKDSEwS.ISwG8eFCnZK16QK6';

/**
 * Labels as the engine holds them (`docker inspect`). In the compose file every `$` is doubled
 * (`admin:$$2y$$05$$…`, `https://shop.example.com/$${1}`): compose undoes that before the
 * engine sees the labels, so the decoder sees single `$`.
 */
export const WEB_LABELS: Record<string, string> = {
  'traefik.enable': 'true',
  'traefik.docker.network': 'shop_proxy',
  'traefik.http.routers.web.rule': 'Host(`shop.example.com`)',
  'traefik.http.routers.web.entrypoints': 'websecure',
  'traefik.http.routers.web.tls.certresolver': 'letsencrypt',
  'traefik.http.routers.web.middlewares': 'security-headers@file,compress',
  'traefik.http.routers.www.rule': 'Host(`www.shop.example.com`)',
  'traefik.http.routers.www.entrypoints': 'websecure',
  'traefik.http.routers.www.tls': 'true',
  'traefik.http.routers.www.middlewares': 'www-to-apex',
  'traefik.http.routers.www.service': 'web',
  'traefik.http.middlewares.compress.compress': 'true',
  'traefik.http.middlewares.www-to-apex.redirectregex.regex': '^https://www\\.shop\\.example\\.com/(.*)',
  'traefik.http.middlewares.www-to-apex.redirectregex.replacement': 'https://shop.example.com/${1}',
  'traefik.http.middlewares.www-to-apex.redirectregex.permanent': 'true',
  'traefik.http.services.web.loadbalancer.server.port': '3000',
  'com.docker.compose.project': 'shop',
  'com.docker.compose.service': 'web',
};

export const API_LABELS: Record<string, string> = {
  'traefik.enable': 'true',
  'traefik.http.routers.api.rule': 'Host(`shop.example.com`) && PathPrefix(`/api`)',
  'traefik.http.routers.api.entrypoints': 'websecure',
  'traefik.http.routers.api.tls.certresolver': 'letsencrypt',
  'traefik.http.routers.api.priority': '100',
  'traefik.http.routers.api.middlewares': 'api-strip, api-cors, rate-limit@file',
  'traefik.http.routers.api.service': 'api',
  'traefik.http.middlewares.api-strip.stripprefix.prefixes': '/api',
  'traefik.http.middlewares.api-cors.headers.accesscontrolallowmethods': 'GET,OPTIONS,PUT,POST,DELETE',
  'traefik.http.middlewares.api-cors.headers.accesscontrolalloworiginlist':
    'https://shop.example.com,https://admin.shop.example.com',
  'traefik.http.middlewares.api-cors.headers.accesscontrolallowheaders': 'Content-Type,Authorization',
  'traefik.http.middlewares.api-cors.headers.accesscontrolmaxage': '100',
  'traefik.http.middlewares.api-cors.headers.addvaryheader': 'true',
  'traefik.http.middlewares.api-cors.headers.customresponseheaders.X-Api-Version': '2',
  'traefik.http.middlewares.api-cors.headers.customresponseheaders.Server': '',
  'traefik.http.routers.admin.rule': 'Host(`admin.shop.example.com`)',
  'traefik.http.routers.admin.entrypoints': 'websecure',
  'traefik.http.routers.admin.tls.certresolver': 'letsencrypt',
  'traefik.http.routers.admin.middlewares': 'admin-auth,security-headers@file',
  'traefik.http.routers.admin.service': 'api',
  'traefik.http.middlewares.admin-auth.basicauth.users': `admin:${ADMIN_HASH},ops:${OPS_HASH}`,
  'traefik.http.middlewares.admin-auth.basicauth.realm': 'Shop admin',
  'traefik.http.middlewares.admin-auth.basicauth.removeheader': 'true',
  'traefik.http.services.api.loadbalancer.server.port': '8000',
  'traefik.http.services.api.loadbalancer.healthcheck.path': '/healthz',
  'traefik.http.services.api.loadbalancer.healthcheck.interval': '10s',
};

/** The file the labels' `@file` middlewares come from, YAML and TOML saying the same. */
export const MIDDLEWARES_YAML = `# Shared middlewares, referenced from labels as name@file.
http:
  middlewares:
    security-headers:
      headers:
        frameDeny: true
        contentTypeNosniff: true
        browserXssFilter: true
        stsSeconds: 31536000
        stsIncludeSubdomains: true
        referrerPolicy: strict-origin-when-cross-origin
        customResponseHeaders:
          X-Powered-By: ""
    rate-limit:
      rateLimit:
        average: 100
        burst: 50
        period: 1m
  routers:
    dashboard:
      rule: Host(\`traefik.shop.example.com\`)
      entryPoints: [websecure]
      service: api@internal
      middlewares: [dashboard-auth]
      tls:
        certResolver: letsencrypt
    legacy:
      rule: Host(\`old.shop.example.com\`)
      service: legacy
  services:
    legacy:
      loadBalancer:
        passHostHeader: true
        servers:
          - url: http://10.0.0.5:8080
          - url: http://10.0.0.6:8080
`;

export const MIDDLEWARES_TOML = `# Shared middlewares, referenced from labels as name@file.
[http.middlewares.security-headers.headers]
frameDeny = true
contentTypeNosniff = true
browserXssFilter = true
stsSeconds = 31536000
stsIncludeSubdomains = true
referrerPolicy = "strict-origin-when-cross-origin"
[http.middlewares.security-headers.headers.customResponseHeaders]
X-Powered-By = ""

[http.middlewares.rate-limit.rateLimit]
average = 100
burst = 50
period = "1m"

[http.routers.dashboard]
rule = "Host(\`traefik.shop.example.com\`)"
entryPoints = ["websecure"]
service = "api@internal"
middlewares = ["dashboard-auth"]
[http.routers.dashboard.tls]
certResolver = "letsencrypt"

[http.routers.legacy]
rule = "Host(\`old.shop.example.com\`)"
service = "legacy"

[http.services.legacy.loadBalancer]
passHostHeader = true
[[http.services.legacy.loadBalancer.servers]]
url = "http://10.0.0.5:8080"
[[http.services.legacy.loadBalancer.servers]]
url = "http://10.0.0.6:8080"
`;
