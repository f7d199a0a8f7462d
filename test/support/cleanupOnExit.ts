/**
 * Runs `cleanup` (synchronous) when the test process exits, and also when it is told to stop by
 * SIGINT or SIGTERM: a test file killed that way runs neither its `after` hooks nor 'exit'
 * listeners, and `npm test` passes its signals to every test file (test/services/interrupt.mjs).
 * After a signal the process stops as the signal would have. Returns the function that disarms it.
 */
export function cleanupOnExit(cleanup: () => void): () => void {
  const onExit = () => cleanup();
  const onSignal = (signal: NodeJS.Signals) => {
    // The signal often comes twice (npm test's to the process group, the test runner's to its
    // child): a second one must not find the default handler back and cut the cleanup short.
    const ignore = () => undefined;
    process.on('SIGINT', ignore).on('SIGTERM', ignore);
    disarm();
    cleanup();
    process.off('SIGINT', ignore).off('SIGTERM', ignore);
    process.kill(process.pid, signal);
  };
  const disarm = () => {
    process.off('exit', onExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  process.on('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return disarm;
}
