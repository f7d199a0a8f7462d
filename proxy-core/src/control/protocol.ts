import type {
  CaStatus,
  CertMeta,
  CertResponse,
  CertsResponse,
  ContainersResponse,
  DaemonStatus,
  PortsStatus,
  ExposeRequest,
  CaShareInfo,
  CaShareRequest,
  LanShareRequest,
  LanShareView,
  LanStatus,
  CaptureSummary,
  ReplayEdits,
  ReplayResponse,
  RequestResponse,
  RequestsResponse,
  RoutesResponse,
  RouteView,
  ProbeRequest,
  ProbeResult,
} from './apiTypes';

/**
 * The control API's endpoints and events, each declared once with its types. Clients call
 * `ControlClient.call(Status)` instead of passing a path and casting the answer; the table in
 * docs/architecture.md lists the same endpoints, and test/control/protocol.test.ts checks that the
 * daemon serves each one.
 */

export type Method = 'GET' | 'PUT' | 'POST' | 'DELETE';

/** The `:name` parts of a path, e.g. `{ host }` for /v1/routes/:host. */
export type PathParams = Record<string, string>;

/**
 * One endpoint. `Req` is the JSON body (`undefined`: none), `Res` the JSON answer and `Params`
 * the path's `:name` parts (`undefined`: none).
 */
export interface Endpoint<Req, Res, Params extends PathParams | undefined = undefined> {
  readonly method: Method;
  readonly path: string;
  /** Never set: only carries the types to `ControlClient.call`. */
  readonly types?: { req: Req; res: Res; params: Params };
}

function endpoint<Req, Res, Params extends PathParams | undefined = undefined>(
  method: Method,
  path: string,
): Endpoint<Req, Res, Params> {
  return { method, path };
}

export const Status = endpoint<undefined, DaemonStatus>('GET', '/v1/status');
export const Routes = endpoint<undefined, RoutesResponse>('GET', '/v1/routes');
/** Validates the route, issues its certificate and persists it. */
export const PutRoute = endpoint<ExposeRequest, RouteView, { host: string }>('PUT', '/v1/routes/:host');
/** Removes a user route (a label route goes with its labels); `?path=/api` names a path route. */
export const DeleteRoute = endpoint<undefined, { removed: boolean }, { host: string }>('DELETE', '/v1/routes/:host');
/**
 * One verified HTTPS request to the route through the proxy, repeated until it answers, the wait
 * is over, or its certificate fails verification (body: which path route, how long, whose roots).
 */
export const ProbeRoute = endpoint<ProbeRequest, ProbeResult, { host: string }>('POST', '/v1/routes/:host/probe');
export const Certs = endpoint<undefined, CertsResponse>('GET', '/v1/certs');
/** One host's certificate: its metadata and PEM; 404 while it has none. */
export const Cert = endpoint<undefined, CertResponse, { host: string }>('GET', '/v1/certs/:host');
export const RenewCert = endpoint<undefined, CertMeta, { host: string }>('POST', '/v1/certs/:host/renew');
export const Containers = endpoint<undefined, ContainersResponse>('GET', '/v1/containers');
export const Ca = endpoint<undefined, CaStatus>('GET', '/v1/ca');
/** Verifies the trust stores again, then answers like GET /v1/ca. */
export const CaCheck = endpoint<undefined, CaStatus>('POST', '/v1/ca/check');
/** Probes 127.0.0.1:443 again (after `ports setup` / `ports undo`) and answers what it found. */
export const PortsCheck = endpoint<undefined, PortsStatus>('POST', '/v1/ports/check');
/** What is on the LAN: the interface, the shared routes, a running CA share (docs/lan.md). */
export const Lan = endpoint<undefined, LanStatus>('GET', '/v1/lan');
/** Shares a route on the LAN as its `.local` name (the first share starts the LAN listeners). */
export const PutLanShare = endpoint<LanShareRequest, LanShareView, { host: string }>('PUT', '/v1/lan/shares/:host');
/** Stops sharing a route (after the last one nothing listens on the LAN). */
export const DeleteLanShare = endpoint<undefined, { removed: boolean }, { host: string }>(
  'DELETE',
  '/v1/lan/shares/:host',
);
/** Offers the CA to phones at a one-time URL for some minutes or downloads. */
export const PostCaShare = endpoint<CaShareRequest, CaShareInfo>('POST', '/v1/lan/ca-share');
export const Shutdown = endpoint<undefined, { stopping: boolean }>('POST', '/v1/shutdown');
/** The request inspector: `?host=&status=5xx&method=&q=&limit=&before=ID`, summaries, newest first. */
export const Requests = endpoint<undefined, RequestsResponse>('GET', '/v1/requests');
/** One whole record; credentials masked unless `?secrets=1`. */
export const RequestDetail = endpoint<undefined, RequestResponse, { id: string }>('GET', '/v1/requests/:id');
/** Sends the request again through the proxy (optionally edited); the replay is recorded, linked by `replayOf`. */
export const ReplayRequest = endpoint<ReplayEdits | undefined, ReplayResponse, { id: string }>(
  'POST',
  '/v1/requests/:id/replay',
);
export const ClearRequests = endpoint<undefined, { cleared: number }>('DELETE', '/v1/requests');
/** Server-Sent Events, see DaemonEvents; `ControlClient.subscribe` reads them. */
export const Events = endpoint<undefined, never>('GET', '/v1/events');

/** The path of one call: each `:name` replaced by its parameter, URI-encoded (the server decodes). */
export function endpointPath(ep: Endpoint<unknown, unknown, PathParams | undefined>, params?: PathParams): string {
  return ep.path.replace(/:([a-zA-Z]+)/g, (_, key: string) => {
    const value = params?.[key];
    if (value === undefined) throw new Error(`${ep.method} ${ep.path} needs the parameter ${key}.`);
    return encodeURIComponent(value);
  });
}

/**
 * What a call passes besides the endpoint: the path parameters and the body when the endpoint
 * has them (then they are required), and a timeout.
 */
export type CallOptions<Req, Params> = { timeoutMs?: number; query?: Record<string, string | undefined> } & ([
  Params,
] extends [undefined]
  ? { params?: undefined }
  : { params: Params }) &
  ([Req] extends [undefined] ? { body?: undefined } : { body: Req });

/** The options argument may be left out when the endpoint has neither path parameters nor a body. */
export type CallArgs<Req, Params> = [Params] extends [undefined]
  ? [Req] extends [undefined]
    ? [options?: CallOptions<Req, Params>]
    : [options: CallOptions<Req, Params>]
  : [options: CallOptions<Req, Params>];

/**
 * GET /v1/events: each event's name and payload. A new subscriber first gets status, routes,
 * certs, containers (when Docker discovery is on) and ca.
 */
export interface DaemonEvents {
  status: DaemonStatus;
  routes: RoutesResponse;
  certs: CertsResponse;
  containers: ContainersResponse;
  /** A line of the daemon's log. */
  log: { line: string; at: string };
  /** Sent whenever ca/trust.json changes, e.g. after `container-https ca trust`. */
  ca: CaStatus;
  /** Each request the proxy recorded: only to subscribers of `/v1/events?requests=1` (`?requests=errors`: 5xx and upstream failures only). */
  request: CaptureSummary;
}

export type DaemonEventName = keyof DaemonEvents;

/** One event as `ControlClient.subscribe` hands it over: `(name, data)`, narrowed together by the name. */
export type DaemonEventArgs = { [E in DaemonEventName]: [event: E, data: DaemonEvents[E]] }[DaemonEventName];
