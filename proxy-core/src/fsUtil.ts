import * as fs from 'node:fs';
import * as path from 'node:path';

export function ensureDir(dir: string, mode = 0o700): void {
  fs.mkdirSync(dir, { recursive: true, mode });
}

/**
 * Write through a temp file and rename, so a crash never leaves half a file behind. The temp
 * name carries pid and a counter so concurrent writers in one process never share one.
 */
let counter = 0;
export function writeFileAtomic(file: string, data: string | Buffer, mode = 0o600): void {
  ensureDir(path.dirname(file));
  const tmp = `${file}${TEMP_MARK}${process.pid}-${++counter}`;
  const fd = fs.openSync(tmp, 'w', mode);
  try {
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.chmodSync(tmp, mode);
    fs.renameSync(tmp, file);
  } catch (err) {
    // A failed write must not leave its temp file behind (one more at every retry).
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/** What writeFileAtomic puts between the file name and pid: `routes.json.tmp-123-4`. */
export const TEMP_MARK = '.tmp-';

/** A path that exists but is not a regular file (a directory where a file belongs), else undefined. */
export function notAFile(file: string): string | undefined {
  try {
    return fs.statSync(file).isFile() ? undefined : file;
  } catch {
    return undefined;
  }
}

export function readFileIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
