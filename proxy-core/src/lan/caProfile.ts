import * as crypto from 'node:crypto';
import type * as Plist from 'plist';

let plistModule: typeof Plist | undefined;
/**
 * plist (and the XML library under it) is loaded the first time a phone asks for a profile, not
 * with the daemon: ~1 MB of heap that most daemons never use (docs/performance.md, "Footprint").
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const plist = (): typeof Plist => (plistModule ??= require('plist') as typeof Plist);

/** The CA's certificate as a phone wants it: DER bytes (Android's `.crt`, the profile's payload). */
export function caDer(caPem: string): Buffer {
  return Buffer.from(new crypto.X509Certificate(caPem).raw);
}

/** The name constraints in plain words, for the page and the profile. */
export function constraintsInWords(suffixes: string[]): string {
  const list = suffixes.map((s) => `.${s}`);
  const words = list.length > 1 ? `${list.slice(0, -1).join(', ')} or ${list[list.length - 1]}` : list[0];
  return `This CA can only vouch for names ending in ${words}: it cannot vouch for your bank or any other public site, even if its key leaked.`;
}

/** A stable UUID from bytes, so installing a newer profile for the same CA replaces the old one. */
function uuidOf(seed: string): string {
  const h = crypto.createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`.toUpperCase();
}

/**
 * The iOS/iPadOS configuration profile (Apple's Configuration Profile Reference): one payload
 * of type com.apple.security.root carrying the CA's DER. After installing it, iOS still asks the
 * user to turn on full trust in Settings → General → About → Certificate Trust Settings.
 */
export function mobileconfig(caPem: string, suffixes: string[]): string {
  const der = caDer(caPem);
  const fp = crypto.createHash('sha256').update(der).digest('hex');
  const name = new crypto.X509Certificate(caPem).subject.match(/CN=([^\n]+)/)?.[1] ?? 'Container HTTPS local CA';
  return plist().build({
    PayloadType: 'Configuration',
    PayloadVersion: 1,
    PayloadIdentifier: `dev.container-https.ca.${fp.slice(0, 16)}`,
    PayloadUUID: uuidOf(`profile:${fp}`),
    PayloadDisplayName: 'Container HTTPS local CA',
    PayloadDescription: `Lets this device trust HTTPS from your development machine. ${constraintsInWords(suffixes)}`,
    PayloadOrganization: 'Container HTTPS',
    PayloadRemovalDisallowed: false,
    PayloadContent: [
      {
        PayloadType: 'com.apple.security.root',
        PayloadVersion: 1,
        PayloadIdentifier: `dev.container-https.ca.${fp.slice(0, 16)}.root`,
        PayloadUUID: uuidOf(`root:${fp}`),
        PayloadDisplayName: name,
        PayloadDescription: constraintsInWords(suffixes),
        PayloadCertificateFileName: 'container-https-ca.cer',
        PayloadContent: der,
      },
    ],
  } as Plist.PlistValue);
}
