/** Options and results shared by the scaffold generators (the editor builds against these). */

export interface TraefikTomlOptions {
  email: string;
  /** Docker network Traefik reaches containers on. */
  network?: string;
  challenge?: 'http' | 'tls';
  staging?: boolean;
  dashboard?: 'off' | 'loopback' | 'basic-auth';
  dockerEndpoint?: string;
  /**
   * Which Traefik provider reads the labels: `docker` (containers, the default) or `swarm`
   * (services of a Swarm stack, labels under `deploy.labels`).
   */
  provider?: 'docker' | 'swarm';
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** acme.json path inside the Traefik container. */
  storage?: string;
  /**
   * Where the `traefik` entry point (dashboard, `loopback` mode) listens. Default
   * 127.0.0.1:8080. The stack sets ":8080" because it publishes the port on the host's
   * loopback only; anything else that is not a loopback address is refused.
   */
  dashboardAddress?: string;
  /** Directory of the file provider that holds the dashboard router (`basic-auth` mode). */
  dynamicDir?: string;
}

export interface DashboardOptions {
  /** Host name the dashboard answers on, e.g. traefik.example.com. */
  host: string;
  /** htpasswd lines (`user:hash`, bcrypt recommended: `htpasswd -nB admin`). */
  users?: string[];
  certResolver?: string;
}

export interface LabelOptions {
  service: string;
  hosts: string[];
  port?: number;
  network?: string;
  entrypoint?: string;
  certResolver?: string;
  /**
   * Route only this path and everything below it (`/api`: `/api` and `/api/…`, not `/apix`), as
   * `expose HOST/PATH` does: the rule is ``Host(h) && (Path(`/api`) || PathPrefix(`/api/`))``.
   * Normalised and checked as a user route's path (routes/routePath.ts).
   */
  path?: string;
  /** Strip `path` before the app sees it: a stripprefix middleware named `<router>-stripprefix`, run first. */
  stripPrefix?: boolean;
  /** The router's priority, 1 to 2147483647; default: Traefik's (the rule's length). */
  priority?: number;
  /** Middlewares defined elsewhere (`auth`, `auth@file`), in the order they run, after the stripprefix. */
  middlewares?: string[];
  /** Router name; default: the service name (or the one router the service already has). */
  router?: string;
  /** Traefik service name; default: the service name (or the one it already has). */
  traefikService?: string;
}

export interface StackOptions extends TraefikTomlOptions, LabelOptions {
  image?: string;
  /** Dashboard router settings when `dashboard` is `basic-auth`. */
  dashboardHost?: string;
  dashboardUsers?: string[];
}

export interface Unmapped {
  key: string;
  reason: string;
}
