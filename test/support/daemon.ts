import { spawn, ChildProcess, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DaemonStatus } from '../../proxy-core/src/control/apiTypes';
import { ControlClient } from '../../proxy-core/src/control/controlClient';
import { Daemon, DaemonOptions } from '../../proxy-core/src/daemon/daemon';
import { CLI, tempDir } from './env';
import { until } from './wait';

/** An in-process daemon on free ports with a fresh state dir. */
export async function startDaemon(
  overrides: Partial<DaemonOptions> = {},
): Promise<{ daemon: Daemon; stateDir: string; ca: string; logs: string[] }> {
  const stateDir = overrides.stateDir ?? tempDir();
  const logs: string[] = [];
  const daemon = await Daemon.start({
    stateDir,
    httpsPort: 0,
    httpPort: 0,
    bind: '127.0.0.1',
    demo: false,
    backendTimeoutMs: 30_000,
    log: (l) => logs.push(l),
    ...overrides,
  });
  return { daemon, stateDir, ca: fs.readFileSync(daemon.paths.caCert, 'utf8'), logs };
}

/** `container-https serve` as a child process, the way a user runs it. */
export async function spawnServe(
  args: string[],
  stateDir = tempDir(),
  env: NodeJS.ProcessEnv = {},
): Promise<{
  child: ChildProcess;
  stateDir: string;
  status: DaemonStatus;
  output: () => string;
  stop: () => Promise<void>;
}> {
  let output = '';
  const child = spawn(process.execPath, [CLI, 'serve', '--state-dir', stateDir, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const client = new ControlClient(stateDir);
  const deadline = Date.now() + 15_000;
  let status: DaemonStatus | undefined;
  while (!status) {
    if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}: ${output}`);
    if (Date.now() > deadline) throw new Error(`serve did not start within 15 s: ${output}`);
    status = await client.request<DaemonStatus>('GET', '/v1/status', undefined, 1000).catch(() => undefined);
    if (!status) await new Promise((r) => setTimeout(r, 50));
  }
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  return { child, stateDir, status, output: () => output, stop };
}

/** Runs the CLI to completion. */
export function cli(args: string[], env: NodeJS.ProcessEnv = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Same as cli() but asynchronous: for concurrency tests, and for a daemon in the test process (spawnSync would block it). */
export function cliAsync(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export function caFile(stateDir: string): string {
  return path.join(stateDir, 'ca', 'root.pem');
}

/** The status of a `serve` child once its one worker is ready (a worker starts after the daemon). */
export function untilWorkerReady(stateDir: string): Promise<DaemonStatus> {
  const client = new ControlClient(stateDir);
  return until(
    'the worker',
    async () => {
      const s = await client.request<DaemonStatus>('GET', '/v1/status');
      return s.https.workers?.ready === 1 && s;
    },
    10_000,
  );
}
