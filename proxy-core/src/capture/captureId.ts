import * as crypto from 'node:crypto';

/**
 * Ids unique across the daemon and its workers without asking one another: a random prefix per
 * process and a counter (`k3f9.1a`). Short, so `container-https replay ID` is easy to type.
 */
const prefix = crypto.randomBytes(3).readUIntBE(0, 3).toString(36).padStart(4, '0').slice(-4);
let counter = 0;

export function nextCaptureId(): string {
  return `${prefix}.${(++counter).toString(36)}`;
}
