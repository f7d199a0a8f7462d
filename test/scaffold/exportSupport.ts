/* eslint-disable @typescript-eslint/no-explicit-any -- generated objects are checked against schemas and by value */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import * as YAML from 'yaml';
import type { ExportInput } from '../../proxy-core/src/scaffold/export/types';
import { SHARED } from '../support/env';

/**
 * Checks for the export tests: the real schemas of every generated object (the Kubernetes,
 * Traefik CRD and cert-manager models from npm; Traefik's v3 JSON Schemas from the shared
 * fixtures), and an independent oracle of what each source route should become.
 */

// The model packages are ES modules only (their exports have no "require"); tsc compiles
// import() to require() for CommonJS, so the real import() is reached through Function.
const esmImport = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<any>;

const MODELS: Record<string, [string, string]> = {
  Namespace: ['kubernetes-models/v1/Namespace', 'Namespace'],
  Secret: ['kubernetes-models/v1/Secret', 'Secret'],
  Service: ['kubernetes-models/v1/Service', 'Service'],
  Deployment: ['kubernetes-models/apps/v1/Deployment', 'Deployment'],
  Ingress: ['kubernetes-models/networking.k8s.io/v1/Ingress', 'Ingress'],
  IngressRoute: ['@kubernetes-models/traefik/traefik.io/v1alpha1/IngressRoute', 'IngressRoute'],
  Middleware: ['@kubernetes-models/traefik/traefik.io/v1alpha1/Middleware', 'Middleware'],
  Certificate: ['@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate', 'Certificate'],
  ClusterIssuer: ['@kubernetes-models/cert-manager/cert-manager.io/v1/ClusterIssuer', 'ClusterIssuer'],
};

const loaded = new Map<string, any>();
async function model(kind: string): Promise<any> {
  const spec = MODELS[kind];
  assert.ok(spec, `no model for kind ${kind}`);
  if (!loaded.has(kind)) loaded.set(kind, (await esmImport(spec[0]))[spec[1]]);
  return loaded.get(kind);
}

const DNS_LABEL = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Validates one object with its model (throws with the model's message); returns its kind. */
export async function validateK8s(obj: any): Promise<string> {
  const Model = await model(obj.kind);
  const m = new Model(obj);
  assert.equal(m.apiVersion, obj.apiVersion, `${obj.kind} ${obj.metadata?.name}: apiVersion`);
  assert.equal(m.kind, obj.kind);
  try {
    m.validate();
  } catch (err) {
    throw new Error(
      `${obj.kind} ${obj.metadata?.name} does not validate: ${(err as Error).message}\n${YAML.stringify(obj)}`,
    );
  }
  assert.match(obj.metadata.name, DNS_LABEL, `${obj.kind} name ${obj.metadata.name} is a DNS label`);
  if (obj.metadata.namespace) assert.match(obj.metadata.namespace, DNS_LABEL);
  return obj.kind;
}

/** A YAML stream's objects, in order. */
export function yamlObjects(text: string): any[] {
  const docs = YAML.parseAllDocuments(text);
  for (const d of docs) assert.deepEqual(d.errors, [], 'the stream parses');
  return docs.map((d) => d.toJS()).filter((o) => o !== null);
}

// ---- Traefik's v3 schemas ---------------------------------------------------------------------

const SCHEMA_DIR = path.join(SHARED, 'fixtures', 'traefik-schema');
const staticSchema = JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, 'traefik-v3.json'), 'utf8'));
const dynamicSchema = JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, 'traefik-v3-file-provider.json'), 'utf8'));
const ajv = new Ajv({ strict: false, allErrors: true });
const validateStatic = ajv.compile(staticSchema);
const dynamicDefs = dynamicSchema.definitions ?? dynamicSchema.$defs;

