// What `npm test` does when it is told to stop (Ctrl-C, or a SIGTERM from CI or a supervisor)
// while its services are up: the command running then gets the signal too, with every process
// it started, nothing after it is started, and the caller's cleanup still runs, so a dockerd,
// podman or pebble the run started is stopped instead of being left behind. The cleanup waits
// until every process of the command's group has finished (killing what is left after a grace
// period). The run then exits as the signal would have (130, 143).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { allPids, procStat } from './procStat.cjs';

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

  #graceMs;

  /**
   * `graceMs`: after a signal, how long the processes of the command's group may take to finish
   * once the command itself has exited, before they are killed.
   */
  constructor({ graceMs = 10_000 } = {}) {
    this.#graceMs = graceMs;
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
        // node --test exits as soon as it is signalled, but its test files may go on for a while
        // (a sync step, their own cleanup): the caller's cleanup (stopping the services, sweeping
        // namespaces) must wait for them, or it runs while they still use what it removes.
        const drained = this.signal ? this.#drain(child.pid) : Promise.resolve();
        void drained.then(() => resolve(code ?? 1));
      });
    });
  }

  async #drain(group) {
    const deadline = Date.now() + this.#graceMs;
    while (groupAlive(group) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (!groupAlive(group)) return;
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
    for (let i = 0; i < 20 && groupAlive(group); i++) await new Promise((r) => setTimeout(r, 50));
  }

  /** The exit code the run ends with, given the one it would have had. */
  exitCode(code) {
    return this.signal ? 128 + constants.signals[this.signal] : code;
  }
}

/** Whether a process of the group still runs (a zombie waiting for its reaper does not count). */
function groupAlive(group) {
  if (!existsSync('/proc/self/stat')) {
    try {
      process.kill(-group, 0);
      return true;
    } catch {
      return false;
    }
  }
  return allPids().some((pid) => {
    const stat = procStat(pid); // undefined: exited meanwhile
    return stat !== undefined && stat.state !== 'Z' && stat.pgrp === group;
  });
}
