import * as fs from 'node:fs';
import { readFileIfExists, writeFileAtomic } from '../fsUtil';

/** One stored share: the host, its LAN name and, with --lan-auth, the user and a bcrypt hash. */
export interface StoredShare {
  host: string;
  name: string;
  createdAt: string;
  auth?: { user: string; hash: string };
}

const FORMAT = 1;

/**
 * The shared routes on disk (lan.json in the state dir, 0600), so a restart keeps them on the
 * LAN as routes.json keeps the routes. A file that cannot be read is moved aside, never dropped.
 */
export class LanShareStore {
  private writing = Promise.resolve();

  constructor(private readonly file: string) {}

  load(now = new Date()): { shares: StoredShare[]; problem?: string } {
    const text = readFileIfExists(this.file);
    if (text === undefined) return { shares: [] };
    try {
      const data = JSON.parse(text) as { shares?: unknown };
      if (!data || !Array.isArray(data.shares)) throw new Error('it has no "shares" array');
      const shares = data.shares.filter(isShare);
      if (shares.length !== data.shares.length) throw new Error('a share is not {host, name, createdAt[, auth]}');
      return { shares };
    } catch (err) {
      const movedTo = `${this.file}.corrupt-${now.toISOString().replace(/[:.]/g, '-')}`;
      fs.renameSync(this.file, movedTo);
      return {
        shares: [],
        problem: `lan.json could not be read (${(err as Error).message}); it was moved to ${movedTo} and no route is shared on the LAN. Share them again with container-https share HOST.`,
      };
    }
  }

  save(shares: StoredShare[]): Promise<void> {
    const text = JSON.stringify({ version: FORMAT, shares }, null, 2) + '\n';
    this.writing = this.writing.then(() => writeFileAtomic(this.file, text, 0o600));
    return this.writing;
  }
}

function isShare(v: unknown): v is StoredShare {
  const s = v as StoredShare;
  return (
    typeof s?.host === 'string' &&
    typeof s.name === 'string' &&
    typeof s.createdAt === 'string' &&
    (s.auth === undefined || (typeof s.auth.user === 'string' && typeof s.auth.hash === 'string'))
  );
}
