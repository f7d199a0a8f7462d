import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import { MAX_HTML_BEAUTIFY, bodyDisplay } from '../../proxy-core/src/capture/bodyText';
import { MAX_DECODED } from '../../proxy-core/src/capture/contentEncoding';
import type { CapturedBody } from '../../proxy-core/src/capture/types';
import { HTML_PAGE, HTML_PAGE_SHOWN } from './htmlPage';

const body = (bytes: string | Buffer, truncated = false): CapturedBody => ({
  size: Buffer.byteLength(bytes) + (truncated ? 1000 : 0),
  truncated,
  base64: Buffer.from(bytes).toString('base64'),
});
const textOf = (b: CapturedBody, contentType?: string | string[]) => {
  const shown = bodyDisplay(b, contentType === undefined ? {} : { 'content-type': contentType });
  assert.equal(shown.kind, 'text');
  return (shown as { text: string }).text;
};

test('JSON is indented by two spaces, whatever its +json type; a cut one is shown as it came', () => {
  assert.equal(
    textOf(body('{"a":[1,{"b":null}]}'), 'application/json; charset=utf-8'),
    '{\n  "a": [\n    1,\n    {\n      "b": null\n    }\n  ]\n}',
  );
  assert.equal(textOf(body('{"type":"x"}'), 'application/problem+json'), '{\n  "type": "x"\n}');
  assert.equal(textOf(body('{"a":[1,', true), 'application/json'), '{"a":[1,');
});

test('HTML is indented, one element per line, inline elements kept in their line', () => {
  assert.equal(textOf(body(HTML_PAGE), 'text/html; charset=utf-8'), HTML_PAGE_SHOWN);
  // A header given twice (an array) is read by its first value, as HAR does.
  assert.match(textOf(body('<p>a</p><p>b</p>'), ['text/html', 'text/plain']), /^<p>a<\/p>\n<p>b<\/p>$/);
});

test('HTML cut at the capture limit, or not well formed, does not throw and loses no character', () => {
  const cut = '<html><body><div><p>Hel';
  const shown = textOf(body(cut, true), 'text/html');
  assert.equal(shown, '<html>\n<body>\n  <div>\n    <p>Hel');
  const cutInTag = '<html><body><div class="ite';
  assert.ok(textOf(body(cutInTag, true), 'text/html').endsWith('<div class="ite'));
  for (const broken of ['</div></p><<>>&&<x y=', 'just words, no markup', '<', '']) {
    const out = textOf(body(broken), 'text/html');
    assert.equal(out.replace(/\s/g, ''), broken.replace(/\s/g, ''), `${JSON.stringify(broken)} kept`);
  }
});

test('HTML that is not text (compressed, binary) or larger than the beautifier is given is shown as it came', () => {
  const gzip = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x3c, 0x70, 0x3e, 0x3c, 0x70]);
  assert.equal(textOf(body(gzip), 'text/html'), gzip.toString('utf8'));
  const big = '<p>x</p>'.repeat(MAX_HTML_BEAUTIFY / 8 + 1);
  assert.equal(textOf(body(big), 'text/html'), big);
});

test('form data is one field per line, decoded', () => {
  assert.equal(
    textOf(body('name=J%C3%BCrgen+M&tags=a&tags=b&empty='), 'application/x-www-form-urlencoded'),
    'name = Jürgen M\ntags = a\ntags = b\nempty = ',
  );
});

test('binary bodies are said to be binary; text of any other type is shown as it came', () => {
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00]);
  assert.deepEqual(bodyDisplay(body(png), { 'content-type': 'application/octet-stream' }), { kind: 'binary' });
  assert.deepEqual(bodyDisplay(body(png), {}), { kind: 'binary' });
  assert.equal(textOf(body('line 1\nline 2'), 'text/plain'), 'line 1\nline 2');
  assert.equal(textOf(body('no type, but text')), 'no type, but text');
  assert.equal(textOf(body('<a><b/></a>'), 'application/xml'), '<a><b/></a>');
});

test('a complete image is previewed; a cut one is not (a partial image does not decode)', () => {
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.deepEqual(bodyDisplay(body(png), { 'content-type': 'IMAGE/PNG' }), {
    kind: 'image',
    mediaType: 'image/png',
    base64: png.toString('base64'),
  });
  assert.deepEqual(bodyDisplay(body(png, true), { 'content-type': 'image/png' }), { kind: 'binary' });
});

test('a compressed body (gzip, br, deflate, raw deflate, several) is shown decoded, and says so', () => {
  const json = JSON.stringify({ items: [1, 2, 3], name: 'café' });
  const pretty = JSON.stringify(JSON.parse(json), null, 2);
  const cases: Array<[string, Buffer]> = [
    ['gzip', zlib.gzipSync(json)],
    ['br', zlib.brotliCompressSync(json)],
    ['deflate', zlib.deflateSync(json)],
    ['deflate', zlib.deflateRawSync(json)],
    ['deflate, gzip', zlib.gzipSync(zlib.deflateSync(json))],
  ];
  for (const [encoding, bytes] of cases)
    assert.deepEqual(
      bodyDisplay(body(bytes), { 'content-type': 'application/json', 'content-encoding': encoding }),
      { kind: 'text', text: pretty, encoding },
      encoding,
    );
  const png = zlib.gzipSync(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]));
  const image = bodyDisplay(body(png), { 'content-type': 'image/png', 'content-encoding': 'gzip' });
  assert.deepEqual(image, {
    kind: 'image',
    mediaType: 'image/png',
    base64: zlib.gunzipSync(png).toString('base64'),
    encoding: 'gzip',
  });
});

test('a compressed body cut at the capture limit is decoded up to the cut', () => {
  // Not repetitive, so that half of the compressed bytes carry a good part of the text.
  const page = Array.from({ length: 4000 }, (_, i) => `row ${(i * 7919) % 10007}`).join('\n');
  for (const [encoding, bytes] of [
    ['gzip', zlib.gzipSync(page)],
    ['br', zlib.brotliCompressSync(page)],
  ] as const) {
    const cut = bytes.subarray(0, Math.floor(bytes.length / 2));
    const shown = bodyDisplay(body(cut, true), { 'content-type': 'text/plain', 'content-encoding': encoding });
    assert.equal(shown.kind, 'text', encoding);
    const text = (shown as { text: string }).text;
    assert.ok(text.length > 100 && page.startsWith(text), `${encoding}: a prefix of the page (${text.length} chars)`);
  }
});

test('a body that does not decode, an unknown encoding, or one that expands past the cap is binary, undecoded', () => {
  const undecoded = (bytes: Buffer, encoding: string) =>
    assert.deepEqual(
      bodyDisplay(body(bytes), { 'content-type': 'text/html', 'content-encoding': encoding }),
      { kind: 'binary', encoding, undecoded: true },
      encoding,
    );
  undecoded(Buffer.from('not gzip at all'), 'gzip');
  undecoded(zlib.gzipSync('x'), 'zstd');
  undecoded(zlib.gzipSync(Buffer.alloc(MAX_DECODED + 1)), 'gzip');
  // identity is no encoding at all.
  assert.deepEqual(bodyDisplay(body('plain'), { 'content-type': 'text/plain', 'content-encoding': 'identity' }), {
    kind: 'text',
    text: 'plain',
  });
});
