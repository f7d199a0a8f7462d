// The tests' own network namespaces, made, entered and deleted by the harness's module
// (test/services/netns.cjs), typed here for the compiled tests.
import * as path from 'node:path';
import { ROOT } from './env';

interface Netns {
  /** Creates the namespace `name` with loopback up, or throws with `ip`'s own words. */
  createNamespace(name: string): string;
  /** `<name>-p<owner>`: the name of a namespace owned by a process (default: this one), for sweepOrphans. */
  ownedName(name: string, owner?: number): string;
  /** Creates `<prefix><6 hex>-p<owner>` with loopback up and returns its name. */
  addNamespace(prefix: string, owner?: number): string;
  /** The argv prefix (`nsenter --net=…`) that runs a program in the namespace. */
  inNamespace(name: string): string[];
  /** The processes in the namespace. */
  namespacePids(name: string): number[];
  /** SIGKILLs what runs in the namespace and what those started; how many it signalled. */
  killNamespace(name: string): number;
  /** killNamespace, then deletes it; false if it is still there. */
  deleteNamespace(name: string): boolean;
  /** Deletes the `<prefix>…-p<pid>` namespaces whose owner has gone; their names. */
  sweepOrphans(prefix?: string): string[];
}

// Loaded from the source tree, not out/: the harness uses it before anything is compiled.
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const namespaces = require(path.join(ROOT, 'test/services/netns.cjs')) as Netns;
