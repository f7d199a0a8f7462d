import { UserError } from '../errors';

/**
 * The Docker network Traefik reaches containers on: the static configuration
 * (traefikToml.ts), the labels (composeLabels.ts) and the stack (stack.ts) all name it, and
 * check it the same way.
 */
export const DEFAULT_NETWORK = 'proxy';

/** Docker network names: letters, digits and `_.-`, starting with a letter or digit. */
export function checkNetwork(network: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(network)) {
    throw new UserError(`"${network}" is not a Docker network name: use letters, digits, "_", "." or "-".`, 'EUSAGE');
  }
  return network;
}
