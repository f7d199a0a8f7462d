import type * as net from 'node:net';

/** Listens on bind:port; rejects with the listen error (EADDRINUSE, EACCES) for listenErrors.ts to word. */
export function listen(server: net.Server, port: number, bind: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(err);
    server.once('error', onError);
    server.listen(port, bind);
    server.once('listening', () => {
      server.removeListener('error', onError);
      resolve();
    });
  });
}
