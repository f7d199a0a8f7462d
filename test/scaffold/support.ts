/* eslint-disable @typescript-eslint/no-explicit-any -- parsed Traefik and compose configs are checked against the schemas and by value, not by a TypeScript type */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { ValidateFunction } from 'ajv';
import * as TOML from 'smol-toml';
import { SHARED } from '../support/env';

/** Traefik's v3 JSON Schemas (SchemaStore snapshot), read from the shared fixtures at run time. */
const SCHEMA_DIR = path.join(SHARED, 'fixtures', 'traefik-schema');
const staticSchema = JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, 'traefik-v3.json'), 'utf8'));
const dynamicSchema = JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, 'traefik-v3-file-provider.json'), 'utf8'));
const ajv = new Ajv({ strict: false, allErrors: true });
const validateStaticFn = ajv.compile(staticSchema);
const validateDynamicFn = ajv.compile(dynamicSchema);

function check(fn: ValidateFunction, data: unknown, what: string): void {
  if (!fn(data))
    throw new Error(
      `${what} does not validate: ${ajv.errorsText(fn.errors, { separator: '\n  ' })}\n${JSON.stringify(data, null, 2)}`,
    );
}

/** Parses TOML and validates it against the v3 static schema; returns the object. */
/** smol-toml builds null-prototype objects; plain ones compare with deepEqual. */
function plain(toml: string): Record<string, any> {
  return JSON.parse(JSON.stringify(TOML.parse(toml)));
}

export function staticConfig(toml: string): Record<string, any> {
  const data = plain(toml);
  check(validateStaticFn, data, 'static config');
  return data as Record<string, any>;
}

export function dynamicConfig(toml: string): Record<string, any> {
  const data = plain(toml);
  check(validateDynamicFn, data, 'dynamic config');
  return data as Record<string, any>;
}

// ---- labels as dynamic configuration ---------------------------------------------------------

