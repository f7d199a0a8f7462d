import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as net from 'node:net';
import * as path from 'node:path';
import { tempDir } from '../support/env';
import { DnsResponder, startDnsResponder } from './dnsResponder';

export const PEBBLE_BIN = process.env.CHS_PEBBLE_BIN ?? '/usr/bin/pebble';

export interface Pebble {
  dir: string;
  directoryUrl: string;
  managementUrl: string;
  /** Where Pebble connects to validate HTTP-01 / TLS-ALPN-01: the daemon must listen there. */
  httpPort: number;
  tlsPort: number;
  /** Pebble's own listener certificate: what an ACME client must trust to talk to it. */
  listenerCertPem: string;
  /** Pebble's issuing root (new at every start), fetched from its management API. */
  rootPem: string;
  /** listener cert + issuing root: --acme-ca-file for the daemon, and the root routes verify against. */
  trustFile: string;
  dns: DnsResponder;
  output: () => string;
  stop: () => Promise<void>;
}

export interface PebbleOptions {
  /** certificateValidityPeriod in seconds (Pebble's default is 5 years). */
  validitySeconds?: number;
  domainBlocklist?: string[];
  /** Require External Account Binding with these key ids → base64url HMAC keys. */
  eab?: Record<string, string>;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

/**
 * A Pebble of our own on loopback, doing real validation (never PEBBLE_VA_ALWAYS_VALID),
 * resolving every name to 127.0.0.1 through our DNS responder.
 */
/** `serve` flags for a daemon pointed at this Pebble, listening where Pebble validates (no Docker). */
export function pebbleServeArgs(pebble: Pebble): string[] {
  return [
    '--no-docker',
    '--acme-directory',
    pebble.directoryUrl,
    '--acme-ca-file',
    pebble.trustFile,
    '--acme-agree-tos',
    '--https-port',
    String(pebble.tlsPort),
    '--http-port',
    String(pebble.httpPort),
  ];
}

/**
 * A self-signed ECDSA P-256 certificate for CN=localhost with the given subjectAltName, written
 * to dir/cert.pem and dir/key.pem (openssl, independently of the code under test).
 */
export function selfSignedLocalhost(dir: string, san: string): { certFile: string; keyFile: string } {
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      `subjectAltName=${san}`,
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile };
}

export async function startPebble(opts: PebbleOptions = {}): Promise<Pebble> {
  const dir = tempDir('chs-pebble-');
  const { certFile, keyFile } = selfSignedLocalhost(dir, 'DNS:localhost,IP:127.0.0.1');
  const listenerCertPem = fs.readFileSync(certFile, 'utf8');
  const dns = await startDnsResponder();
  const [acmePort, mgmtPort, httpPort, tlsPort] = await distinctPorts(4);
  const config = {
    pebble: {
      listenAddress: `127.0.0.1:${acmePort}`,
      managementListenAddress: `127.0.0.1:${mgmtPort}`,
      certificate: certFile,
      privateKey: keyFile,
      httpPort,
      tlsPort,
      ocspResponderURL: '',
      externalAccountBindingRequired: !!opts.eab,
      ...(opts.eab ? { externalAccountMACKeys: opts.eab } : {}),
      ...(opts.validitySeconds ? { certificateValidityPeriod: opts.validitySeconds } : {}),
      ...(opts.domainBlocklist ? { domainBlocklist: opts.domainBlocklist } : {}),
    },
  };
  const configFile = path.join(dir, 'pebble-config.json');
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
  let output = '';
  const child: ChildProcess = spawn(PEBBLE_BIN, ['-config', configFile, '-dnsserver', `127.0.0.1:${dns.port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' },
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const directoryUrl = `https://127.0.0.1:${acmePort}/dir`;
  const managementUrl = `https://127.0.0.1:${mgmtPort}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await dns.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`pebble exited with ${child.exitCode}: ${output}`);
      const ok = await get(directoryUrl, listenerCertPem).then(
        () => true,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`pebble did not answer within 15 s: ${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const rootPem = (await get(`${managementUrl}/roots/0`, listenerCertPem)).body;
    const trustFile = path.join(dir, 'trust.pem');
    fs.writeFileSync(trustFile, listenerCertPem + rootPem);
    return {
      dir,
      directoryUrl,
      managementUrl,
      httpPort,
      tlsPort,
      listenerCertPem,
      rootPem,
      trustFile,
      dns,
      output: () => output,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Ports that must stay free from the moment they are picked until Pebble and the daemon bind
 * them, seconds later: below the ephemeral range, where no outgoing connection of a test running
 * beside this one takes its source port (a port from listen(0) once was, and every test of the
 * ACME issuance suite failed with "already in use").
 */
async function distinctPorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  const ceiling = ephemeralLow() - 1;
  for (let tries = 0; ports.size < n; tries++) {
    if (tries > 200) throw new Error(`no ${n} free ports below ${ceiling + 1} on 127.0.0.1`);
    const port = 10_000 + Math.floor(Math.random() * (ceiling - 10_000));
    if (!ports.has(port) && (await canListen(port))) ports.add(port);
  }
  return [...ports];
}

/** The first port of the kernel's ephemeral range (Linux's default where it cannot be read). */
function ephemeralLow(): number {
  try {
    const low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return low > 11_000 ? low : 32768;
  } catch {
    return 32768;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export function get(
  url: string,
  ca: string | string[],
): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      })
      .on('error', reject);
  });
}
