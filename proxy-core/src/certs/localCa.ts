import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import type * as X509 from '@peculiar/x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  Certificate,
  GeneralName,
  GeneralSubtree,
  GeneralSubtrees,
  NameConstraints,
  id_ce_nameConstraints,
} from '@peculiar/asn1-x509';
import { ensureDir, readFileIfExists, writeFileAtomic } from '../fsUtil';
import { hostMatchesSuffix } from '../routes/hostName';
import { UserError } from '../errors';

// @peculiar/x509 is loaded only to issue a certificate: reading a root's name constraints (every
// daemon start) needs only the ASN.1 parser, and x509's module graph weighs ~3 MB of heap
// (docs/performance.md, "Footprint (issue 18)").
let x509Module: Promise<typeof X509> | undefined;
function loadX509(): Promise<typeof X509> {
  return (x509Module ??= import('@peculiar/x509').then((x509) => {
    x509.cryptoProvider.set(crypto.webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    return x509;
  }));
}

export const DEFAULT_SUFFIXES = ['localhost', 'test', 'internal', 'home.arpa', 'local'];
export const DEFAULT_IP_RANGES = ['127.0.0.0/8', '::1/128'];

const ECDSA: crypto.webcrypto.EcKeyGenParams & crypto.webcrypto.EcdsaParams = {
  name: 'ECDSA',
  namedCurve: 'P-256',
  hash: 'SHA-256',
};
const DAY = 24 * 3600 * 1000;
export const LEAF_LIFETIME_DAYS = 90;
export const LEAF_RENEW_BEFORE_DAYS = 30;

export interface CaFiles {
  certFile: string;
  keyFile: string;
}

export interface IssuedLeaf {
  certPem: string;
  keyPem: string;
  notBefore: Date;
  notAfter: Date;
}

/**
 * The local certificate authority: an ECDSA P-256 root whose name constraints (RFC 5280 §4.2.1.10)
 * limit it to internal suffixes, so a leaked key cannot impersonate public sites.
 */
export class LocalCa {
  private constructor(
    readonly certPem: string,
    private readonly keyPem: string,
    readonly permittedSuffixes: string[],
    readonly files: CaFiles,
  ) {}

  static async loadOrCreate(
    dir: string,
    options: { suffixes?: string[]; now?: Date } = {},
  ): Promise<{ ca: LocalCa; created: boolean }> {
    const files = { certFile: `${dir}/root.pem`, keyFile: `${dir}/root.key` };
    const certPem = readFileIfExists(files.certFile);
    const keyPem = readFileIfExists(files.keyFile);
    if (certPem && keyPem) {
      return { ca: new LocalCa(certPem, keyPem, readPermittedDnsNames(certPem), files), created: false };
    }
    if (certPem || keyPem) {
      throw new UserError(
        `The local CA in ${dir} is incomplete (${certPem ? 'root.key' : 'root.pem'} is missing). Move that folder aside to create a new CA, then trust it again.`,
        'ECA',
      );
    }
    const suffixes = (options.suffixes?.length ? options.suffixes : DEFAULT_SUFFIXES).map((s) =>
      s.toLowerCase().replace(/^\.|\.$/g, ''),
    );
    const created = await createRoot(suffixes, options.now ?? new Date());
    ensureDir(dir);
    writeFileAtomic(files.keyFile, created.keyPem, 0o600);
    writeFileAtomic(files.certFile, created.certPem, 0o644);
    return { ca: new LocalCa(created.certPem, created.keyPem, suffixes, files), created: true };
  }

  /** True when the CA may sign for this (normalised) host. */
  permits(host: string): boolean {
    return this.permittedSuffixes.some((suffix) => hostMatchesSuffix(host, suffix));
  }

  assertPermits(host: string): void {
    if (!this.permits(host)) {
      throw new UserError(
        `${host} is outside the local CA's allowed names (${this.permittedSuffixes.join(', ')}): browsers would reject it. Use Let's Encrypt for public names (expose ${host} TARGET --acme), or pick a name such as ${host.split('.')[0]}.localhost.`,
        'ENAMECONSTRAINT',
      );
    }
  }

  /**
   * Issues a leaf with @peculiar/x509 rather than selfsigned: selfsigned 5.5 cannot add the
   * Authority Key Identifier that RFC 5280 requires and strict verifiers (openssl -x509_strict)
   * reject leaves without.
   */
  async issueLeaf(host: string, now = new Date(), alsoNames: string[] = []): Promise<IssuedLeaf> {
    this.assertPermits(host);
    for (const name of alsoNames) this.assertPermits(name);
    // Backdate a little so a client clock slightly behind ours still accepts the certificate.
    const notBefore = new Date(now.getTime() - 60_000);
    const notAfter = new Date(now.getTime() + LEAF_LIFETIME_DAYS * DAY);
    const x509 = await loadX509();
    const signingKey = (this.signingKey ??= importSigningKey(this.keyPem));
    const root = (this.rootCert ??= new x509.X509Certificate(this.certPem));
    const keys = (await crypto.webcrypto.subtle.generateKey(ECDSA, true, [
      'sign',
      'verify',
    ])) as crypto.webcrypto.CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: `CN=${host}`,
      issuer: root.subject,
      notBefore,
      notAfter,
      signingAlgorithm: ECDSA,
      publicKey: keys.publicKey,
      signingKey: await signingKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
        new x509.SubjectAlternativeNameExtension(
          [host, ...alsoNames].map((value) => ({ type: 'dns' as const, value })),
          false,
        ),
        await x509.AuthorityKeyIdentifierExtension.create(root, false),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return { certPem: cert.toString('pem') + '\n', keyPem: await exportKeyPem(keys.privateKey), notBefore, notAfter };
  }

  private signingKey?: Promise<crypto.webcrypto.CryptoKey>;
  private rootCert?: X509.X509Certificate;

  fingerprint256(): string {
    return new crypto.X509Certificate(this.certPem).fingerprint256;
  }
}

async function createRoot(suffixes: string[], now: Date): Promise<{ certPem: string; keyPem: string }> {
  const keys = (await crypto.webcrypto.subtle.generateKey(ECDSA, true, [
    'sign',
    'verify',
  ])) as crypto.webcrypto.CryptoKeyPair;
  const x509 = await loadX509();
  const constraints = new NameConstraints({
    permittedSubtrees: new GeneralSubtrees([
      ...suffixes.map((dNSName) => new GeneralSubtree({ base: new GeneralName({ dNSName }) })),
      ...DEFAULT_IP_RANGES.map((iPAddress) => new GeneralSubtree({ base: new GeneralName({ iPAddress }) })),
    ]),
  });
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=Container HTTPS local CA (${osUser()}), O=Container HTTPS development CA`,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + 3650 * DAY),
    signingAlgorithm: ECDSA,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      new x509.Extension(id_ce_nameConstraints, true, AsnConvert.serialize(constraints)),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await exportKeyPem(keys.privateKey) };
}

/** A positive 128-bit serial (RFC 5280 allows up to 20 octets; the top bit keeps it positive). */
function randomSerial(): string {
  const serial = crypto.randomBytes(16);
  serial[0] &= 0x7f;
  return serial.toString('hex');
}

async function exportKeyPem(key: crypto.webcrypto.CryptoKey): Promise<string> {
  const pkcs8 = Buffer.from(await crypto.webcrypto.subtle.exportKey('pkcs8', key));
  return crypto
    .createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })
    .export({ format: 'pem', type: 'pkcs8' })
    .toString();
}

function importSigningKey(keyPem: string): Promise<crypto.webcrypto.CryptoKey> {
  const der = crypto.createPrivateKey(keyPem).export({ format: 'der', type: 'pkcs8' });
  return crypto.webcrypto.subtle.importKey('pkcs8', der, ECDSA, false, ['sign']);
}

// The user and machine in the CA's name tell several CAs in one trust store apart (as mkcert does).
function osUser(): string {
  try {
    return `${os.userInfo().username}@${os.hostname()}`;
  } catch {
    return 'local';
  }
}

function permittedSubtrees(certPem: string): GeneralName[] {
  const der = new crypto.X509Certificate(certPem).raw;
  const ext = AsnConvert.parse(der, Certificate).tbsCertificate.extensions?.find(
    (e) => e.extnID === id_ce_nameConstraints,
  );
  if (!ext) return [];
  return Array.from(AsnConvert.parse(ext.extnValue, NameConstraints).permittedSubtrees ?? []).map((s) => s.base);
}

/** The DNS suffixes a root is constrained to, read from the certificate itself. */
export function readPermittedDnsNames(certPem: string): string[] {
  return permittedSubtrees(certPem)
    .map((n) => n.dNSName)
    .filter((n): n is string => !!n);
}

export function readPermittedIpRanges(certPem: string): string[] {
  return permittedSubtrees(certPem)
    .map((n) => n.iPAddress)
    .filter((n): n is string => !!n);
}

export function caExists(dir: string): boolean {
  return fs.existsSync(`${dir}/root.pem`);
}