function resolve(schema: any): any {
  let s = schema;
  while (s?.$ref) {
    const parts = s.$ref.replace(/^#\//, '').split('/');
    s = parts.reduce((o: any, p: string) => o[p], dynamicSchema);
  }
  return s;
}

/** The property of `schema` named like `seg` (case-insensitively, as Traefik reads labels). */
function property(schema: any, seg: string): { name: string; schema: any } | undefined {
  const s = resolve(schema);
  const variants = [s, ...(s?.oneOf ?? []), ...(s?.anyOf ?? [])].map(resolve);
  for (const v of variants) {
    for (const [name, sub] of Object.entries<any>(v?.properties ?? {}))
      if (name.toLowerCase() === seg.toLowerCase()) return { name, schema: sub };
  }
  for (const v of variants)
    if (v?.additionalProperties && typeof v.additionalProperties === 'object')
      return { name: seg, schema: v.additionalProperties };
  return undefined;
}

/**
 * Turns `traefik.http...` labels into the dynamic configuration the Docker provider builds from
 * them, so they can be validated against the file-provider schema: key case follows the schema
 * (labels are case-insensitive), lists are comma-separated, and `loadbalancer.server.port`
 * becomes the `servers` entry the provider fills in from the container. A label key the schema
 * does not know throws, which is the point.
 */
export function labelsAsDynamic(labels: string[] | Array<[string, string]>): Record<string, any> {
  const pairs = labels.map((l) =>
    Array.isArray(l) ? l : ([l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string]),
  );
  const root: Record<string, any> = {};
  const servers = new Map<any, { port?: string; scheme?: string }>();
  for (const [key, value] of pairs) {
    if (!/^traefik\.(http|tcp|udp|tls)\./i.test(key)) continue;
    const segs = key.split('.').slice(1);
    const lbAt = segs.findIndex(
      (s, i) => s.toLowerCase() === 'server' && segs[i - 1]?.toLowerCase() === 'loadbalancer',
    );
    let schema: any = dynamicSchema;
    let node = root;
    const upTo = lbAt === -1 ? segs.length - 1 : lbAt;
    for (let i = 0; i < upTo; i++) {
      const p = property(schema, segs[i]);
      if (!p) throw new Error(`label ${key}: "${segs[i]}" is not a known key here`);
      schema = p.schema;
      node = node[p.name] ??= {};
    }
    if (lbAt !== -1) {
      const s = servers.get(node) ?? {};
      const what = segs[lbAt + 1]?.toLowerCase();
      if (what !== 'port' && what !== 'scheme')
        throw new Error(`label ${key}: loadbalancer.server.${segs[lbAt + 1]} is not a Docker provider option`);
      s[what] = value;
      servers.set(node, s);
      continue;
    }
    const p = property(schema, segs[segs.length - 1]);
    if (!p) throw new Error(`label ${key}: "${segs[segs.length - 1]}" is not a known key here`);
    const t = resolve(p.schema)?.type;
    // `key=true` on an option group turns it on with its defaults (Traefik's label parser does this).
    node[p.name] =
      t === 'object' && value === 'true'
        ? {}
        : t === 'array'
          ? value.split(',')
          : t === 'integer' || t === 'number'
            ? Number(value)
            : t === 'boolean'
              ? value === 'true'
              : value;
  }
  // Routers without a service get the container's only one, as the Docker provider links them
  // (it creates one named after the container when labels define none).
  // A router without a rule gets the provider's defaultRule for the container.
  for (const router of Object.values<any>(root.http?.routers ?? {})) router.rule ??= 'Host(`container.example.com`)';
  for (const router of Object.values<any>(root.http?.routers ?? {})) {
    if (router.service) continue;
    root.http.services ??= {};
    const names = Object.keys(root.http.services);
    if (names.length === 0) root.http.services.container = { loadBalancer: {} };
    if (names.length <= 1) router.service = names[0] ?? 'container';
  }
  // Every label-defined load balancer gets the server the Docker provider derives from the container.
  for (const svc of Object.values<any>(root.http?.services ?? {})) {
    if (!svc.loadBalancer) continue;
    const s = servers.get(svc.loadBalancer) ?? {};
    svc.loadBalancer.servers = [{ url: `${s.scheme ?? 'http'}://container:${s.port ?? 80}` }];
  }
  return root;
}

export function validateLabels(labels: string[] | Array<[string, string]>): Record<string, any> {
  const data = labelsAsDynamic(labels);
  check(validateDynamicFn, data, 'labels as dynamic config');
  return data;
}

// ---- the blog post this product grew from ------------------------------------------------------

const BLOG = fs.readFileSync(path.join(SHARED, 'fixtures', 'seed', 'blog-traefik-https.rst'), 'utf8');

/** The literal block (reST `::`) that follows `marker`, de-indented. */
function literalBlockAfter(marker: string): string {
  const at = BLOG.indexOf(marker);
  if (at === -1) throw new Error(`blog fixture: "${marker}" not found`);
  const lines = BLOG.slice(at).split('\n').slice(1);
  const out: string[] = [];
  let started = false;
  for (const line of lines) {
    if (line.trim() === '') {
      if (started) out.push('');
      continue;
    }
    if (!/^\s/.test(line)) break;
    started = true;
    out.push(line.replace(/^ {4}/, ''));
  }
  return out.join('\n').trimEnd() + '\n';
}

export const blog = {
  v1Toml: literalBlockAfter('Here is a `traefik.toml` configuration example::'),
  compose: literalBlockAfter('But to make it easier, I put both in the same file::'),
  /** The ansible role's labels (map form): the realistic deployment's v1 labels. */
  ansibleLabels: (() => {
    const block = literalBlockAfter('deploy a flask application on the same server using another ansible role::');
    const labels = block.slice(block.indexOf('labels:'));
    return [...labels.matchAll(/^\s+(traefik\.[\w.]+): "([^"]*)"/gm)].map((m) => [m[1], m[2]] as [string, string]);
  })(),
};
