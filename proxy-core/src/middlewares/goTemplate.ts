import { compileRe2 } from '../traefik/re2';
import { OptionError } from './options';

/**
 * Go's Regexp.ReplaceAllString, which Traefik's replacePathRegex and redirectRegex use: every
 * match replaced, with `$1`, `${1}`, `$name`, `${name}` and `$$` in the replacement. Go reads
 * `$1x` as the group named `1x` (so: empty), not as `$1` then `x`; write `${1}x`.
 */
export type Replacer = (value: string) => string;

type Part = string | number | { name: string };

/** Compiles an RE2 `regex` and a Go `replacement` template; an OptionError names `option` when either is wrong. */
export function goReplacer(regex: string, replacement: string, option = 'regex'): { test: RegExp; replace: Replacer } {
  const compiled = compileRe2(regex);
  if (!compiled.ok) throw new OptionError(`option ${option} ${JSON.stringify(regex)}: ${compiled.reason}`);
  const test = compiled.regex;
  const all = new RegExp(test.source, `${test.flags}g`);
  const parts = parseTemplate(replacement);
  const groups = compiled.groups;
  return {
    test,
    replace: (value) =>
      value.replace(all, (...args: unknown[]) => {
        const last = args[args.length - 1];
        const named = typeof last === 'object' ? (last as Record<string, string | undefined>) : undefined;
        let out = '';
        for (const part of parts) {
          if (typeof part === 'string') out += part;
          else if (typeof part === 'number') out += part <= groups ? ((args[part] as string | undefined) ?? '') : '';
          else out += named?.[part.name] ?? '';
        }
        return out;
      }),
  };
}

/** Go's Regexp.Expand template syntax, split once into literal text and group references. */
function parseTemplate(template: string): Part[] {
  const parts: Part[] = [];
  let text = '';
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf('$', i);
    if (dollar === -1) {
      text += template.slice(i);
      break;
    }
    text += template.slice(i, dollar);
    if (template[dollar + 1] === '$') {
      text += '$';
      i = dollar + 2;
      continue;
    }
    const m = /^(?:\{([\p{L}\p{Nd}_]+)\}|([\p{L}\p{Nd}_]+))/u.exec(template.slice(dollar + 1));
    if (!m) {
      // Go treats a `$` that starts no reference as plain text.
      text += '$';
      i = dollar + 1;
      continue;
    }
    if (text) parts.push(text);
    text = '';
    const name = m[1] ?? m[2];
    // As Go: all digits (no leading zero) is a group number, anything else a group name.
    parts.push(/^(?:0|[1-9]\d{0,7})$/.test(name) ? Number(name) : { name });
    i = dollar + 1 + m[0].length;
  }
  if (text) parts.push(text);
  return parts;
}
