import * as path from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { isAlias, isMap, isScalar, isSeq, LineCounter, Node as YamlNode, parseDocument, Document } from 'yaml';
import { decodeHttp, TreeNode } from './configTree';
import { Decoded, emptyConfig } from './dynamic';
import { canonicalName } from './optionNames';

/** A file's answer; `unreadable` when nothing of it could be read (syntax error, template). */
export interface FileDecoded extends Decoded {
  unreadable?: boolean;
}

/** The extensions Traefik's file provider reads (any case). */
export const FILE_EXTENSIONS = ['.yml', '.yaml', '.toml'];

export function isConfigFileName(fileName: string): boolean {
  return FILE_EXTENSIONS.includes(path.extname(fileName).toLowerCase());
}

/**
 * The `http` section of a Traefik file provider file (dynamic configuration, YAML or TOML by
 * its extension), typed as HttpConfig with Traefik's option names. Problems start with
 * `file:line:` where the line is known (always for YAML; for TOML only syntax errors) and the
 * key path as written. The tcp, udp and tls sections are Traefik's own business here.
 */
export function decodeFile(text: string, fileName: string): FileDecoded {
  const ext = path.extname(fileName).toLowerCase();
  if (!FILE_EXTENSIONS.includes(ext)) {
    return unreadable(`${fileName}: not a .yml, .yaml or .toml file; Traefik's file provider reads only those`);
  }
  const template = /\{\{/.exec(text);
  if (template) {
    const line = text.slice(0, template.index).split('\n').length;
    return unreadable(
      `${fileName}:${line}: Go templates ({{ … }}) are not supported by the local proxy; give it the rendered file`,
    );
  }
  const tree = ext === '.toml' ? tomlTree(text, fileName) : yamlTree(text, fileName);
  if (typeof tree === 'string') return unreadable(tree);
  return decodeTop(tree, fileName);
}

function unreadable(problem: string): FileDecoded {
  return { config: emptyConfig(), problems: [problem], unreadable: true };
}

// The local proxy makes its own certificates, so these parts of `tls` are left to Traefik quietly.
const TLS_IGNORED = ['certificates', 'options'];

function decodeTop(root: TreeNode | undefined, fileName: string): FileDecoded {
  const problems: string[] = [];
  let config = emptyConfig();
  if (!root || (root.hasValue && root.value === null)) return { config, problems };
  if (!root.entries) {
    return unreadable(`${fileName}: is not a mapping; a dynamic configuration file starts with http:`);
  }
  for (const [key, node] of root.entries) {
    const section = canonicalName(['http', 'tcp', 'udp', 'tls'], key);
    if (section === 'http') {
      config = decodeHttp(node, { source: 'file', problems });
    } else if (section === 'tcp' || section === 'udp') {
      problems.push(
        `${node.where}: the local proxy does not read ${section.toUpperCase()} routers and services; Traefik serves them (ignored)`,
      );
    } else if (section === 'tls') {
      const others = (node.entries ?? []).filter(([k]) => !canonicalName(TLS_IGNORED, k)).map(([k]) => k);
      if (others.length) {
        problems.push(`${node.where}: the local proxy does not read tls ${others.join(', ')}; Traefik does (ignored)`);
      }
    } else {
      problems.push(
        `${node.where}: unknown section "${key}"; a dynamic configuration has http, tcp, udp and tls (routers go below http:)`,
      );
    }
  }
  return { config, problems };
}

// ---- YAML ---------------------------------------------------------------------------------

function yamlTree(text: string, fileName: string): TreeNode | undefined | string {
  const lines = new LineCounter();
  // merge: Traefik's YAML reader takes `<<: *anchor` merge keys, common in shared files.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, merge: true, uniqueKeys: true });
  if (doc.errors.length) {
    const err = doc.errors[0];
    const line = lines.linePos(err.pos[0]).line;
    return `${fileName}:${line}: ${err.message.split('\n')[0]}`;
  }
  if (doc.contents === null) return undefined;
  const lineOf = (node: YamlNode | null | undefined) =>
    node?.range ? `${fileName}:${lines.linePos(node.range[0]).line}` : fileName;
  return yamlNode(doc, doc.contents as YamlNode, '', lineOf(doc.contents as YamlNode), lineOf, 0);
}

function yamlNode(
  doc: Document,
  node: YamlNode | null,
  keyPath: string,
  at: string,
  lineOf: (n: YamlNode | null | undefined) => string,
  depth: number,
): TreeNode {
  const where = keyPath ? `${at}: ${keyPath}` : at;
  // Aliases may point at their own ancestors; real configurations are never this deep.
  if (depth > 64) return { where, hasValue: true, value: null };
  if (isAlias(node)) return yamlNode(doc, node.resolve(doc) ?? null, keyPath, at, lineOf, depth + 1);
  if (isMap(node)) {
    const entries: Array<[string, TreeNode]> = [];
    const merged: Array<[string, TreeNode]> = [];
    for (const pair of node.items) {
      const key = pair.key as YamlNode | null;
      const pairAt = lineOf(key);
      if (isScalar(key) && key.source === '<<') {
        // Merge keys: the map's own keys win, then earlier merged maps over later ones.
        const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
        for (const source of sources) {
          const from = yamlNode(doc, source as YamlNode, keyPath, pairAt, lineOf, depth + 1);
          for (const entry of from.entries ?? []) merged.push(entry);
        }
        continue;
      }
      const name = isScalar(key) ? String(key.value) : String(key);
      const childPath = keyPath ? `${keyPath}.${name}` : name;
      entries.push([name, yamlNode(doc, pair.value as YamlNode | null, childPath, pairAt, lineOf, depth + 1)]);
    }
    for (const [k, v] of merged) if (!entries.some(([own]) => own === k)) entries.push([k, v]);
    return { where, entries };
  }
  if (isSeq(node)) {
    return {
      where,
      items: node.items.map((item, i) =>
        yamlNode(doc, item as YamlNode, `${keyPath}[${i}]`, lineOf(item as YamlNode), lineOf, depth + 1),
      ),
    };
  }
  return { where, hasValue: true, value: isScalar(node) ? node.value : null };
}

// ---- TOML ---------------------------------------------------------------------------------

function tomlTree(text: string, fileName: string): TreeNode | string {
  let data: unknown;
  try {
    data = parseToml(text);
  } catch (err) {
    if (err instanceof TomlError) {
      const message = err.message.split('\n')[0].replace(/^Invalid TOML document: /, '');
      return `${fileName}:${err.line}: ${message}`;
    }
    throw err;
  }
  return tomlNode(data, '', fileName);
}

function tomlNode(value: unknown, keyPath: string, fileName: string): TreeNode {
  // smol-toml gives no positions past a syntax error: the key path locates the value.
  const where = keyPath ? `${fileName}: ${keyPath}` : fileName;
  if (Array.isArray(value)) {
    return { where, items: value.map((v, i) => tomlNode(v, `${keyPath}[${i}]`, fileName)) };
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return {
      where,
      entries: Object.entries(value).map(([k, v]) => [k, tomlNode(v, keyPath ? `${keyPath}.${k}` : k, fileName)]),
    };
  }
  return { where, hasValue: true, value };
}
