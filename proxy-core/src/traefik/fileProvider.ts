import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors';
import { emptyConfig, HttpConfig } from './dynamic';
import { decodeFile, FileDecoded, isConfigFileName } from './fileConfig';

/** What the provider serves: the merged `http` sections, one line per problem, the files read. */
export interface FileProviderSnapshot {
  config: HttpConfig;
  problems: string[];
  /** The configuration files found, in the order they were merged (absolute paths). */
  files: string[];
}

export interface FileProviderOptions {
  /** Quiet time after the last change before reloading: editors write a file in several steps. */
  debounceMs?: number;
}

interface FileState {
  text: string;
  /** The file's last configuration that could be read: what keeps serving while it is broken. */
  good?: FileDecoded;
  current: FileDecoded;
}

/**
 * Traefik's file provider for the local proxy: `path` is a file (as providers.file.filename)
 * or a directory (as providers.file.directory: every .yml, .yaml and .toml file directly in it,
 * by name). Emits 'config' with a FileProviderSnapshot on start and whenever a change alters
 * it. A file that cannot be read (syntax error, template) keeps its last good configuration and
 * adds its error to the problems; a removed file's configuration goes.
 *
 * The path must exist when start() is called: it cannot tell a file from a directory otherwise,
 * and a path that was never there is far more often a mistake than a file still to come.
 */
export class TraefikFileProvider extends EventEmitter {
  private readonly root: string;
  private readonly debounceMs: number;
  private isDirectory = false;
  private watcher?: fs.FSWatcher;
  private timer?: NodeJS.Timeout;
  private loading?: Promise<void>;
  private again = false;
  private closed = false;
  private readonly states = new Map<string, FileState>();
  private last?: string;
  private watchProblem?: string;

  constructor(target: string, options: FileProviderOptions = {}) {
    super();
    this.root = path.resolve(target);
    this.debounceMs = options.debounceMs ?? 100;
  }

  /** Loads, emits the first snapshot, and watches. Throws a UserError when the path is unusable. */
  async start(): Promise<FileProviderSnapshot> {
    let stat: fs.Stats;
    try {
      stat = await fs.promises.stat(this.root);
    } catch {
      throw new UserError(
        `Traefik file provider: ${this.root} does not exist; pass the file of providers.file.filename or the directory of providers.file.directory`,
        'ENOENT',
      );
    }
    this.isDirectory = stat.isDirectory();
    if (!this.isDirectory && !isConfigFileName(this.root)) {
      throw new UserError(
        `Traefik file provider: ${this.root} is not a .yml, .yaml or .toml file; pass a dynamic configuration file or its directory`,
        'EUSAGE',
      );
    }
    // Editors save by writing a new file and renaming it over the old one, which ends a watch
    // on the file itself: the directory is watched instead. Not persistent: whoever serves the
    // configuration keeps the process alive, the watch alone does not.
    const dir = this.isDirectory ? this.root : path.dirname(this.root);
    this.watcher = fs.watch(dir, { persistent: false }, (_event, name) => {
      if (!this.isDirectory && name !== null && name !== path.basename(this.root)) return;
      this.schedule();
    });
    this.watcher.on('error', (err) => {
      this.watchProblem = `${dir}: no longer watched (${err.message}); restart the proxy to read changes`;
      this.watcher?.close();
      this.watcher = undefined;
      this.schedule();
    });
    await this.reload();
    return this.snapshot();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
  }

  /** The current snapshot, as last emitted. */
  snapshot(): FileProviderSnapshot {
    return this.last ? JSON.parse(this.last) : { config: emptyConfig(), problems: [], files: [] };
  }

  private schedule(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.reload();
    }, this.debounceMs);
  }

  /** One reload at a time; a change during one asks for another after it. */
  private async reload(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = (async () => {
      do {
        this.again = false;
        await this.readAll();
      } while (this.again && !this.closed);
    })();
    try {
      await this.loading;
    } finally {
      this.loading = undefined;
    }
  }

  private async listFiles(): Promise<string[] | string> {
    if (!this.isDirectory) return [this.root];
    try {
      const entries = await fs.promises.readdir(this.root, { withFileTypes: true });
      return entries
        .filter((e) => !e.isDirectory() && isConfigFileName(e.name))
        .map((e) => path.join(this.root, e.name))
        .sort();
    } catch (err) {
      return `${this.root}: cannot be read (${(err as Error).message}); its configuration is dropped until it is back`;
    }
  }

  private async readAll(): Promise<void> {
    const listed = await this.listFiles();
    const problems: string[] = [];
    if (this.watchProblem) problems.push(this.watchProblem);
    const files: string[] = [];
    if (typeof listed === 'string') problems.push(listed);
    const present = new Set<string>();
    for (const file of typeof listed === 'string' ? [] : listed) {
      let text: string;
      try {
        text = await fs.promises.readFile(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          if (!this.isDirectory) problems.push(`${file}: not there (removed?); its routers come back when it does`);
          continue;
        }
        // Unreadable for now (permissions, a directory by that name): like a syntax error.
        present.add(file);
        files.push(file);
        const kept = this.states.get(file)?.good ? ' (the last good version of this file keeps serving)' : '';
        problems.push(`${path.basename(file)}: cannot be read (${(err as Error).message})${kept}`);
        continue;
      }
      present.add(file);
      files.push(file);
      let state = this.states.get(file);
      if (!state || state.text !== text) {
        const current = decodeFile(text, path.basename(file));
        state = { text, current, good: current.unreadable ? state?.good : current };
        this.states.set(file, state);
      }
      for (const p of state.current.problems) {
        problems.push(
          state.current.unreadable && state.good ? `${p} (the last good version of this file keeps serving)` : p,
        );
      }
    }
    for (const file of [...this.states.keys()]) if (!present.has(file)) this.states.delete(file);

    const config = emptyConfig();
    const origin: Record<keyof HttpConfig, Map<string, string>> = {
      routers: new Map(),
      services: new Map(),
      middlewares: new Map(),
    };
    for (const file of files) {
      const good = this.states.get(file)?.good;
      if (!good) continue;
      for (const kind of ['routers', 'services', 'middlewares'] as const) {
        const into = config[kind] as Record<string, unknown>;
        for (const [name, value] of Object.entries(good.config[kind])) {
          const first = origin[kind].get(name);
          if (first !== undefined) {
            // As Traefik's file provider: the first file (by name) keeps the name.
            problems.push(
              `${path.basename(file)}: ${kind.slice(0, -1)} "${name}" is also declared in ${first}; the one in ${first} is used`,
            );
            continue;
          }
          origin[kind].set(name, path.basename(file));
          Object.defineProperty(into, name, { value, enumerable: true, writable: true, configurable: true });
        }
      }
    }
    if (this.closed) return;
    const snapshot: FileProviderSnapshot = { config, problems, files };
    const text = JSON.stringify(snapshot);
    if (text === this.last) return;
    this.last = text;
    this.emit('config', JSON.parse(text) as FileProviderSnapshot);
  }
}
