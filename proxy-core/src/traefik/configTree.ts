import { emptyConfig, HttpConfig } from './dynamic';
import {
  canonicalName,
  durationMs,
  HTTP_SPEC,
  ListSpec,
  MapSpec,
  OneOfSpec,
  parseBool,
  parseInteger,
  Source,
  Spec,
  StructSpec,
} from './optionNames';

/**
 * The common form of what labels and files say, before it is typed: nested maps with keys as
 * written, lists, and scalars. traefik/labelConfig.ts builds it from dotted label keys,
 * traefik/fileConfig.ts from YAML or TOML; decodeHttp types it with the table in
 * traefik/optionNames.ts, so both sources are canonicalised and checked by the same code.
 */
export interface TreeNode {
  /** Where it is written, at the start of every problem about it: a label key, or `file:line: path`. */
  where: string;
  /** Map entries, keys as written (a label node can have entries and a value: `tls=true`, `tls.certresolver=le`). */
  entries?: Array<[key: string, node: TreeNode]>;
  /** List items (files only). */
  items?: TreeNode[];
  /** Set when a value is written: always a string from labels; string, number, boolean or null from files. */
  hasValue?: boolean;
  value?: unknown;
}

export interface DecodeContext {
  source: Source;
  problems: string[];
}

const problem = (ctx: DecodeContext, node: TreeNode, message: string) => ctx.problems.push(`${node.where}: ${message}`);

/** Sets a key as written as an own property: a router may be called `__proto__` or `constructor`. */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A reserved character: Traefik qualifies names with their provider, `auth@file`. */
const NAME_PROBLEM = /@/;

/**
 * The `http` section (or the labels below `traefik.http.`) as an HttpConfig: every option it
 * could type, and one problem for each one it could not.
 */
export function decodeHttp(root: TreeNode, ctx: DecodeContext): HttpConfig {
  const config = emptyConfig();
  if (!root.entries) {
    if (root.hasValue && root.value !== null) problem(ctx, root, 'takes routers, services and middlewares below it');
    return config;
  }
  for (const [key, node] of root.entries) {
    const kind = canonicalName(Object.keys(HTTP_SPEC.fields), key) as keyof HttpConfig | undefined;
    if (!kind) {
      const notRead = canonicalName(['serversTransports', 'models'], key);
      problem(
        ctx,
        node,
        notRead
          ? `${notRead} are not read by the local proxy; it connects to services itself (ignored)`
          : `unknown section "${key}"; the http section holds routers, services and middlewares`,
      );
      continue;
    }
    const spec = (HTTP_SPEC.fields[kind] as MapSpec).of;
    const what = kind.slice(0, -1);
    if (!node.entries) {
      if (node.hasValue && node.value !== null) problem(ctx, node, `takes ${kind} by name below it`);
      continue;
    }
    const out = config[kind] as Record<string, unknown>;
    for (const [name, item] of node.entries) {
      if (NAME_PROBLEM.test(name)) {
        problem(
          ctx,
          item,
          `"@" cannot be used in a ${what} name (it separates the provider, as in auth@file); rename "${name}"`,
        );
        continue;
      }
      if (Object.hasOwn(out, name)) {
        problem(ctx, item, `${what} "${name}" is declared twice; the first one is used`);
        continue;
      }
      const value = decodeValue(spec, item, ctx);
      if (value !== undefined) define(out, name, value);
    }
  }
  return config;
}

/** One node against its spec: the typed value, or undefined (with a problem, or when switched off). */
export function decodeValue(spec: Spec, node: TreeNode, ctx: DecodeContext): unknown {
  if (typeof spec === 'string') {
    if (spec === 'raw') return raw(node, ctx);
    if (spec === 'strings') return strings(node, ctx);
    return scalar(spec, node, ctx);
  }
  switch (spec.kind) {
    case 'struct':
      return struct(spec, node, ctx);
    case 'list':
      return list(spec, node, ctx);
    case 'map':
      return map(spec.of, node, ctx);
    case 'oneOf':
      return oneOf(spec, node, ctx);
    case 'only':
      return decodeValue(spec.spec, node, ctx);
  }
}

