import type { CaptureSummary } from '../capture/types';

/** One line per request for a terminal: id, time, method, status, host+path, duration, size. */
export function requestRow(s: CaptureSummary, width: number): string {
  const time = s.startedAt.slice(11, 19);
  const status = s.error && !s.status ? s.error.kind.toUpperCase().slice(0, 5) : String(s.status || '-');
  const duration = formatDuration(s.durationMs);
  const size = formatSize(s.bytesOut);
  const fixed = `${pad(s.id, 10)} ${time} ${pad(s.method, 7)} ${pad(status, 5)} `;
  const tail = ` ${padStart(duration, 8)} ${padStart(size, 7)}${s.replayOf ? `  (replay of ${s.replayOf})` : ''}`;
  const room = Math.max(20, width - fixed.length - tail.length);
  let where = `${s.host}${s.url}`;
  if (where.length > room) where = `${where.slice(0, room - 1)}…`;
  return `${fixed}${pad(where, room)}${tail}`;
}

export function requestHeader(width: number): string {
  const fixed = `${pad('ID', 10)} ${pad('TIME', 8)} ${pad('METHOD', 7)} ${pad('CODE', 5)} `;
  const tail = ` ${padStart('TIME', 8)} ${padStart('SIZE', 7)}`;
  return `${fixed}${pad('HOST/PATH', Math.max(20, width - fixed.length - tail.length))}${tail}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)}ms`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes}B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)}K`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 / 1024).toFixed(1)}M`;
  return `${(bytes / 1024 ** 3).toFixed(1)}G`;
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const padStart = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);
