// What `npm test` does when it is told to stop (Ctrl-C, or a SIGTERM from CI or a supervisor)
// while its services are up: the command running then gets the signal too, with every process
// it started, nothing after it is started, and the caller's cleanup still runs, so a dockerd,
// podman or pebble the run started is stopped instead of being left behind. The run then exits
// as the signal would have (130, 143).
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

export class Interruptible {
  /** The first SIGINT or SIGTERM received, once one has been. */
  signal = undefined;
  #child = undefined;
  #onSignal = (name) => {
    this.signal ??= name;
    // The command runs in a process group of its own (detached), so that a SIGTERM sent to this
    // process alone reaches the test files node --test has started as well; for the same reason
    // a terminal's Ctrl-C reaches them only through here.
    if (this.#child) {
      try {
        process.kill(-this.#child.pid, name);
      } catch {
        /* the group is gone */
      }
    }
  };

  constructor() {
    for (const name of ['SIGINT', 'SIGTERM']) process.on(name, this.#onSignal);
  }

  /** Runs a command to its end with the terminal's stdio; its exit code, or 1 if a signal ended it. */
  run(cmd, args, opts = {}) {
    if (this.signal) return Promise.resolve(1);
    return new Promise((resolve) => {
      const child = spawn(cmd, args, { stdio: 'inherit', ...opts, detached: true });
      this.#child = child;
      child.on('error', () => resolve(1));
      child.on('exit', (code) => {
        this.#child = undefined;
        resolve(code ?? 1);
      });
    });
  }

  /** The exit code the run ends with, given the one it would have had. */
  exitCode(code) {
    return this.signal ? 128 + constants.signals[this.signal] : code;
  }
}
