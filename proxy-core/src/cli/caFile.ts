import * as fs from 'node:fs';
import { UserError } from '../errors';

/** The local CA's certificate file, or the error that says when it will exist. */
export function requireCaFile(file: string): string {
  if (!fs.existsSync(file))
    throw new UserError(
      `No local CA yet at ${file}: it is created the first time the daemon starts (container-https serve).`,
      'ENOCA',
    );
  return file;
}
