import * as YAML from 'yaml';
import { UserError } from '../errors';
import type { LabelPair } from '../traefik/labelKeys';

/**
 * Edits a compose service's labels while keeping the rest of the file as it was. The yaml
 * Document API finds the nodes and their source ranges; the change is spliced into the text so
 * comments, quoting, anchors and indentation elsewhere stay byte for byte. Shapes a splice
 * cannot handle cleanly (flow collections, labels reached through an alias or a merge key) are
 * edited on the Document and re-serialised instead. Either way the result is parsed again and
 * checked: the service's labels must be exactly the intended ones and nothing else may change.
 */

export interface LabelEdit {
  /** Set these labels: existing keys (compared case-insensitively, as Traefik does) are updated in place. */
  upsert: LabelPair[];
  /** Labels to drop; the new ones then go where the first dropped one was. */
  remove?: (key: string) => boolean;
}

type Doc = YAML.Document.Parsed;

export function parseCompose(text: string, what = 'The compose file'): Doc {
  const doc = YAML.parseDocument(text, { merge: true, prettyErrors: true, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const pos = err.linePos?.[0];
    const first = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    throw new UserError(
      `${what} is not valid YAML${pos ? ` (line ${pos.line}, column ${pos.col})` : ''}: ${first}. Nothing was changed; fix the file and run again.`,
      'EYAML',
    );
  }
  if (!YAML.isMap(doc.contents))
    throw new UserError(`${what} is not a compose file: its top level is not a mapping. Nothing was changed.`, 'EYAML');
  const services = doc.get('services');
  if (!YAML.isMap(services)) throw new UserError(`${what} has no "services:" section. Nothing was changed.`, 'EYAML');
  return doc;
}

export function serviceNames(doc: Doc): string[] {
  const services = doc.get('services') as YAML.YAMLMap;
  return services.items.map((p) => String(YAML.isScalar(p.key) ? p.key.value : p.key));
}

function serviceMap(doc: Doc, service: string, what: string): YAML.YAMLMap {
  const node = (doc.get('services') as YAML.YAMLMap).get(service, true);
  const resolved = YAML.isAlias(node) ? node.resolve(doc) : node;
  if (YAML.isMap(resolved)) return resolved as YAML.YAMLMap;
  const names = serviceNames(doc);
  if (node === undefined)
    throw new UserError(`${what} has no service "${service}"; it has: ${names.join(', ') || 'none'}.`, 'ENOSERVICE');
  throw new UserError(`Service "${service}" in ${what} is not a mapping; cannot add labels to it.`, 'ENOSERVICE');
}

/** The labels a service ends up with, as compose reads them (merge keys and aliases resolved). */
export function effectiveLabels(doc: Doc, service: string, what = 'The compose file'): LabelPair[] {
  const map = serviceMap(doc, service, what);
  let js: unknown;
  try {
    js = (map.toJS(doc, { maxAliasCount: -1 }) as Record<string, unknown>).labels;
  } catch (err) {
    throw new UserError(`${what}: cannot read the labels of service "${service}": ${(err as Error).message}.`, 'EYAML');
  }
  return labelsFromJs(js, service, what);
}

function labelsFromJs(js: unknown, service: string, what: string): LabelPair[] {
  if (js === undefined || js === null) return [];
  if (Array.isArray(js)) return js.map((item) => splitLabel(String(item)));
  if (typeof js === 'object')
    return Object.entries(js as Record<string, unknown>).map(([k, v]) => [k, v === null ? '' : String(v)]);
  throw new UserError(`The labels of service "${service}" in ${what} are neither a list nor a mapping.`, 'EYAML');
}

function planLabels(existing: LabelPair[], edit: LabelEdit): LabelPair[] {
  const upsert = new Map(edit.upsert.map(([k, v]) => [k.toLowerCase(), [k, v] as LabelPair]));
  const out: LabelPair[] = [];
  const done = new Set<string>();
  let insertAt: number | undefined;
  for (const [k, v] of existing) {
    const lk = k.toLowerCase();
    if (edit.remove?.(k) && !upsert.has(lk)) {
      insertAt ??= out.length;
      continue;
    }
    const u = upsert.get(lk);
    if (u) {
      if (!done.has(lk)) out.push([k, u[1]]);
      done.add(lk);
    } else out.push([k, v]);
  }
  const fresh = edit.upsert.filter(([k]) => !done.has(k.toLowerCase()));
  out.splice(insertAt ?? out.length, 0, ...fresh);
  return out;
}

function samePairs(a: LabelPair[], b: LabelPair[]): boolean {
  return a.length === b.length && a.every(([k, v], i) => k === b[i][0] && v === b[i][1]);
}

/** Applies `edit` to one service's labels. Returns the new text; `changed` is false when nothing differs. */
export function editServiceLabels(
  text: string,
  service: string,
  edit: LabelEdit,
  what = 'The compose file',
): { text: string; changed: boolean } {
  const doc = parseCompose(text, what);
  const before = effectiveLabels(doc, service, what);
  const wanted = planLabels(before, edit);
  if (samePairs(before, wanted)) return { text, changed: false };
  const check = (candidate: string | undefined) =>
    candidate !== undefined && sameExceptLabels(doc, candidate, service, wanted);
  const spliced = trySplice(text, doc, service, wanted, what);
  if (check(spliced)) return { text: spliced!, changed: true };
  const rebuilt = rebuild(text, parseCompose(text, what), service, wanted, what);
  if (check(rebuilt)) return { text: rebuilt, changed: true };
  throw new UserError(
    `Could not edit the labels of service "${service}" in ${what} without changing other parts of it; add them by hand.`,
    'EYAML',
  );
}

function sameExceptLabels(original: Doc, text: string, service: string, wanted: LabelPair[]): boolean {
  let doc: Doc;
  try {
    doc = parseCompose(text);
    if (!samePairs(effectiveLabels(doc, service), wanted)) return false;
    const strip = (d: Doc) => {
      const js = d.toJS({ maxAliasCount: -1 }) as { services: Record<string, Record<string, unknown>> };
      delete js.services[service].labels;
      return JSON.stringify(js);
    };
    return strip(doc) === strip(original);
  } catch {
    return false;
  }
}

// ---- splicing ----------------------------------------------------------------------------

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** Where the line holding `offset` ends, before its "\r\n" or "\n". */
function lineEnd(text: string, offset: number): number {
  const i = text.indexOf('\n', offset);
  if (i === -1) return text.length;
  return text[i - 1] === '\r' ? i - 1 : i;
}

/** Files written on Windows keep their CRLF line ends in the lines we add. */
function eolOf(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

/** A scalar written like its neighbours: same quoting where it still reads back the same. */
function renderScalar(value: string, type?: YAML.Scalar['type']): string {
  const s = new YAML.Scalar(value);
  if (type && type !== 'BLOCK_FOLDED' && type !== 'BLOCK_LITERAL') s.type = type;
  return YAML.stringify(s, { lineWidth: 0 }).replace(/\n$/, '');
}

interface Insert {
  at: number;
  remove: number;
  text: string;
}

function applyInserts(text: string, edits: Insert[]): string {
  let out = text;
  // Back to front; at one offset a removal goes before an insertion so it cannot eat it.
  for (const e of [...edits].sort((a, b) => b.at - a.at || b.remove - a.remove))
    out = out.slice(0, e.at) + e.text + out.slice(e.at + e.remove);
  return out;
}

/** Line prefixes like `      - ` (list) or `      ` (map), checked to hold only indentation. */
function itemPrefix(text: string, start: number, kind: 'list' | 'map'): string | undefined {
  const prefix = text.slice(lineStart(text, start), start);
  return (kind === 'list' ? /^ *- +$/ : /^ *$/).test(prefix) ? prefix : undefined;
}

function trySplice(text: string, doc: Doc, service: string, wanted: LabelPair[], what: string): string | undefined {
  const map = serviceMap(doc, service, what);
  const labelsPair = map.items.find((p) => YAML.isScalar(p.key) && p.key.value === 'labels');
  if (!labelsPair) return insertLabelsBlock(text, doc, map, wanted);
  const node = labelsPair.value;
  if (YAML.isSeq(node) && !node.flow) return spliceList(text, node, wanted);
  if (YAML.isMap(node) && !node.flow) return spliceMap(text, node, wanted);
  return undefined; // alias, flow collection or empty value: rebuild instead
}

interface Item {
  key: string;
  start: number; // where the item's line begins
  end: number; // end of its last line (the newline excluded)
  prefix: string;
  valueRange?: [number, number];
  type?: YAML.Scalar['type'];
}

function spliceList(text: string, seq: YAML.YAMLSeq, wanted: LabelPair[]): string | undefined {
  const items: Item[] = [];
  for (const n of seq.items) {
    if (!YAML.isScalar(n) || !n.range) return undefined;
    const prefix = itemPrefix(text, n.range[0], 'list');
    if (prefix === undefined) return undefined;
    items.push({
      key: splitLabel(String(n.value))[0],
      start: lineStart(text, n.range[0]),
      end: lineEnd(text, n.range[1]),
      prefix,
      valueRange: [n.range[0], n.range[1]],
      type: n.type,
    });
  }
  return spliceItems(
    text,
    items,
    wanted,
    (prefix, [k, v], type) => prefix + renderScalar(`${k}=${v}`, type),
    (item, [k, v]) => renderScalar(`${k}=${v}`, item.type),
  );
}

function spliceMap(text: string, map: YAML.YAMLMap, wanted: LabelPair[]): string | undefined {
  const items: Item[] = [];
  for (const p of map.items) {
    if (!YAML.isScalar(p.key) || !p.key.range || !YAML.isScalar(p.value) || !p.value.range) return undefined;
    const prefix = itemPrefix(text, p.key.range[0], 'map');
    if (prefix === undefined) return undefined;
    items.push({
      key: String(p.key.value),
      start: lineStart(text, p.key.range[0]),
      end: lineEnd(text, p.value.range[1]),
      prefix,
      valueRange: [p.value.range[0], p.value.range[1]],
      type: p.value.type,
    });
  }
  return spliceItems(
    text,
    items,
    wanted,
    (prefix, [k, v], type) => `${prefix}${renderScalar(k)}: ${renderScalar(v, type)}`,
    (item, [, v]) => renderScalar(v, item.type),
  );
}

/**
 * `wanted` keeps the surviving items in their order, with new ones at one position. Survivors
 * get their value replaced in place; dropped items lose their lines; new items are written as
 * lines after the item before them, in that item's style.
 */
function spliceItems(
  text: string,
  items: Item[],
  wanted: LabelPair[],
  newLine: (prefix: string, pair: LabelPair, type?: YAML.Scalar['type']) => string,
  newValue: (item: Item, pair: LabelPair) => string,
): string | undefined {
  if (!items.length) return undefined;
  const eol = eolOf(text);
  const edits: Insert[] = [];
  const wantedKeys = new Set(wanted.map(([k]) => k.toLowerCase()));
  const kept = new Set<Item>();
  const byKey = new Map<string, Item>();
  for (const it of items) {
    const lk = it.key.toLowerCase();
    if (wantedKeys.has(lk) && !byKey.has(lk)) {
      byKey.set(lk, it);
      kept.add(it);
    }
  }
  let anchor: Item | undefined; // the kept item new lines follow
  let pending: LabelPair[] = [];
  const flush = (next: Item | undefined) => {
    if (!pending.length) return;
    const style = anchor ?? items[0];
    const prefix = style.prefix.replace(/^( *)- +$/, (_m, ind: string) => `${ind}- `);
    const lines = pending.map((p) => newLine(prefix, p, style.type));
    // New labels take the place of the first dropped one between their neighbours (so comments
    // above it stay with them), else follow the item before them.
    const from = anchor ? items.indexOf(anchor) + 1 : 0;
    const to = next ? items.indexOf(next) : items.length;
    const dropped = items.slice(from, to).find((it) => !kept.has(it));
    if (dropped) edits.push({ at: dropped.start, remove: 0, text: lines.map((l) => l + eol).join('') });
    else if (anchor) edits.push({ at: anchor.end, remove: 0, text: lines.map((l) => eol + l).join('') });
    else edits.push({ at: items[0].start, remove: 0, text: lines.map((l) => l + eol).join('') });
    pending = [];
  };
  for (const pair of wanted) {
    const item = byKey.get(pair[0].toLowerCase());
    if (item) {
      flush(item);
      const rendered = newValue(item, pair);
      if (text.slice(item.valueRange![0], item.valueRange![1]) !== rendered && splitOrValue(item, text) !== pair[1]) {
        edits.push({ at: item.valueRange![0], remove: item.valueRange![1] - item.valueRange![0], text: rendered });
      }
      anchor = item;
    } else pending.push(pair);
  }
  flush(undefined);
  // Dropped items lose their whole lines.
  for (const it of items) {
    if (!kept.has(it))
      edits.push({ at: it.start, remove: Math.min(it.end + eol.length, text.length) - it.start, text: '' });
  }
  return applyInserts(text, edits);
}

function splitOrValue(item: Item, text: string): string | undefined {
  try {
    const v = YAML.parse(text.slice(item.valueRange![0], item.valueRange![1]));
    return item.prefix.includes('-') ? splitLabel(String(v))[1] : String(v);
  } catch {
    return undefined;
  }
}

/** A service without labels gets a `labels:` block after its last key, in the file's style. */
function insertLabelsBlock(text: string, doc: Doc, map: YAML.YAMLMap, wanted: LabelPair[]): string | undefined {
  if (map.flow || !map.items.length) return undefined;
  const first = map.items[0].key;
  const last = map.items[map.items.length - 1];
  if (!YAML.isNode(first) || !first.range) return undefined;
  const indent = text.slice(lineStart(text, first.range[0]), first.range[0]);
  if (!/^ *$/.test(indent)) return undefined;
  const lastNode = (YAML.isNode(last.value) ? last.value : last.key) as YAML.Node;
  if (!lastNode?.range) return undefined;
  let end = lastNode.range[1];
  while (end > 0 && /[\s]/.test(text[end - 1])) end--;
  const at = lineEnd(text, end);
  const useMap = prefersMapLabels(doc);
  const seqIndent = sequenceIndent(text);
  const lines = useMap
    ? wanted.map(([k, v]) => `${indent}  ${renderScalar(k)}: ${renderScalar(v)}`)
    : wanted.map(([k, v]) => `${indent}${seqIndent}- ${renderScalar(`${k}=${v}`, listQuoteStyle(doc))}`);
  const eol = eolOf(text);
  return text.slice(0, at) + `${eol}${indent}labels:${eol}` + lines.join(eol) + text.slice(at);
}

/** Labels in map form elsewhere in the file mean the user writes them that way. */
function prefersMapLabels(doc: Doc): boolean {
  const services = doc.get('services') as YAML.YAMLMap;
  for (const p of services.items) {
    const labels = YAML.isMap(p.value) ? p.value.get('labels', true) : undefined;
    if (YAML.isMap(labels)) return true;
    if (YAML.isSeq(labels)) return false;
  }
  return false;
}

/** Quoted list items elsewhere ("traefik.enable=true") are copied; plain otherwise. */
function listQuoteStyle(doc: Doc): YAML.Scalar['type'] | undefined {
  let style: YAML.Scalar['type'] | undefined;
  YAML.visit(doc, {
    Seq(_k, seq) {
      const n = seq.items[0];
      if (YAML.isScalar(n) && typeof n.value === 'string' && n.value.includes('=')) {
        style = n.type;
        return YAML.visit.BREAK;
      }
    },
  });
  return style;
}

/** "  " when block sequences sit indented under their key (the common compose style), "" when not. */
function sequenceIndent(text: string): string {
  const m = /^( *)[^\s#-][^\n]*:[ \t]*\n( *)- /m.exec(text);
  return m && m[2].length <= m[1].length ? '' : '  ';
}

// ---- rebuilding through the Document API ------------------------------------------------------

function rebuild(text: string, doc: Doc, service: string, wanted: LabelPair[], what: string): string {
  const map = serviceMap(doc, service, what);
  const current = map.get('labels', true);
  // Keep the form the service already uses (its own, or the one it inherits).
  const inherited = YAML.isAlias(current) ? current.resolve(doc) : (current ?? inheritedLabels(doc, map));
  const asMap = YAML.isMap(inherited) || (!inherited && prefersMapLabels(doc));
  const node = asMap ? doc.createNode(Object.fromEntries(wanted)) : doc.createNode(wanted.map(([k, v]) => `${k}=${v}`));
  if (YAML.isCollection(inherited) && !inherited.flow) node.flow = false;
  if (YAML.isCollection(current) && current.flow) node.flow = true;
  map.set('labels', node);
  const out = doc.toString({ lineWidth: 0, indentSeq: sequenceIndent(text) !== '' });
  return eolOf(text) === '\r\n' ? out.replace(/\r?\n/g, '\r\n') : out;
}

function inheritedLabels(doc: Doc, map: YAML.YAMLMap): YAML.Node | undefined {
  for (const p of map.items) {
    if (!(YAML.isScalar(p.key) && p.key.value === '<<')) continue;
    const sources = YAML.isSeq(p.value) ? p.value.items : [p.value];
    for (const s of sources) {
      const resolved = YAML.isAlias(s) ? s.resolve(doc) : s;
      if (YAML.isMap(resolved)) {
        const l = resolved.get('labels', true);
        if (l) return (YAML.isAlias(l) ? l.resolve(doc) : l) as YAML.Node;
      }
    }
  }
  return undefined;
}

/** Splits a list-form label; a label without "=" has an empty value (as compose reads it). */
function splitLabel(item: string): LabelPair {
  const eq = item.indexOf('=');
  return eq === -1 ? [item, ''] : [item.slice(0, eq), item.slice(eq + 1)];
}
