/**
 * The daemon's log: timestamped lines on a stream (stdout; a file when the extension starts the
 * daemon, extension/daemonLauncher.ts). When what reads it goes away (`serve | tee log` and tee
 * ends), every write fails with EPIPE. Node does not die of SIGPIPE as other programs do, and the
 * daemon logs uncaught errors to the same stream, so each failure used to log the next one: the
 * process spun on a core and no longer handled SIGTERM. Now the first failure stops the log for
 * good and is reported once, through `onBroken` (cli/serveCommand.ts stops the daemon on EPIPE).
 */
export function daemonLog(
  stream: NodeJS.WritableStream,
  onBroken: (err: NodeJS.ErrnoException) => void,
): (line: string) => void {
  let broken = false;
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (broken) return;
    broken = true;
    onBroken(err);
  });
  return (line) => {
    if (!broken) stream.write(`${new Date().toISOString()} ${line}\n`);
  };
}
