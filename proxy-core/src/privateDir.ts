import * as fs from 'node:fs';
import { UserError } from './errors';

/**
 * Why `dir` is not a private directory of user `uid`, or undefined when it is. Checked with lstat:
 * a real directory (not a symlink another user could point elsewhere), owned by `uid`, with no
 * access for group or others. Errors from lstat (ENOENT included) are thrown to the caller.
 */
export function privateDirProblem(dir: string, uid: number): string | undefined {
  const st = fs.lstatSync(dir);
  if (st.isSymbolicLink()) return 'it is a symbolic link, not a directory (remove it)';
  if (!st.isDirectory()) return 'it is not a directory (remove it)';
  if (st.uid !== uid)
    return `it is owned by uid ${st.uid}, not by you (uid ${uid}) (remove it as root or as uid ${st.uid})`;
  if (st.mode & 0o077)
    return `its mode is ${(st.mode & 0o777).toString(8).padStart(4, '0')}, it must be 0700 (chmod 700 ${dir})`;
  return undefined;
}

/** True when `dir` exists and passes privateDirProblem. */
export function isPrivateDir(dir: string, uid: number): boolean {
  try {
    return privateDirProblem(dir, uid) === undefined;
  } catch {
    return false;
  }
}

/** The one-line error for a control socket directory that is not private; daemon and client both give it. */
export function socketDirError(dir: string, problem: string): UserError {
  return new UserError(
    `Refusing the control socket directory ${dir}: ${problem}. Another local user may have made it to impersonate or block the daemon; fix it, or set XDG_RUNTIME_DIR to your private runtime directory, or use a shorter --state-dir.`,
    'ESOCKETDIR',
    403,
  );
}

/**
 * Creates `dir` with mode 0700 if it is missing (its parent must exist: the temp dir or
 * XDG_RUNTIME_DIR) and refuses it, with socketDirError, unless it is private to `uid`.
 */
export function ensurePrivateDir(dir: string, uid: number): void {
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const problem = privateDirProblem(dir, uid);
  if (problem) throw socketDirError(dir, problem);
}
