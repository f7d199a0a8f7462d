import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DaemonStatus } from '../proxy-core/src/control/apiTypes';
import { ControlClient } from '../proxy-core/src/control/controlClient';
import { Shutdown, Status } from '../proxy-core/src/control/protocol';
import { UserError, errorMessage } from '../proxy-core/src/errors';
import { ensureDir } from '../proxy-core/src/fsUtil';
import { statePaths } from '../proxy-core/src/paths';

/**
 * glibc malloc settings for the daemon, unless the user's own environment sets them (glibc reads
 * both only at process start, hence the environment rather than a re-exec of `serve`: the
 * daemon's pid must stay the one spawned here; the proxy workers inherit them). Each thread that
 * mallocs gets its own arena (up to 8 per core), and V8's background threads left ~13 MB in theirs
 * in the idle daemon: two arenas are enough. Freed memory at the top of the heap is given back
 * once 64 KB of it are free instead of 128 KB+ (glibc raises that threshold as it goes), which
 * is what lets the daemon shrink after a burst of connections. Together about -10 MB idle after
 * a burst; no CPU cost measurable here (docs/performance.md, "Footprint (issue 18)").
 */
export const DAEMON_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_TRIM_THRESHOLD_: '65536',
};

export interface LaunchOptions {
  stateDir: string;
  /** The bundled CLI (dist/cli.js next to dist/extension.js). */
  cliPath: string;
  args: string[];
  env: Record<string, string>;
  log: (line: string) => void;
  timeoutMs?: number;
}

export interface Attached {
  status: DaemonStatus;
  /** True when this call started the daemon, false when one was already running. */
  started: boolean;
}

/**
 * Finds the daemon of a state dir through its control socket, or starts one: the extension
 * host's own runtime (Electron on desktop, Node in a server workbench) running the bundled CLI,
 * detached so it outlives this window and serves every other window too.
 */
export async function attachOrStart(opts: LaunchOptions): Promise<Attached> {
  const client = new ControlClient(opts.stateDir);
  const running = await status(client);
  if (running) return { status: running, started: false };

  const paths = statePaths(opts.stateDir);
  ensureDir(opts.stateDir);
  const logOffset = fileSize(paths.logFile);
  const out = fs.openSync(paths.logFile, 'a');
  opts.log(
    `starting the proxy: ${path.basename(process.execPath)} ${path.basename(opts.cliPath)} ${opts.args.join(' ')}`,
  );
  const child = spawn(process.execPath, [opts.cliPath, ...opts.args], {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...DAEMON_ENV, ...process.env, ...opts.env, ELECTRON_RUN_AS_NODE: '1' },
    windowsHide: true,
  });
  fs.closeSync(out);
  let exit: number | undefined;
  child.once('exit', (code) => (exit = code ?? 1));
  child.once('error', (err) => {
    exit = 1;
    opts.log(`could not run ${process.execPath}: ${errorMessage(err)}`);
  });
  child.unref();

  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  for (;;) {
    const s = await status(client, 1000);
    if (s) return { status: s, started: s.pid === child.pid };
    if (exit !== undefined) {
      // Another window may have won the race for the pid lock: its daemon is just as good.
      const other = await status(client);
      if (other) return { status: other, started: false };
      throw new UserError(startFailure(paths.logFile, logOffset, exit), 'EDAEMONSTART');
    }
    if (Date.now() > deadline) {
      throw new UserError(
        `The proxy did not answer on ${client.socketPath} within ${Math.round((opts.timeoutMs ?? 20_000) / 1000)} s. See its log: ${paths.logFile}`,
        'EDAEMONSTART',
      );
    }
    await delay(100);
  }
}

/** Asks the daemon to stop and waits until its socket is gone. */
export async function stopDaemon(stateDir: string, timeoutMs = 10_000): Promise<void> {
  const client = new ControlClient(stateDir);
  try {
    await client.call(Shutdown, { timeoutMs: 3000 });
  } catch {
    return; // not running
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && (await status(client, 500))) await delay(100);
}

async function status(client: ControlClient, timeoutMs = 3000): Promise<DaemonStatus | undefined> {
  return client.call(Status, { timeoutMs }).catch(() => undefined);
}

/** The CLI prints one "container-https: <reason>" line when serve fails; that is the message. */
function startFailure(logFile: string, offset: number, code: number): string {
  let text = '';
  try {
    const fd = fs.openSync(logFile, 'r');
    const size = fs.fstatSync(fd).size;
    const buf = Buffer.alloc(Math.min(size - offset, 64 * 1024));
    fs.readSync(fd, buf, 0, buf.length, Math.max(offset, size - buf.length));
    fs.closeSync(fd);
    text = buf.toString('utf8');
  } catch {
    /* no log */
  }
  const reason = text
    .split('\n')
    .map((l) => l.trim())
    .reverse()
    .find((l) => l.startsWith('container-https: '));
  if (reason) return reason.slice('container-https: '.length);
  return `The proxy exited with code ${code} while starting. See its log: ${logFile}`;
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
