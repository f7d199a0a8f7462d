import type { IncomingHttpHeaders } from 'node:http';
import type { MatchRequest } from '../traefik/matcher';
import { queryOf, routingPath } from './requestPath';

/**
 * What a rule may look at, read from the request only when a rule asks: most hosts have one
 * router that takes the whole host, and those requests never build this.
 */
export class RoutingRequest implements MatchRequest {
  private pathCache?: string;
  private queryCache?: URLSearchParams;

  constructor(
    readonly host: string,
    /** The cleaned request target (requestPath.ts cleanTarget). */
    private readonly target: string,
    readonly method: string,
    readonly headers: IncomingHttpHeaders,
    readonly clientIp: string,
  ) {}

  get path(): string {
    return (this.pathCache ??= routingPath(this.target));
  }

  get query(): URLSearchParams {
    return (this.queryCache ??= new URLSearchParams(queryOf(this.target)));
  }
}
