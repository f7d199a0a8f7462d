#!/usr/bin/env node
import { errorMessage, isUserError } from './errors';
import { VERSION } from './version';
import { COMMANDS, usage } from './cli/commands';

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  // `requests --follow | head`: once the reader has what it wanted, end quietly, as grep or cat do,
  // instead of dying on an unhandled EPIPE with a stack. serve's log has its own (cli/daemonLog.ts).
  if (name !== 'serve')
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      process.exit(0);
    });
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
