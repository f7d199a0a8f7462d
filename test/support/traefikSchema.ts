import Ajv from 'ajv';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HttpConfig, ServiceConfig } from '../../proxy-core/src/traefik/dynamic';
import { SHARED } from './env';

/** Traefik v3's JSON schema for file provider (dynamic) configuration, from the shared test data. */
export const FILE_PROVIDER_SCHEMA = path.join(SHARED, 'fixtures', 'traefik-schema', 'traefik-v3-file-provider.json');

let validator: ReturnType<Ajv['compile']> | undefined;

/**
 * The schema's complaints about `{ http: config }`, one line each (empty: valid). strict is
 * off because the schema uses keywords Ajv's strict mode rejects (descriptions on $refs).
 */
export function schemaErrors(config: HttpConfig): string[] {
  if (!validator) {
    const schema = JSON.parse(fs.readFileSync(FILE_PROVIDER_SCHEMA, 'utf8'));
    validator = new Ajv({ allErrors: true, strict: false }).compile(schema);
  }
  if (validator({ http: config })) return [];
  const lines = (validator.errors ?? []).map(
    (e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`,
  );
  return [...new Set(lines)];
}

/**
 * A label-decoded configuration as the file provider would write it: Docker's server `port`
 * (and `scheme`) become a `url`, as Traefik's Docker provider does once it knows the
 * container's address (here a placeholder host).
 */
export function asFileConfig(config: HttpConfig, host = 'container'): HttpConfig {
  const out = structuredClone(config);
  for (const service of Object.values(out.services) as ServiceConfig[]) {
    for (const server of service.loadBalancer?.servers ?? []) {
      if (server.url === undefined && server.port !== undefined) {
        server.url = `${server.scheme ?? 'http'}://${host}:${server.port}`;
      }
      delete server.port;
      delete server.scheme;
    }
  }
  return out;
}
