import * as TOML from 'smol-toml';
import { UserError } from '../errors';

/**
 * TOML text from plain data, with explanatory comments placed above chosen table headers or
 * keys. smol-toml writes no comments, so they are added to its output line by line; the data
 * itself always goes through the TOML writer, never through string templates.
 */
export function tomlWithComments(
  data: Record<string, unknown>,
  comments: Record<string, string[]> = {},
  header: string[] = [],
): string {
  const lines = TOML.stringify(data).split('\n');
  const out: string[] = header.map((c) => `# ${c}`.trimEnd());
  if (out.length) out.push('');
  let table = '';
  for (const line of lines) {
    const headerMatch = /^\[+([^\]]+)\]+$/.exec(line);
    if (headerMatch) {
      table = headerMatch[1];
      // Tables read better with a blank line before each header.
      if (out.length && out[out.length - 1] !== '') out.push('');
    }
    const keyMatch = /^([A-Za-z0-9_-]+) = /.exec(line);
    const anchor = headerMatch ? `[${table}]` : keyMatch ? `${table ? table + '.' : ''}${keyMatch[1]}` : undefined;
    if (anchor && comments[anchor]) for (const c of comments[anchor]) out.push(`# ${c}`.trimEnd());
    out.push(line);
  }
  while (out.length && out[out.length - 1] === '') out.pop();
  return out.join('\n') + '\n';
}

export function parseToml(text: string, what: string): Record<string, unknown> {
  try {
    return TOML.parse(text) as Record<string, unknown>;
  } catch (err) {
    const e = err as { line?: number; column?: number; message?: string };
    const first = String(e.message ?? err)
      .split('\n')[0]
      .replace(/^Invalid TOML document: /, '');
    throw new UserError(
      `${what} is not valid TOML${e.line ? ` (line ${e.line}, column ${e.column})` : ''}: ${first}. Fix the file and run again.`,
      'ETOML',
    );
  }
}
