import * as fs from 'node:fs';
import { captureFilter, parseCaptureQuery } from '../capture/captureQuery';
import { toHar } from '../capture/har';
import type { CaptureRecord, CaptureSummary } from '../capture/types';
import { ControlClient } from '../control/controlClient';
import { ReplayRequest, RequestDetail, Requests } from '../control/protocol';
import { UserError } from '../errors';
import { resolveStateDir } from '../paths';
import { VERSION } from '../version';
import { bool, parseArgs, str } from './args';
import { requestHeader, requestRow } from './requestTable';

/** `container-https requests [HOST] …`: the request inspector in a terminal. */
export async function requestsCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    strings: ['state-dir', 'har', 'status', 'limit', 'method', 'q'],
    booleans: ['follow', 'json', 'show-secrets'],
  });
  const [host, ...extra] = args.positional;
  if (extra.length)
    throw new UserError(
      'Usage: container-https requests [HOST] [--follow] [--json] [--har FILE] [--status 5xx] [--limit N]',
      'EUSAGE',
    );
  const query: Record<string, string> = {};
  for (const [key, value] of [
    ['host', host],
    ['status', str(args, 'status')],
    ['method', str(args, 'method')],
    ['q', str(args, 'q')],
    ['limit', str(args, 'limit') ?? '50'],
  ] as const)
    if (value) query[key] = value;
  // Checked here too, so a typo is one line before anything is asked of the daemon.
  const filter = captureFilter(parseCaptureQuery(new URLSearchParams(query)));
  const client = new ControlClient(resolveStateDir(str(args, 'state-dir')));
  const showSecrets = bool(args, 'show-secrets', false);
  const json = bool(args, 'json', false);
  const har = str(args, 'har');
  const follow = bool(args, 'follow', false);
  if (har && follow) throw new UserError('--har writes the requests recorded so far: leave out --follow.', 'EUSAGE');

  const { requests } = await client.call(Requests, { query });
  const oldestFirst = [...requests].reverse();
  if (har) {
    const records = await details(client, oldestFirst, showSecrets);
    fs.writeFileSync(har, JSON.stringify(toHar(records, { version: VERSION, showSecrets }), null, 2) + '\n');
    process.stdout.write(`wrote ${records.length} request${records.length === 1 ? '' : 's'} to ${har} (HAR 1.2)\n`);
    return 0;
  }
  const width = process.stdout.columns || 120;
  const print = async (list: CaptureSummary[]) => {
    if (json) for (const r of await details(client, list, showSecrets)) process.stdout.write(JSON.stringify(r) + '\n');
    else for (const s of list) process.stdout.write(requestRow(s, width) + '\n');
  };
  if (!json && (requests.length || follow)) process.stdout.write(requestHeader(width) + '\n');
  await print(oldestFirst);
  if (!follow) {
    if (!json && !requests.length) process.stdout.write('No requests recorded yet (or none match).\n');
    return 0;
  }
  return new Promise<number>((resolve, reject) => {
    // In order, one at a time: --json fetches each record before printing it.
    let chain = Promise.resolve();
    const stop = client.subscribe(
      (event, data) => {
        if (event !== 'request') return;
        const s = data as CaptureSummary;
        if (!s.complete || !filter(s)) return;
        chain = chain.then(() => print([s])).catch(() => undefined);
      },
      (err) => (err ? reject(err) : resolve(0)),
      { requests: true },
    );
    const end = () => {
      stop();
      resolve(0);
    };
    process.once('SIGINT', end);
    // Nothing reads the rows any more (`requests --follow | head`): following has no one to serve.
    process.stdout.once('error', end);
  });
}

/** `container-https replay ID [--method M] [--path P] [--body TEXT] [--json]`. */
export async function replayCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { strings: ['state-dir', 'method', 'path', 'body'], booleans: ['json'] });
  const [id, ...extra] = args.positional;
  if (!id || extra.length)
    throw new UserError('Usage: container-https replay ID [--method M] [--path /p] [--body TEXT] [--json]', 'EUSAGE');
  const body: { method?: string; path?: string; body?: string } = {};
  for (const key of ['method', 'path', 'body'] as const) {
    const v = str(args, key);
    if (v !== undefined) body[key] = v;
  }
  const client = new ControlClient(resolveStateDir(str(args, 'state-dir')));
  const res = await client.call(ReplayRequest, { params: { id }, body: Object.keys(body).length ? body : undefined });
  if (bool(args, 'json', false)) process.stdout.write(JSON.stringify(res) + '\n');
  else process.stdout.write(`${res.id} ${res.status} (replay of ${res.replayOf})\n`);
  return 0;
}

async function details(client: ControlClient, list: CaptureSummary[], showSecrets: boolean): Promise<CaptureRecord[]> {
  const out: CaptureRecord[] = [];
  // A few at a time over the control socket; one dropped meanwhile (buffer full) is left out.
  for (let i = 0; i < list.length; i += 8) {
    const batch = await Promise.all(
      list.slice(i, i + 8).map((s) =>
        client
          .call(RequestDetail, { params: { id: s.id }, query: showSecrets ? { secrets: '1' } : {} })
          .then((r) => r.request)
          .catch(() => undefined),
      ),
    );
    for (const r of batch) if (r) out.push(r);
  }
  return out;
}
