import { html as beautifyHtml } from 'js-beautify';
import { decodeContent } from './contentEncoding';
import { isTextual } from './har';
import type { CapturedBody, HeaderMap } from './types';

/**
 * How the Inspector's detail pane shows a captured body (extension/inspectorPanel.ts computes it,
 * media/inspector.js renders it): a preview, "binary", or text ready to show in a <pre>.
 */
export type BodyDisplay = (
  { kind: 'image'; mediaType: string; base64: string } | { kind: 'binary' } | { kind: 'text'; text: string }
) & {
  /** The Content-Encoding the body came in: decoded for display, or `undecoded` when it could not be. */
  encoding?: string;
  undecoded?: true;
};

// Control characters (other than tab and line ends) tell a binary body from text.
// eslint-disable-next-line no-control-regex
const BINARY = /[\x00-\x08\x0e-\x1f]/;

/**
 * Above this the HTML is shown as it came: the beautifier runs on the extension host's thread,
 * and a page of this size already takes it about half a second (`--capture-body-kb` can be set
 * well past the 64 KB default).
 */
export const MAX_HTML_BEAUTIFY = 512 * 1024;

/**
 * A body as the detail pane shows it: JSON indented, HTML one element per line, form data one
 * field per line, a complete image as a preview, a non-text body as binary. A body that does not
 * parse (JSON cut at the capture limit, say) is shown as it is; nothing here throws on its input.
 */
export function bodyDisplay(body: CapturedBody, headers: HeaderMap | undefined): BodyDisplay {
  const encoding = headerValue(headers, 'content-encoding').trim().toLowerCase();
  if (!encoding || encoding === 'identity') return shown(Buffer.from(body.base64, 'base64'), body, headers);
  const bytes = decodeContent(Buffer.from(body.base64, 'base64'), encoding);
  if (!bytes) return { kind: 'binary', encoding, undecoded: true };
  return { ...shown(bytes, body, headers), encoding };
}

function shown(bytes: Buffer, body: CapturedBody, headers: HeaderMap | undefined): BodyDisplay {
  const type = mediaType(headers);
  if (type.startsWith('image/') && !body.truncated)
    return { kind: 'image', mediaType: type, base64: bytes.toString('base64') };
  const text = bytes.toString('utf8');
  if (type.endsWith('json')) return { kind: 'text', text: prettyJson(text) };
  if (type === 'text/html' || type === 'application/xhtml+xml') return { kind: 'text', text: prettyHtml(text) };
  if (type === 'application/x-www-form-urlencoded') return { kind: 'text', text: formFields(text) };
  if (!isTextual(type) && BINARY.test(text)) return { kind: 'binary' };
  return { kind: 'text', text };
}

/** The media type of a Content-Type header, lower case, without its parameters ('' when none). */
function mediaType(headers: HeaderMap | undefined): string {
  return headerValue(headers, 'content-type').split(';')[0].trim().toLowerCase();
}

/** A header's value, its first when given twice ('' when absent). */
function headerValue(headers: HeaderMap | undefined, name: string): string {
  const value = headers?.[name];
  return (Array.isArray(value) ? value[0] : value) ?? '';
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/**
 * js-beautify keeps every character but white space, so a page cut at the capture limit is
 * indented up to its last byte (the pane says it is only the start); a beautifier failure shows
 * the text as it came.
 */
function prettyHtml(text: string): string {
  if (text.length > MAX_HTML_BEAUTIFY || BINARY.test(text)) return text;
  try {
    return beautifyHtml(text, {
      indent_size: 2,
      wrap_line_length: 0,
      preserve_newlines: false,
      end_with_newline: false,
      // The head and body of a page need no blank line between them in a narrow pane.
      extra_liners: [],
    });
  } catch {
    return text;
  }
}

function formFields(text: string): string {
  return [...new URLSearchParams(text)].map(([k, v]) => `${k} = ${v}`).join('\n');
}