/** The value of a node written as a single value; undefined (with a problem) when it is a list or map. */
function single(node: TreeNode, ctx: DecodeContext, what: string): unknown {
  if (node.items) {
    problem(ctx, node, `takes ${what}, not a list`);
    return undefined;
  }
  if (node.entries?.length) {
    problem(
      ctx,
      node,
      ctx.source === 'label'
        ? `takes ${what}; remove the labels below it (${node.entries.map(([k]) => k).join(', ')})`
        : `takes ${what}, not a map`,
    );
    if (!node.hasValue) return undefined;
  }
  return node.hasValue && node.value !== null ? node.value : undefined;
}

const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : String(v));

function scalar(spec: 'string' | 'int' | 'bool' | 'duration' | 'port', node: TreeNode, ctx: DecodeContext): unknown {
  const what = {
    string: 'one value',
    int: 'a whole number',
    bool: 'true or false',
    duration: 'a duration',
    port: 'a port number',
  }[spec];
  const v = single(node, ctx, what);
  if (v === undefined) return undefined;
  switch (spec) {
    case 'string':
      // Traefik's file decoder reads every scalar as text: `port: 443` is the string "443".
      return v instanceof Date ? v.toISOString() : String(v);
    case 'bool': {
      const b = typeof v === 'boolean' ? v : typeof v === 'string' ? parseBool(v.trim()) : undefined;
      if (b === undefined) problem(ctx, node, `${show(v)} is not true or false; write true or false`);
      return b;
    }
    case 'int':
    case 'port': {
      const n = typeof v === 'number' && Number.isInteger(v) ? v : typeof v === 'string' ? parseInteger(v) : undefined;
      if (spec === 'int') {
        if (n === undefined) problem(ctx, node, `${show(v)} is not a number; write a whole number, e.g. 10`);
        return n;
      }
      if (n === undefined || n < 1 || n > 65535) {
        problem(ctx, node, `${show(v)} is not a port; write a number from 1 to 65535, e.g. 8080`);
        return undefined;
      }
      return n;
    }
    case 'duration': {
      const ok = (typeof v === 'number' || typeof v === 'string') && durationMs(v) !== undefined;
      if (!ok) {
        problem(ctx, node, `${show(v)} is not a duration; write e.g. 10s, 250ms or 1m30s (a bare number is seconds)`);
        return undefined;
      }
      // Kept as written, as the schema and Traefik's own JSON do; durationMs reads it.
      return v;
    }
  }
}

/** A list of text values: comma-separated in labels (Traefik splits slices on commas), a list or a comma-separated string in files. */
function strings(node: TreeNode, ctx: DecodeContext): string[] | undefined {
  if (node.items) {
    const out: string[] = [];
    for (const item of node.items) {
      const v = single(item, ctx, 'one value per list item');
      if (v !== undefined) out.push(String(v));
    }
    return out;
  }
  const v = single(node, ctx, 'a list of values');
  if (v === undefined) return undefined;
  const text = String(v);
  // As Traefik: an empty value sets nothing.
  if (text === '') return undefined;
  return text.split(',').map((s) => s.trim());
}

/** Whatever is written, unchecked: label values stay strings, file values keep their types. */
function raw(node: TreeNode, ctx: DecodeContext): unknown {
  if (node.items) return node.items.map((i) => raw(i, ctx));
  if (node.entries) {
    const out: Record<string, unknown> = {};
    for (const [k, child] of node.entries) define(out, k, raw(child, ctx));
    return out;
  }
  return node.value instanceof Date ? node.value.toISOString() : node.value;
}

function map(of: Spec, node: TreeNode, ctx: DecodeContext): Record<string, unknown> | undefined {
  if (!node.entries) {
    if (node.items || (node.hasValue && node.value !== null)) problem(ctx, node, 'takes names and values below it');
    return node.items ? undefined : {};
  }
  const out: Record<string, unknown> = {};
  for (const [key, child] of node.entries) {
    const v = decodeValue(of, child, ctx);
    if (v !== undefined) define(out, key, v);
  }
  return out;
}

/** Option names as each source writes them: labels say `server` where files say `servers`. */
function writtenNames(spec: StructSpec, source: Source): Map<string, string> {
  const names = new Map<string, string>();
  for (const [name, field] of Object.entries(spec.fields)) {
    const written = source === 'label' && typeof field === 'object' && field.kind === 'list' && field.labelName;
    names.set((written || name).toLowerCase(), name);
  }
  return names;
}

