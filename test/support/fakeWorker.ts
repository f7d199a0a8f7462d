/**
 * A stand-in proxy worker for WorkerPool tests (a mock: it serves nothing). It records every
 * state message it applies in the file named by FAKE_WORKER_LOG, acknowledging init at once and
 * later messages only after FAKE_WORKER_DELAY_MS, so a test can see whether the pool waited.
 */
import * as fs from 'node:fs';

const logFile = process.env.FAKE_WORKER_LOG!;
const delay = Number(process.env.FAKE_WORKER_DELAY_MS ?? 0);

process.on('message', (msg: { t: string; seq?: number; routes?: Array<{ record: { host: string } }> }) => {
  if (msg.seq === undefined) return;
  const apply = () => {
    fs.appendFileSync(
      logFile,
      `${JSON.stringify({ t: msg.t, seq: msg.seq, hosts: msg.routes?.map((r) => r.record.host) })}\n`,
    );
    process.send!({ t: 'ack', seq: msg.seq });
  };
  if (msg.t === 'init' || !delay) apply();
  else setTimeout(apply, delay);
});
process.on('disconnect', () => process.exit(0));
