/** The LAN side's shapes (docs/lan.md); control/apiTypes.ts re-exports them as part of the contract. */

/** The interface LAN listeners bind: chosen by serve --lan-interface (auto: the default route's). */
export interface LanInterface {
  name: string;
  ipv4: string;
  /** Listened on and announced (AAAA) when the interface has a routable (not link-local) one. */
  ipv6?: string;
}

/** One route shared on the LAN. */
export interface LanShareView {
  /** The routed host (`app.localhost`). */
  host: string;
  /** Its LAN name, answered by mDNS and carried by its certificate (`app.local`). */
  name: string;
  /** https://app.local:8443/ */
  url: string;
  /** The basic-auth user, when the share has one (the password is stored only as a bcrypt hash). */
  authUser?: string;
  createdAt: string;
}

/** A running `ca share`: the URL a phone opens (QR code) until it expires. */
export interface CaShareInfo {
  url: string;
  expiresAt: string;
  /** Downloads left before the URL stops working. */
  downloadsLeft: number;
  fingerprint256: string;
}

export interface LanStatus {
  /** False when the daemon was started without LAN support (embedded, tests). */
  enabled: boolean;
  /** What serve --lan-interface asked for (`auto` or a name). */
  interfaceChoice?: string;
  /** The interface as found now; undefined with `interfaceError` when none is usable. */
  interface?: LanInterface;
  interfaceError?: string;
  /** True while anything listens on the LAN address (a route or the CA is shared). */
  listening: boolean;
  /** Ports on the LAN address (the same numbers as on loopback). */
  httpsPort: number;
  httpPort: number | null;
  shares: LanShareView[];
  caShare?: CaShareInfo;
  /** Set while the mDNS responder could not start (the .local names do not resolve then). */
  mdnsError?: string;
}

/** PUT /v1/lan/shares/:host */
export interface LanShareRequest {
  /** Basic auth for LAN clients of this route. */
  auth?: { user: string; password: string };
}

/** POST /v1/lan/ca-share */
export interface CaShareRequest {
  /** How long the URL works (default 10, at most 60). */
  minutes?: number;
  /** Downloads (profile, .crt or .pem) before it stops working (default 5). */
  downloads?: number;
}