function struct(spec: StructSpec, node: TreeNode, ctx: DecodeContext): Record<string, unknown> | undefined {
  const names = writtenNames(spec, ctx.source);
  const optionList = () =>
    [...names.keys()].map((lower) => {
      const name = names.get(lower)!;
      return name.toLowerCase() === lower ? name : lower;
    });
  if (node.items) {
    problem(ctx, node, `${spec.name} takes options (${optionList().join(', ')}), not a list`);
    return undefined;
  }
  if (node.hasValue) {
    const v = node.value;
    if (v === null) {
      if (!node.entries) return spec.allowEmpty ? {} : undefined;
    } else if (spec.allowEmpty) {
      // Traefik: any word but "true" switches the option off, sub-options and all.
      const on = v === true || (typeof v === 'string' && (v === '' || v.toLowerCase() === 'true'));
      if (!on) return undefined;
    } else if (!node.entries) {
      const example = ctx.source === 'label' ? `${node.where}.${optionList()[0]}=…` : `${optionList()[0]}: …`;
      problem(ctx, node, `${spec.name} takes options (${optionList().join(', ')}), not a value; write e.g. ${example}`);
      return undefined;
    }
  }
  const out: Record<string, unknown> = {};
  const writtenAs = new Map<string, string>();
  for (const [key, child] of node.entries ?? []) {
    const name = names.get(key.toLowerCase());
    if (!name) {
      problem(ctx, child, `${spec.name} has no option "${key}"; it takes ${optionList().join(', ')}`);
      continue;
    }
    const field = spec.fields[name];
    if (typeof field === 'object' && field.kind === 'only' && field.source !== ctx.source) {
      problem(
        ctx,
        child,
        field.source === 'file'
          ? `${name} can only be declared in a file provider file, not in labels (ignored)`
          : `${name} is a Docker label option; in a file write the server's url, e.g. url: http://10.0.0.5:8080`,
      );
      continue;
    }
    if (writtenAs.has(name)) {
      problem(ctx, child, `repeats ${writtenAs.get(name)} (option names ignore case); the later one is used`);
    }
    writtenAs.set(name, key);
    const v = decodeValue(field, child, ctx);
    if (v !== undefined) out[name] = v;
  }
  return out;
}

function list(spec: ListSpec, node: TreeNode, ctx: DecodeContext): unknown[] | undefined {
  if (ctx.source === 'label') {
    // `loadbalancer.server.port`: the one element, written without an index.
    if (spec.labelName) {
      const v = struct(spec.of, node, ctx);
      return v === undefined ? undefined : [v];
    }
    const indexed: Array<[number, TreeNode]> = [];
    for (const [key, child] of node.entries ?? []) {
      const m = /^\[(\d+)\]$/.exec(key);
      if (m) indexed.push([Number(m[1]), child]);
      else problem(ctx, child, `is a list: write an index, e.g. ${node.where}[0].${key}`);
    }
    if (!node.entries) problem(ctx, node, `is a list: write an index, e.g. ${node.where}[0].…`);
    // Traefik keeps the elements in order and drops gaps: [0] and [2] make a list of two.
    return indexed
      .sort((a, b) => a[0] - b[0])
      .map(([, child]) => struct(spec.of, child, ctx))
      .filter((v) => v !== undefined);
  }
  if (!node.items) {
    if (node.hasValue && node.value === null) return undefined;
    problem(ctx, node, `is a list of ${spec.of.name}s; write one "- …" item per ${spec.of.name}`);
    return undefined;
  }
  return node.items.map((item) => struct(spec.of, item, ctx)).filter((v) => v !== undefined);
}

/** A middleware: exactly one type. Unknown types are kept as written, for the route model to name. */
function oneOf(spec: OneOfSpec, node: TreeNode, ctx: DecodeContext): Record<string, unknown> | undefined {
  const entries = node.entries ?? [];
  if (entries.length === 0) {
    problem(ctx, node, `a ${spec.what} needs a type, e.g. stripPrefix or headers`);
    return undefined;
  }
  const [[key, child], ...rest] = entries;
  const typeName = (written: string) => canonicalName(Object.keys(spec.variants), written);
  for (const [other, otherNode] of rest) {
    problem(
      ctx,
      otherNode,
      `a ${spec.what} has one type and this one is already ${typeName(key) ?? key}; declare ${typeName(other) ?? other} as a ${spec.what} of its own (ignored)`,
    );
  }
  const name = typeName(key);
  if (!name) return { [key]: raw(child, ctx) };
  const v = decodeValue(spec.variants[name], child, ctx);
  return v === undefined ? undefined : { [name]: v };
}
