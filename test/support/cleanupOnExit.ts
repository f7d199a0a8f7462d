/**
 * Runs `cleanup` (synchronous) when the test process exits, and also when it is told to stop by
 * SIGINT or SIGTERM: a test file killed that way runs neither its `after` hooks nor 'exit'
 * listeners, and `npm test` passes its signals to every test file (test/services/interrupt.mjs).
 * After a signal the process stops as the signal would have. Returns the function that disarms it.
 */
export function cleanupOnExit(cleanup: () => void): () => void {
  const onExit = () => cleanup();
  const onSignal = (signal: NodeJS.Signals) => {
    disarm();
    cleanup();
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
