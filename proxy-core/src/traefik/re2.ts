/**
 * Go RE2 regular expressions (what Traefik's *Regexp matchers take) as JavaScript RegExps.
 *
 * The two languages agree on most syntax but not all of it. Here RE2's syntax that JS lacks is
 * translated, and what RE2 rejects, or what JS would read differently, is refused with a reason:
 *
 * - translated: leading flags `(?i)` `(?m)` `(?s)` (as RegExp flags), `(?P<name>…)`, `\A`, `\z`,
 *   `\Q…\E`, `\x{…}`, `\pL`/`\p{Greek}`, POSIX classes `[[:alpha:]]`, `\s` (ASCII in RE2), `.`
 *   (not `\n` unless `(?s)`), a literal `]` first in a class, a `{` that is not a repetition;
 * - refused: backreferences (`\1`, `(?P=name)`), lookahead and lookbehind, atomic groups `(?>…)`,
 *   possessive quantifiers (`a*+`), `\Z`, `(?U)`, flags anywhere but at the start, repetition
 *   counts above 1000, octal escapes, `\S` inside a class.
 *
 * Matching is RE2's: unanchored (a match anywhere in the value) unless the pattern anchors itself.
 */

export type Re2Result = { ok: true; regex: RegExp; groups: number } | { ok: false; reason: string };

const JS_SYNTAX = '^$\\.*+?()[]{}|/';
const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};
const SPACE = '\\t\\n\\f\\r ';
const PASS_ESCAPES = 'dDwWfnrtv';
/** Unicode general categories, which JS writes as `\p{L}`; other names are scripts there. */
const CATEGORY = /^(?:[LMNPSZC][a-z]?|Any)$/;

class Refused extends Error {}

/** Compiles `source` as RE2 would read it; the reason, when not, is one line. */
export function compileRe2(source: string): Re2Result {
  try {
    const { pattern, flags, groups } = translate(source);
    try {
      return { ok: true, regex: new RegExp(pattern, flags), groups };
    } catch (err) {
      return { ok: false, reason: `not a valid regular expression (${(err as Error).message})` };
    }
  } catch (err) {
    if (err instanceof Refused) return { ok: false, reason: err.message };
    throw err;
  }
}

function refuse(what: string): never {
  throw new Refused(what);
}

function literal(c: string, inClass: boolean): string {
  if (inClass) return '\\]^-['.includes(c) ? `\\${c}` : c;
  return JS_SYNTAX.includes(c) ? `\\${c}` : c;
}

function translate(source: string): { pattern: string; flags: string; groups: number } {
  let flags = 'u';
  let i = 0;
  for (let m; (m = /^\(\?([a-zA-Z]+)\)/.exec(source.slice(i))); i += m[0].length) {
    for (const f of m[1]) {
      if (f === 'U')
        refuse('(?U) (ungreedy by default) has no JavaScript equivalent; write lazy quantifiers (*?) instead');
      if (!'ims'.includes(f)) refuse(`(?${m[1]}) is not an RE2 flag group; RE2 has (?i), (?m), (?s)`);
      if (!flags.includes(f)) flags += f;
    }
  }
  const dotAll = flags.includes('s');
  let out = '';
  let groups = 0;
  let inClass = false;
  while (i < source.length) {
    const c = source[i];
    if (c === '\\') {
      const [text, used] = escape(source, i, inClass);
      out += text;
      i += used;
      continue;
    }
    if (inClass) {
      if (c === ']') {
        inClass = false;
        out += ']';
      } else if (c === '[' && source[i + 1] === ':') {
        const m = /^\[:(\^?)([a-z]+):\]/.exec(source.slice(i));
        if (!m || !POSIX[m[2]])
          refuse(`unknown POSIX class at "${source.slice(i, i + 10)}"; RE2 has [:alpha:], [:digit:], …`);
        if (m[1]) refuse(`negated POSIX classes ([:^${m[2]}:]) are not supported here; write [^[:${m[2]}:]]`);
        out += POSIX[m[2]];
        i += m[0].length;
        continue;
      } else out += c === '[' ? '\\[' : c;
      i++;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += '[';
      i++;
      if (source[i] === '^') {
        out += '^';
        i++;
      }
      // RE2 (like POSIX) reads a `]` right after `[` or `[^` as a literal; JS as an empty class.
      if (source[i] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(') {
      const rest = source.slice(i);
      if (!rest.startsWith('(?')) {
        groups++;
        out += '(';
        i++;
        continue;
      }
      const named = /^\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
      if (named) {
        groups++;
        out += `(?<${named[1]}>`;
        i += named[0].length;
        continue;
      }
      if (rest.startsWith('(?:')) {
        out += '(?:';
        i += 3;
        continue;
      }
      if (/^\(\?(=|!|<=|<!)/.test(rest))
        refuse('lookahead and lookbehind ((?=…), (?!…), (?<=…), (?<!…)) are not RE2 syntax; Traefik rejects them');
      if (rest.startsWith('(?>')) refuse('atomic groups (?>…) are not RE2 syntax; write (?:…)');
      if (rest.startsWith('(?P=')) refuse('backreferences ((?P=name)) are not RE2 syntax; Traefik rejects them');
      if (/^\(\?[-a-zA-Z]+[:)]/.test(rest))
        refuse('flags are supported only at the very start, as (?i) or (?is); move them there');
      refuse(`"${rest.slice(0, 4)}" is not an RE2 group; use (…), (?:…) or (?P<name>…)`);
    }
    if (c === '*' || c === '+' || c === '?') {
      out += c;
      i++;
      if (source[i] === '?') {
        out += '?';
        i++;
      }
      if (source[i] === '+') refuse('possessive quantifiers (a*+, a++) are not RE2 syntax; drop the trailing +');
      continue;
    }
    if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i));
      if (!m) {
        // RE2 reads a `{` that starts no repetition as a literal; JS (with the u flag) rejects it.
        out += '\\{';
        i++;
        continue;
      }
      const min = Number(m[1]);
      const max = m[3] ? Number(m[3]) : min;
      if (min > 1000 || max > 1000) refuse(`repetition counts above 1000 (${m[0]}) are rejected by RE2; use * or +`);
      if (m[3] && max < min) refuse(`invalid repetition ${m[0]}: the maximum is below the minimum`);
      out += m[0];
      i += m[0].length;
      if (source[i] === '?') {
        out += '?';
        i++;
      }
      if (source[i] === '+') refuse('possessive quantifiers (a{2}+) are not RE2 syntax; drop the trailing +');
      continue;
    }
    if (c === '.') out += dotAll ? '.' : '[^\\n]';
    else if (c === ']' || c === '}') out += `\\${c}`;
    else out += c;
    i++;
  }
  if (inClass) refuse('missing closing ]');
  return { pattern: out, flags, groups };
}

