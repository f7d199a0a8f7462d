import * as fs from 'node:fs';
import * as tls from 'node:tls';

/**
 * The roots to trust for an outgoing TLS connection: Node's default store (its public roots plus
 * NODE_EXTRA_CA_CERTS, as every Node tool does), with `extraPem` on top. Undefined means the
 * default store as it is. An explicit `ca` list replaces the default store, and
 * `tls.rootCertificates` does not hold NODE_EXTRA_CA_CERTS, so that file is added here by hand:
 * a company's TLS-inspecting proxy or private ACME CA (step-ca) is usually trusted that way.
 */
export function trustedRoots(extraPem?: string | string[], env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const extra = extraPem === undefined ? [] : ([] as string[]).concat(extraPem);
  if (!extra.length) return undefined;
  return [...tls.rootCertificates, ...nodeExtraCaCerts(env), ...extra];
}

/** The PEM text of NODE_EXTRA_CA_CERTS in `env`, as Node itself reads it (none if unset or unreadable). */
export function nodeExtraCaCerts(env: NodeJS.ProcessEnv = process.env): string[] {
  const file = env.NODE_EXTRA_CA_CERTS;
  if (!file) return [];
  try {
    return [fs.readFileSync(file, 'utf8')];
  } catch {
    // Node itself only warns about an unreadable file; its default store then lacks it too.
    return [];
  }
}
