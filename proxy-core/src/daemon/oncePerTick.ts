/**
 * A trigger that runs fn once, on the next tick, however often it is pulled in this one: a table
 * change, a certificate and an ACME event in one go make one broadcast, not three.
 */
export function oncePerTick(fn: () => void): () => void {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    process.nextTick(() => {
      queued = false;
      fn();
    });
  };
}
