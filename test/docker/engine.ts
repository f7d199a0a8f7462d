import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import Docker from 'dockerode';
import { tempDir } from '../support/env';

/** Shared helpers for tests against the real engine: unique names, cleanup, waiting. */
export const IMAGE = process.env.CHS_TEST_IMAGE ?? 'chs-test/busybox:1';

/**
 * The engine these suites run against: the shared dockerd, or the one DOCKER_HOST names (a unix
 * socket). test/docker/podman.test.ts runs them again with DOCKER_HOST on a real Podman service,
 * and CHS_TEST_ENGINE=podman; the daemons the suites start resolve DOCKER_HOST the same way.
 */
export const ENGINE_SOCKET = process.env.DOCKER_HOST?.startsWith('unix://')
  ? process.env.DOCKER_HOST.slice('unix://'.length)
  : '/var/run/docker.sock';
export const ENGINE_URL = `unix://${ENGINE_SOCKET}`;
export const ENGINE_KIND: 'docker' | 'podman' = process.env.CHS_TEST_ENGINE === 'podman' ? 'podman' : 'docker';

/** What the engine calls things the suites check: Podman keeps local images under localhost/, and its default network is "podman". */
export const ENGINE_IMAGE = ENGINE_KIND === 'podman' ? `localhost/${IMAGE}` : IMAGE;
export const DEFAULT_NETWORK = ENGINE_KIND === 'podman' ? 'podman' : 'bridge';
/** How the suites' daemons found the engine (test/docker/podman.test.ts sets DOCKER_HOST). */
export const ENGINE_SOURCE = process.env.DOCKER_HOST ? 'DOCKER_HOST' : 'default socket';

export function engine(): Docker {
  return new Docker({ socketPath: ENGINE_SOCKET });
}

/**
 * Containers and networks one test file creates, named with a unique prefix so parallel
 * engineers' tests on the same engine never touch each other's; remove() cleans up only these.
 */
export class Scratch {
  readonly prefix = `chs-t${randomBytes(3).toString('hex')}`;
  readonly docker = engine();
  private readonly containers: string[] = [];
  private readonly networks: string[] = [];

  name(suffix: string): string {
    return `${this.prefix}-${suffix}`;
  }

  /** busybox httpd on 8000 (the image's CMD) unless cmd says otherwise; extra ports via `ports`. */
  async container(
    suffix: string,
    opts: {
      labels?: Record<string, string>;
      cmd?: string[];
      ports?: number[];
      publish?: number[];
      start?: boolean;
      network?: string;
      ip?: string;
      healthcheck?: boolean;
      networkMode?: string;
    } = {},
  ): Promise<Docker.Container> {
    const name = this.name(suffix);
    const exposed: Record<string, object> = {};
    for (const p of opts.ports ?? []) exposed[`${p}/tcp`] = {};
    const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
    for (const p of opts.publish ?? []) {
      exposed[`${p}/tcp`] = {};
      bindings[`${p}/tcp`] = [{ HostIp: '127.0.0.1', HostPort: '' }];
    }
    const create: Docker.ContainerCreateOptions = {
      name,
      Image: IMAGE,
      Labels: opts.labels ?? {},
      ExposedPorts: exposed,
      HostConfig: {
        PortBindings: bindings,
        ...(opts.networkMode ? { NetworkMode: opts.networkMode } : opts.network ? { NetworkMode: opts.network } : {}),
      },
    };
    if (opts.cmd) create.Cmd = opts.cmd;
    if (opts.network && opts.ip)
      create.NetworkingConfig = { EndpointsConfig: { [opts.network]: { IPAMConfig: { IPv4Address: opts.ip } } } };
    if (opts.healthcheck)
      create.Healthcheck = {
        Test: ['CMD-SHELL', 'wget -q -O /dev/null http://127.0.0.1:8000/'],
        Interval: 1e9,
        Timeout: 1e9,
        Retries: 3,
        StartPeriod: 0,
      };
    const c = await this.docker.createContainer(create);
    this.containers.push(c.id);
    if (opts.start !== false) await c.start();
    return c;
  }

  /** A user-defined bridge network on a random /24 so a test can choose container IPs. */
  async network(suffix: string): Promise<{ name: string; subnet: string; ip: (host: number) => string }> {
    const name = this.name(suffix);
    for (let attempt = 0; ; attempt++) {
      const base = `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 256)}`;
      try {
        await this.docker.createNetwork({
          Name: name,
          Driver: 'bridge',
          IPAM: { Config: [{ Subnet: `${base}.0/24`, Gateway: `${base}.1` }] },
        });
        this.networks.push(name);
        return { name, subnet: `${base}.0/24`, ip: (h) => `${base}.${h}` };
      } catch (err) {
        if (attempt > 5) throw err;
      }
    }
  }

  async remove(): Promise<void> {
    for (const id of this.containers.reverse())
      await this.docker
        .getContainer(id)
        .remove({ force: true })
        .catch(() => undefined);
    for (const n of this.networks.reverse())
      await this.docker
        .getNetwork(n)
        .remove()
        .catch(() => undefined);
  }
}

/**
 * A unix socket that forwards to the real engine and can be cut and restored: from the
 * daemon's side this looks exactly like the engine going away and coming back (the events
 * stream ends, connects fail), without restarting the dockerd other tests share.
 */
export class CuttableEngineSocket {
  readonly path: string;
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly target = ENGINE_SOCKET) {
    this.path = path.join(tempDir('chs-sock-'), 'docker.sock');
  }

  async up(): Promise<void> {
    fs.rmSync(this.path, { force: true });
    const server = net.createServer((client) => {
      const upstream = net.connect(this.target);
      this.sockets.add(client).add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.path, resolve));
    this.server = server;
  }

  /** The engine "stops": open streams are cut, new connections fail. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((r) => server.close(() => r()));
    fs.rmSync(this.path, { force: true });
  }

  async close(): Promise<void> {
    await this.cut();
    fs.rmSync(path.dirname(this.path), { recursive: true, force: true });
  }
}
