import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyUpstreamError } from '../../proxy-core/src/capture/failure';
import { upstreamFailureKind } from '../../proxy-core/src/proxy/upstreamFailure';

test('one list of upstream error codes: each kind, and the inspector names the same kind (the 502/504 page reads it too)', () => {
  const cases: Array<[string | undefined, string]> = [
    ['UND_ERR_ABORTED', 'abort'],
    ['ECONNREFUSED', 'refused'],
    ['ECONNRESET', 'reset'],
    ['EPIPE', 'reset'],
    ['UND_ERR_SOCKET', 'reset'],
    ['UND_ERR_HEADERS_TIMEOUT', 'timeout'],
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout'],
    ['UND_ERR_BODY_TIMEOUT', 'timeout'],
    ['ETIMEDOUT', 'timeout'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'tls'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls'],
    ['EHOSTUNREACH', 'other'],
    [undefined, 'other'],
  ];
  for (const [code, kind] of cases) {
    assert.equal(upstreamFailureKind(code), kind, String(code));
    const err = Object.assign(new Error(`failed: ${code}`), { code });
    const recorded = classifyUpstreamError(err);
    assert.equal(recorded.kind, kind, String(code));
    assert.equal(recorded.by, kind === 'abort' ? 'client' : 'upstream');
    if (kind !== 'abort') assert.equal(recorded.message, err.message);
  }
});
