import * as fs from 'node:fs';
import { UserError } from '../errors';

/**
 * One daemon per state dir: an exclusive pid file. A pid file left by a dead process is taken
 * over; one held by a live process is an error naming that pid.
 */
export function acquirePidLock(pidFile: string, stateDir: string): () => void {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(pidFile, 'wx', 0o600);
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      return () => {
        try {
          if (fs.readFileSync(pidFile, 'utf8').trim() === String(process.pid)) fs.rmSync(pidFile);
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new UserError(
          `A Container HTTPS daemon (pid ${pid}) is already running for state dir ${stateDir}. Use it (container-https routes), stop it, or pick another --state-dir.`,
          'EALREADYRUNNING',
          409,
        );
      }
      fs.rmSync(pidFile, { force: true });
    }
  }
  throw new UserError(
    `Could not take the daemon lock ${pidFile}; another daemon is starting at the same moment.`,
    'EALREADYRUNNING',
    409,
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A pid from a crashed daemon may since belong to an unrelated process.
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('serve');
  } catch {
    return true; // no /proc (macOS, Windows): trust the signal check
  }
}