/** Middleware options validated as Traefik's file provider would take them (unknown options refused). */
export function validateMiddlewareOptions(type: string, options: unknown): void {
  const def = dynamicDefs[`${type}Middleware`];
  assert.ok(def, `the file-provider schema knows middleware type ${type}`);
  const fn = ajv.compile({ ...def, definitions: dynamicDefs, $defs: dynamicDefs });
  assert.ok(fn(options), `${type} options: ${ajv.errorsText(fn.errors)}\n${JSON.stringify(options)}`);
}

function deref(root: any, s: any): any {
  while (s?.$ref)
    s = s.$ref
      .replace(/^#\//, '')
      .split('/')
      .reduce((o: any, p: string) => o[p], root);
  return s;
}

/**
 * Traefik's CLI flags (`--entrypoints.web.address=:80`, names case-insensitive) as the static
 * configuration object, with the schema's spelling and types; a flag the schema does not know
 * throws.
 */
export function flagsAsStatic(flags: string[]): Record<string, any> {
  const out: Record<string, any> = {};
  for (const flag of flags) {
    const m = /^--([^=]+)=(.*)$/.exec(flag);
    assert.ok(m, `flag ${flag}`);
    let schema = staticSchema;
    let node = out;
    const segs = m[1].split('.');
    segs.forEach((seg, i) => {
      const s = deref(staticSchema, schema);
      const named = Object.entries<any>(s.properties ?? {}).find(([k]) => k.toLowerCase() === seg.toLowerCase());
      const [name, sub] = named ?? (s.additionalProperties ? [seg, s.additionalProperties] : []);
      assert.ok(name, `flag ${flag}: "${seg}" is not a static option here`);
      schema = sub;
      if (i === segs.length - 1) {
        const t = deref(staticSchema, sub)?.type;
        node[name] = t === 'boolean' ? m[2] === 'true' : t === 'integer' || t === 'number' ? Number(m[2]) : m[2];
      } else node = node[name] ??= {};
    });
  }
  assert.ok(validateStatic(out), `static config from flags: ${ajv.errorsText(validateStatic.errors)}`);
  return out;
}

// ---- the oracle ---------------------------------------------------------------------------------

export interface ExpectedRouter {
  name: string;
  rule: string;
  priority?: number;
  middlewares: Array<{ name: string; type: string; options: Record<string, unknown> }>;
  port?: number;
}

/**
 * What each exportable source route must become, worked out from the route alone: the rule with
 * every `.from` suffix written `.to` (or the public alias), user routes' Host and path (the path and below it),
 * stripPrefix as the last middleware, names without their provider.
 */
export function expectedRouters(input: ExportInput, from: string, to: string): ExpectedRouter[] {
  const out: ExpectedRouter[] = [];
  for (const r of input.routes) {
    if (!r.target.startsWith('container:')) continue;
    const swap = (s: string) =>
      r.publicHost
        ? s.split('`' + r.host + '`').join('`' + r.publicHost + '`')
        : s.split(`.${from}\``).join(`.${to}\``);
    const host = swap('`' + r.host + '`').slice(1, -1);
    const rule = r.rule
      ? swap(r.rule)
      : `Host(\`${host}\`)${r.path ? ` && (Path(\`${r.path}\`) || PathPrefix(\`${r.path}/\`))` : ''}`;
    const name = r.router
      ? r.router.replace(/@.*/, '')
      : `${host.split('.')[0]}${r.path ? `-${r.path.replace(/^\//, '').replace(/\//g, '-')}` : ''}`;
    const middlewares = (r.middlewares ?? []).map((m) => ({
      name: m.name.replace(/@.*/, ''),
      type: m.type,
      options: m.options,
    }));
    if (r.stripPrefix && r.path)
      middlewares.push({ name: `${name}-stripprefix`, type: 'stripPrefix', options: { prefixes: [r.path] } });
    const port = r.target.split(':')[2];
    out.push({
      name,
      rule,
      ...(r.priority ? { priority: r.priority } : {}),
      middlewares,
      port: port ? Number(port) : undefined,
    });
  }
  return out;
}
