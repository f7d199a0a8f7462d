import * as path from 'node:path';
import { errorMessage } from '../errors';

/** Gives glibc's free pages back to the system; true if there were any. */
export type TrimNativeHeap = () => boolean;

export type NativeHeapTrim = { trim: TrimNativeHeap } | { unavailable: string };

/**
 * The daemon's native-heap trim, dist/heapTrim-linux-<arch>.node (built from
 * proxy-core/native/heapTrim.c for x64 and arm64 by scripts/build.mjs). Only glibc keeps free
 * memory this way, so only Linux has it; without it the daemon runs as before and says why once
 * (`unavailable`), e.g. when no C compiler built it, the arch has no build (32-bit ARM), or the
 * system's C library is not glibc.
 */
export function loadNativeHeapTrim(dir: string = __dirname): NativeHeapTrim {
  if (process.platform !== 'linux') return { unavailable: 'only Linux needs it' };
  const file = path.join(dir, heapTrimFile(process.arch));
  const addon = { exports: {} as { trim?: unknown } };
  try {
    process.dlopen(addon, file);
  } catch (err) {
    return { unavailable: `${file} did not load: ${errorMessage(err)}` };
  }
  const trim = addon.exports.trim;
  if (typeof trim !== 'function') return { unavailable: `${file} has no trim()` };
  return { trim: () => trim() === true };
}

/** The addon's file name for a Linux arch (process.arch), as scripts/build.mjs names it. */
export const heapTrimFile = (arch: string): string => `heapTrim-linux-${arch}.node`;
