#!/usr/bin/env node
import { errorMessage, isUserError } from './errors';
import { VERSION } from './version';
import { COMMANDS, usage } from './cli/commands';

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  // `routes | head -1`: once the reader has gone, what is left to print is dropped, but the command
  // still finishes its work (a `ports setup` half done would be worse than a lost line) and exits
  // with its own code, instead of dying on an unhandled EPIPE with a stack. `requests --follow`
  // ends then too (cli/requestCommands.ts); serve's log has its own handling (cli/daemonLog.ts).
  if (name !== 'serve')
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
    });
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`container-https: unknown command "${name}". See: container-https help\n`);
    return 2;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    // Expected failures are one line; anything else is a bug and keeps its stack.
    if (isUserError(err)) process.stderr.write(`container-https: ${err.message}\n`);
    else
      process.stderr.write(
        `container-https: ${errorMessage(err)}\n${err instanceof Error && process.env.CONTAINER_HTTPS_DEBUG ? err.stack + '\n' : ''}`,
      );
    process.exitCode = isUserError(err) && err.code === 'EUSAGE' ? 2 : 1;
  },
);
