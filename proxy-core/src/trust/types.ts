/**
 * The local CA's trust state as clients see it. The control API re-exports it as part of its
 * contract (control/apiTypes.ts), so it lives here and not there: trust/ never imports control/.
 */

/**
 * GET /v1/ca, POST /v1/ca/check (verifies again, then answers the same) and event 'ca' (sent on
 * subscribe and whenever ca/trust.json changes, e.g. after `container-https ca trust`).
 */
export interface CaStatus {
  certFile: string;
  fingerprint256: string;
  permittedSuffixes: string[];
  permittedIpRanges: string[];
  /** The line for users' own Node scripts: `NODE_EXTRA_CA_CERTS=<certFile>`. */
  nodeExtraCaCerts: string;
  /**
   * True when the last verification (for this CA) found it trusted in at least one store and in
   * no store that `ca trust` added was it "not-trusted". The status bar shows "CA not trusted"
   * while this is false.
   */
  trusted: boolean;
  /** Stores `ca trust` added the CA to (from ca/trust.json); `ca untrust` removes exactly these. */
  added: Array<{ id: string; kind: 'system' | 'nss' | 'java'; label: string; at: string }>;
  /** Per store: trusted / not-trusted / unknown (could not check), with what was checked. */
  lastCheck: null | {
    at: string;
    stores: Array<{
      id: string;
      kind: 'system' | 'nss' | 'java';
      label: string;
      result: 'trusted' | 'not-trusted' | 'unknown';
      detail: string;
    }>;
  };
  /** Set when ca/trust.json could not be used (corrupt, or from an earlier CA). */
  problem?: string;
}
