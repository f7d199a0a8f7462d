// Usage lines live apart from the commands so `help` loads none of the commands' code.

export const SERVE_USAGE =
  'serve [--state-dir D] [--https-port 8443] [--http-port 8080 | --no-http] [--bind 127.0.0.1] [--no-docker] [--docker-host URL] [--docker-address auto|ip|published] [--no-labels] [--demo] [--acme-directory URL] [--acme-email E] [--acme-ca-file PEM] [--acme-challenge http-01|tls-alpn-01|dns-01] [--acme-agree-tos] [--acme-eab-kid ID --acme-eab-hmac KEY] [--acme-dns-hook CMD] [--backend-timeout SECONDS] [--header-timeout SECONDS] [--idle-timeout SECONDS] [--workers auto|N] [--public-hosts alias|acme|off] [--traefik-dynamic FILE|DIR] [--auto-domains off|compose|all] [--capture-body-kb 64] [--capture-max-requests 1000] [--capture-max-mb 32] [--no-capture] [--exit-when-idle SECONDS] [--lan-interface auto|IF]';

export const CA_USAGE =
  'ca path | env | check | trust [--nss-db DIR] [--system|--no-system] [--nss|--no-nss] [--java|--no-java] [--dry-run [--json]] | untrust [--dry-run] | share [--minutes 10] [--downloads 5]   [--state-dir D]';

export const PORTS_USAGE =
  'ports setup [--dry-run] [--sysctl] [--https-port N --http-port M | --no-http] | undo [--dry-run] | check [--json]   [--state-dir D] [--config-root DIR]   # https://NAME.localhost/ without a port (docs/ports.md)';

export const EXPORT_USAGE =
  'scaffold export  --to compose|swarm|k8s [--ingress traefik|standard] [--domain-map .localhost=example.com[,...]] [--email E] [--staging] [--network N] [--out DIR [--force]] [--state-dir D]   # the running routes as production config';

export const SCAFFOLD_USAGE = [
  'scaffold traefik [--email E] [--network N] [--challenge http|tls] [--staging] [--dashboard off|loopback|basic-auth] [--dashboard-host H] [--dashboard-user USER:HASH] [--log-level L] [--out FILE [--force]]',
  'scaffold labels  --service S --host H [--host H2] [--path /api [--strip-prefix]] [--priority N] [--middleware M]... [--port P] [--network N] [--compose FILE [--write | --print | --out FILE [--force]]]',
  'scaffold stack   --email E --service S --host H [--host H2] [--port P] [--image I] [--network N] [--challenge http|tls] [--staging] [--dashboard ...] [--dir DIR [--force]]',
  EXPORT_USAGE,
].join('\n  container-https ');

export const MIGRATE_USAGE =
  'migrate  FILE [--out FILE [--force]] [--no-cert-resolver]   # Traefik v1 traefik.toml or compose labels -> v3; unmapped keys on stderr';

export const REQUESTS_USAGE =
  'requests [HOST] [--follow] [--json] [--har FILE] [--status 5xx] [--method M] [--q TEXT] [--limit 50] [--show-secrets] [--state-dir D]   # what went through the proxy';

export const REPLAY_USAGE =
  'replay ID [--method M] [--path /p] [--body TEXT] [--json] [--state-dir D]   # send a recorded request again';
