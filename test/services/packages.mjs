// Every Debian package that `npm test`, `npm run bench` and the editor harness use, in one list,
// each with the files that prove it is there and why it is needed. A fresh machine has only the
// base image's packages (see DEVELOPERS.md); what is missing from this list is installed in one
// apt-get step at the start of the run, and anything still missing then fails the run in its
// first seconds, by name, instead of minutes later inside a suite.
//
// `base: true` marks packages the base image already has: they are checked like the others (and
// installed if a machine lacks them), so the list stays the whole truth about what we rely on.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** @typedef {{ pkg: string, provides: string[], why: string, for: ('test'|'bench')[], base?: boolean }} DebianPackage */

/** @type {DebianPackage[]} */
export const DEBIAN_PACKAGES = [
  {
    pkg: 'docker.io',
    provides: ['/usr/sbin/dockerd', '/usr/bin/docker'],
    for: ['test', 'bench'],
    why: 'the real Docker engine the discovery, routing and editor suites run against (test/services/docker.mjs starts its own dockerd)',
  },
  {
    pkg: 'busybox-static',
    provides: ['/bin/busybox'],
    for: ['test', 'bench'],
    why: 'the root filesystem of the test image, built with docker import because no registry is reachable',
  },
  {
    pkg: 'docker-compose',
    provides: ['/usr/bin/docker-compose'],
    for: ['test'],
    why: '`docker-compose config` checks the compose files the scaffolder writes',
  },
  {
    pkg: 'podman',
    provides: ['/usr/bin/podman'],
    for: ['test'],
    why: 'the second real engine: the discovery, event, container-target, label and automatic-name suites also run against `podman system service` (test/services/podman.mjs; its OCI runtime is runc from docker.io)',
  },
  {
    pkg: 'netavark',
    provides: ['/usr/lib/podman/netavark'],
    for: ['test'],
    why: "Podman's network backend (bridge networks and their container IPs); a recommendation of podman, so named here",
  },
  {
    pkg: 'aardvark-dns',
    provides: ['/usr/lib/podman/aardvark-dns'],
    for: ['test'],
    why: "netavark's DNS, so containers on a Podman network find each other by name as compose services do",
  },
  {
    pkg: 'podman-compose',
    provides: ['/usr/bin/podman-compose'],
    for: ['test'],
    why: "compose projects on Podman: its containers' labels give them automatic names (test/docker/podmanCompose.test.ts)",
  },
  {
    pkg: 'pebble',
    provides: ['/usr/bin/pebble'],
    for: ['test'],
    why: "Let's Encrypt's ACME test server, for real ACME validation",
  },
  {
    pkg: 'chromium',
    provides: ['/usr/bin/chromium'],
    for: ['test'],
    why: 'the real browser of the trust tests and of the editor UI tests (Playwright drives it)',
  },
  {
    pkg: 'libnss3-tools',
    provides: ['/usr/bin/certutil'],
    for: ['test'],
    why: "certutil, to give a test HOME its own NSS database (Chromium's trust store)",
  },
  {
    pkg: 'ripgrep',
    provides: ['/usr/bin/rg'],
    for: ['test'],
    why: "installing code-server offline: @vscode/ripgrep's download cache is seeded from Debian's rg (test/e2e/codeServer.mjs)",
  },
  {
    pkg: 'libkrb5-dev',
    provides: ['/usr/include/gssapi/gssapi.h'],
    for: ['test'],
    why: 'installing code-server: its kerberos native module is compiled against gssapi/gssapi.h',
  },
  {
    pkg: 'nginx-light',
    provides: ['/usr/sbin/nginx'],
    for: ['bench'],
    why: 'the reference proxy the benchmark compares with',
  },
  { pkg: 'caddy', provides: ['/usr/bin/caddy'], for: ['bench'], why: 'the second proxy the benchmark compares with' },
  { pkg: 'wrk', provides: ['/usr/bin/wrk'], for: ['bench'], why: 'HTTP/1.1 load generator of the benchmark' },
  {
    pkg: 'nghttp2-client',
    provides: ['/usr/bin/h2load'],
    for: ['bench'],
    why: 'HTTP/2 load generator of the benchmark (h2load)',
  },
  {
    pkg: 'gcc',
    provides: ['/usr/bin/cc'],
    for: ['test', 'bench'],
    base: true,
    why: "scripts/build.mjs compiles the daemon's dist/heapTrim-linux-<arch>.node (proxy-core/native/heapTrim.c) for this machine's arch, which test/daemon/nativeHeap.test.ts and quietTrim.test.ts load",
  },
  {
    pkg: 'gcc-aarch64-linux-gnu',
    provides: ['/usr/bin/aarch64-linux-gnu-gcc'],
    for: ['test'],
    why: 'scripts/build.mjs cross-compiles dist/heapTrim-linux-arm64.node, which the one .vsix carries for Linux arm64 (test/e2e/packageCheck.mjs requires it); test/native/heapTrimArm64.test.ts also builds its Node-API stand-in with it',
  },
  {
    pkg: 'libc6-dev-arm64-cross',
    provides: ['/usr/aarch64-linux-gnu/include/malloc.h', '/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1'],
    for: ['test'],
    why: 'the arm64 C library: its headers for the cross build, its loader and libc for running it under qemu',
  },
  {
    pkg: 'qemu-user',
    provides: ['/usr/bin/qemu-aarch64'],
    for: ['test'],
    why: 'runs the arm64 heapTrim (through a Node-API stand-in) on this x64 machine: test/native/heapTrimArm64.test.ts',
  },
  {
    pkg: 'libc6-dev',
    provides: ['/usr/include/malloc.h'],
    for: ['test', 'bench'],
    base: true,
    why: "the C library's headers that heapTrim.c includes (malloc_trim)",
  },
  {
    pkg: 'openssl',
    provides: ['/usr/bin/openssl'],
    for: ['test'],
    base: true,
    why: "`openssl verify -x509_strict` of our chains, and Pebble's own TLS certificate",
  },
  {
    pkg: 'curl',
    provides: ['/usr/bin/curl'],
    for: ['test', 'bench'],
    base: true,
    why: 'the system-trust test checks the system store with curl; the benchmark downloads with it',
  },
  {
    pkg: 'ca-certificates',
    provides: ['/usr/sbin/update-ca-certificates'],
    for: ['test'],
    base: true,
    why: 'ca trust / ca untrust against the real system store',
  },
  {
    pkg: 'openjdk-17-jre-headless',
    provides: ['/usr/bin/keytool'],
    for: ['test'],
    base: true,
    why: 'keytool, for the Java trust store test',
  },
  {
    pkg: 'unzip',
    provides: ['/usr/bin/unzip'],
    for: ['test'],
    base: true,
    why: 'unpacking the .vsix in the editor harness',
  },
  {
    pkg: 'util-linux',
    provides: ['/usr/bin/setpriv', '/usr/bin/unshare', '/usr/bin/nsenter'],
    for: ['test'],
    base: true,
    why: 'setpriv runs the CLI as the unprivileged user nobody; unshare and nsenter give a test (and its private dockerd) their own namespaces',
  },
  {
    pkg: 'iproute2',
    provides: ['/usr/bin/ip', '/usr/bin/ss'],
    for: ['test', 'bench'],
    base: true,
    why: 'network namespaces for tests that touch interfaces (the LAN tests and benchmark: a "laptop" and a "phone" joined by a veth pair); ss to see who listens on 443 in one (test/ports)',
  },
  {
    pkg: 'nftables',
    provides: ['/usr/sbin/nft'],
    for: ['test'],
    why: '`ports setup` loads its loopback redirect 443/80 with nft; test/ports/standardPorts.test.ts runs it inside a network namespace of its own',
  },
  {
    pkg: 'tar',
    provides: ['/usr/bin/tar'],
    for: ['test'],
    base: true,
    why: 'packing the test image root filesystem and the ripgrep cache',
  },
  {
    pkg: 'mount',
    provides: ['/usr/bin/umount'],
    for: ['test'],
    base: true,
    why: "the engine-restart test unmounts its private dockerd's state",
  },
];