/** One escape at `source[i]` (a backslash): its JS text and how many characters it used. */
function escape(source: string, i: number, inClass: boolean): [string, number] {
  const e = source[i + 1];
  if (e === undefined) refuse('trailing backslash; escape it as \\\\');
  if (/[1-9]/.test(e)) refuse(`backreferences (\\${e}) are not RE2 syntax; Traefik rejects them`);
  if (e === '0') refuse('octal escapes are not supported here; write \\x{…}');
  if (PASS_ESCAPES.includes(e)) return [`\\${e}`, 2];
  switch (e) {
    case 'a':
      return ['\\x07', 2];
    case 's':
      // RE2's \s is ASCII white space; JS's also takes \v and Unicode spaces.
      return [inClass ? SPACE : `[${SPACE}]`, 2];
    case 'S':
      if (inClass) refuse('\\S inside [...] is not supported here; list the characters instead');
      return [`[^${SPACE}]`, 2];
    case 'b':
    case 'B':
      if (inClass) refuse(`\\${e} inside [...] is rejected by RE2`);
      return [`\\${e}`, 2];
    case 'A':
      if (inClass) refuse('\\A inside [...] is rejected by RE2');
      return ['(?<![\\s\\S])', 2];
    case 'z':
      if (inClass) refuse('\\z inside [...] is rejected by RE2');
      return ['(?![\\s\\S])', 2];
    case 'Z':
      return refuse('\\Z is not RE2 syntax; write \\z or $');
    case 'Q': {
      if (inClass) refuse('\\Q…\\E inside [...] is not supported here; escape the characters');
      const end = source.indexOf('\\E', i + 2);
      const text = source.slice(i + 2, end === -1 ? undefined : end);
      return [[...text].map((ch) => literal(ch, false)).join(''), text.length + 2 + (end === -1 ? 0 : 2)];
    }
    case 'x': {
      const braced = /^\\x\{([0-9A-Fa-f]{1,6})\}/.exec(source.slice(i));
      if (braced) return [`\\u{${braced[1]}}`, braced[0].length];
      if (/^\\x[0-9A-Fa-f]{2}/.test(source.slice(i))) return [source.slice(i, i + 4), 4];
      return refuse('invalid \\x escape; write \\xHH or \\x{HHHH}');
    }
    case 'p':
    case 'P': {
      const m = /^\\[pP](?:\{(\^?)([A-Za-z_]+)\}|([A-Za-z]))/.exec(source.slice(i));
      if (!m) refuse(`invalid \\${e} escape; write \\pL or \\p{Greek}`);
      const negated = (e === 'P') !== (m[1] === '^');
      const name = m[2] ?? m[3];
      if (name === 'Any') return [negated ? '[]' : '[\\s\\S]', m[0].length];
      const prop = CATEGORY.test(name) ? name : `Script=${name}`;
      return [`\\${negated ? 'P' : 'p'}{${prop}}`, m[0].length];
    }
  }
  if (/[A-Za-z]/.test(e)) refuse(`\\${e} is not an RE2 escape`);
  if (/[\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]/.test(e)) return [literal(e, inClass), 2];
  return refuse(`\\${e} is not an RE2 escape; RE2 escapes only punctuation`);
}
