import * as fs from 'node:fs';

/**
 * Calls onGone once when the state dir is removed (`rm -rf` while the daemon runs), also when it
 * is made again at once: the pid lock, the CA key and the control socket went with it, so this
 * daemon no longer owns that dir and cannot be reached there. A directory made again often gets
 * the same inode number back, so `marker`, a file this daemon keeps in the dir (daemon.pid),
 * must still exist too. fs.watch reports the removal at once where it can; a slow stat is the
 * fallback where it cannot. Returns the stop function.
 */
export function watchStateDir(dir: string, marker: string, onGone: (dir: string) => void, everyMs = 2000): () => void {
  const identity = identityOf(fs.statSync(dir));
  let watcher: fs.FSWatcher | undefined;
  let stopped = false;
  const timer = setInterval(() => check(), everyMs);
  timer.unref();
  const stop = () => {
    stopped = true;
    clearInterval(timer);
    watcher?.close();
  };
  const check = () => {
    if (stopped || (stillThere(dir, identity) && stillThere(marker))) return;
    stop();
    onGone(dir);
  };
  try {
    watcher = fs.watch(dir, { persistent: false }, check);
    watcher.on('error', check);
  } catch {
    // No watching here: the timer alone notices, a little later.
  }
  return stop;
}

function identityOf(st: fs.Stats): string {
  return `${st.dev}:${st.ino}`;
}

function stillThere(file: string, identity?: string): boolean {
  try {
    const st = fs.statSync(file);
    return identity === undefined || (st.isDirectory() && identityOf(st) === identity);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Only "not there" counts; a passing EACCES or EMFILE must not stop the daemon.
    return code !== 'ENOENT' && code !== 'ENOTDIR';
  }
}