function log(msg) {
  process.stderr.write(`[packages] ${msg}\n`);
}

// Tests of this module point it at an empty folder to see what a bare machine would lack; there
// nothing is installed, only reported.
const fakeRoot = process.env.CHS_PACKAGES_ROOT;
const exists = (file) => existsSync(fakeRoot ? join(fakeRoot, file) : file);
const present = (p) => p.provides.every(exists);

/** The packages of a group that are not there. */
export function missingPackages(group) {
  return DEBIAN_PACKAGES.filter((p) => p.for.includes(group) && !present(p));
}

/** Whether one package of the list is there (services use this instead of probing on their own). */
export function hasPackage(name) {
  const p = DEBIAN_PACKAGES.find((entry) => entry.pkg === name);
  if (!p) throw new Error(`${name} is not in test/services/packages.mjs: add it there with the reason it is needed`);
  return present(p);
}

/**
 * Installs what the group needs in one apt-get step (root only), then checks every package.
 * Returns the packages still missing, with the reason each is needed; empty when all is there.
 * Package scripts may not start services while we install (policy-rc.d): the harness starts and
 * stops its own instances, and a system nginx or dockerd left running would outlive the run.
 */
export function ensurePackages(group) {
  let missing = missingPackages(group);
  if (!missing.length) return [];
  const names = missing.map((p) => p.pkg);
  if (process.getuid?.() !== 0 || fakeRoot) {
    log(
      `missing: ${names.join(' ')} — install them with: sudo apt-get install -y --no-install-recommends ${names.join(' ')}`,
    );
    return missing;
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy)
    writeFileSync(
      policy,
      '#!/bin/sh\n# written by container-https test/services/packages.mjs while it installs\nexit 101\n',
      { mode: 0o755 },
    );
  try {
    log(`installing ${names.join(' ')} (apt-get, one step)`);
    spawnSync('apt-get', ['update', '-q'], { stdio: ['ignore', 'ignore', 'inherit'], env });
    const r = spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...names], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env,
    });
    if (r.status !== 0) log(`apt-get install exited ${r.status}`);
  } finally {
    if (ownPolicy) rmSync(policy, { force: true });
  }
  missing = missingPackages(group);
  return missing;
}

/** One line per missing package: its name, the file that is absent and why we need it. */
export function describeMissing(missing) {
  return missing
    .map((p) => `  ${p.pkg} (${p.provides.filter((f) => !exists(f)).join(', ')} absent): ${p.why}`)
    .join('\n');
}
