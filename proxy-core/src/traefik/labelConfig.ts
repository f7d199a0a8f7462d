import { decodeHttp, TreeNode } from './configTree';
import { Decoded, HttpConfig, ServiceConfig } from './dynamic';
import { HTTP_PREFIX } from './labelKeys';

/**
 * The `traefik.http.*` labels of one container as Traefik's Docker provider decodes them
 * (its labels go through the same flat-key decoder as every label provider): keys ignore case
 * and come out with Traefik's option names, list options are comma-separated, map keys (header
 * names, router names) keep the case first written. Unlike Traefik, which drops all of a
 * container's labels on the first bad one, every label that can be read is kept and each bad
 * one is one problem, starting with its key. Other labels (`traefik.enable`, tcp, udp) are not
 * read here.
 */
export function decodeLabels(labels: Record<string, string>): Decoded {
  const problems: string[] = [];
  const root: TreeNode = { where: HTTP_PREFIX.slice(0, -1) };
  // Sorted as Traefik does, so the spelling kept for a name and the label that wins a clash
  // (two keys differing only in case) are the ones Traefik keeps.
  const keys = Object.keys(labels)
    .filter((k) => k.toLowerCase().startsWith(HTTP_PREFIX))
    .sort();
  for (const key of keys) {
    const segments = keySegments(key.slice(HTTP_PREFIX.length));
    if (typeof segments === 'string') {
      problems.push(`${key}: ${segments}`);
      continue;
    }
    let node = root;
    let where = root.where;
    for (const segment of segments) {
      where += segment.startsWith('[') ? segment : `.${segment}`;
      node.entries ??= [];
      const lower = segment.toLowerCase();
      let child = node.entries.find(([k]) => k.toLowerCase() === lower)?.[1];
      if (!child) {
        child = { where };
        node.entries.push([segment, child]);
      }
      node = child;
    }
    if (node.hasValue) {
      problems.push(
        `${node.where}: overridden by ${key} (label keys ignore case; as in Traefik, the later one by name is used)`,
      );
    }
    node.hasValue = true;
    node.value = labels[key];
    node.where = key;
  }
  const ctx = { source: 'label' as const, problems };
  const config = decodeHttp(root, ctx);
  for (const [name, service] of Object.entries(config.services)) {
    const server = service.loadBalancer?.servers?.[0];
    if (server?.url !== undefined && (server.port !== undefined || server.scheme !== undefined)) {
      problems.push(
        `traefik.http.services.${name}.loadbalancer.server.url: cannot be combined with server.port or server.scheme (Traefik then ignores the container); remove one`,
      );
    }
  }
  return { config, problems };
}

/** `routers.r.tls.domains[0].main` → routers, r, tls, domains, [0], main; a string says what is wrong. */
function keySegments(rest: string): string[] | string {
  const out: string[] = [];
  for (const part of rest.split('.')) {
    if (part === '') return 'has an empty part (two dots, or a dot at the end); remove it';
    if (part.startsWith('['))
      return `"${part}": an index follows an option name, as in tls.domains[0].main (without a dot before [)`;
    const m = /^(.+)(\[\d+\])$/.exec(part);
    if (m) out.push(m[1], m[2]);
    else out.push(part);
  }
  return out;
}

// ---- what the Docker provider adds ---------------------------------------------------------

/**
 * Traefik's normalisation of provider-made names: every run of characters that are not
 * letters or digits becomes one "-", trimmed at both ends (`/my_app.1` → `my-app-1`).
 */
export function normalizeName(name: string): string {
  return name
    .split(/[^\p{L}\p{N}]+/u)
    .filter((s) => s !== '')
    .join('-');
}

/**
 * The name Traefik's Docker provider gives the service it creates for a container that
 * declares none, and the router it creates for one that declares none: with compose labels
 * `<service>_<project>`, else the container's name, normalised. Compose's labels win only
 * when both are there and non-empty.
 */
export function defaultServiceName(container: { name: string; labels?: Record<string, string> }): string {
  const service = container.labels?.['com.docker.compose.service'];
  const project = container.labels?.['com.docker.compose.project'];
  return normalizeName(service && project ? `${service}_${project}` : container.name);
}

/**
 * Completes one container's decoded labels the way Traefik's Docker provider does before it
 * merges containers: with no service declared, one named `serviceName` (defaultServiceName);
 * every load balancer's first server gets `port` (the container's port Traefik would pick: its
 * lowest exposed one) unless it names a url or port; a router without a service takes the only
 * service, and is dropped, with a problem, when there are several. Routers are not created and
 * no default rule is applied: that is the caller's (Traefik's `defaultRule`).
 */
export function linkDockerServices(config: HttpConfig, serviceName: string, port?: number): Decoded {
  const out = structuredClone(config);
  const problems: string[] = [];
  if (Object.keys(out.services).length === 0) out.services[serviceName] = { loadBalancer: {} };
  for (const service of Object.values(out.services) as ServiceConfig[]) {
    const lb = service.loadBalancer;
    if (!lb) continue;
    lb.servers = lb.servers?.length ? lb.servers : [{}];
    const first = lb.servers[0];
    if (first.url === undefined && first.port === undefined && port !== undefined) first.port = port;
  }
  const services = Object.keys(out.services);
  for (const [name, router] of Object.entries(out.routers)) {
    if (router.service) continue;
    if (services.length === 1) {
      router.service = services[0];
      continue;
    }
    delete out.routers[name];
    problems.push(
      `traefik.http.routers.${name}.service: router ${name} has no service and the container declares several (${services.join(', ')}); add traefik.http.routers.${name}.service=<one of them>`,
    );
  }
  return { config: out, problems };
}
