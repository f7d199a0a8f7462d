import { ControlClient } from '../control/controlClient';
import type { LanShareRequest, LanStatus } from '../control/apiTypes';
import { DeleteLanShare, Lan, PutLanShare } from '../control/protocol';
import { UserError } from '../errors';
import { resolveStateDir } from '../paths';
import { bool, parseArgs, str } from './args';

const out = (s: string) => process.stdout.write(s + '\n');

/** `share HOST [--lan-auth USER:PASS]`; `share` alone lists what is on the LAN. */
export async function shareCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { strings: ['state-dir', 'lan-auth'], booleans: ['json'] });
  const [host, ...extra] = args.positional;
  if (extra.length) throw new UserError('Usage: container-https share [HOST] [--lan-auth USER:PASS]', 'EUSAGE');
  const client = new ControlClient(resolveStateDir(str(args, 'state-dir')));
  if (!host) {
    const status = await client.call(Lan);
    if (bool(args, 'json', false)) out(JSON.stringify(status, null, 2));
    else out(describeLan(status));
    return 0;
  }
  const body: LanShareRequest = {};
  const auth = str(args, 'lan-auth');
  if (auth !== undefined) {
    const colon = auth.indexOf(':');
    if (colon < 1 || colon === auth.length - 1)
      throw new UserError('--lan-auth must be USER:PASSWORD (a user name, a colon, a password).', 'EUSAGE');
    body.auth = { user: auth.slice(0, colon), password: auth.slice(colon + 1) };
  }
  const share = await client.call(PutLanShare, { params: { host }, body });
  if (bool(args, 'json', false)) out(JSON.stringify(share, null, 2));
  else {
    const status = await client.call(Lan);
    out(
      `${share.host} is on the LAN as ${share.url}${share.authUser ? ` (basic auth, user ${share.authUser})` : ''}` +
        (status.interface ? ` (${status.interface.name} ${status.interface.ipv4})` : ''),
    );
    out('Phones need the local CA once: container-https ca share. Stop with: container-https unshare ' + share.host);
  }
  return 0;
}

export async function unshareCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { strings: ['state-dir'] });
  const [host, ...extra] = args.positional;
  if (!host || extra.length) throw new UserError('Usage: container-https unshare HOST', 'EUSAGE');
  const client = new ControlClient(resolveStateDir(str(args, 'state-dir')));
  await client.call(DeleteLanShare, { params: { host } });
  const status = await client.call(Lan);
  out(
    `${host} is no longer on the LAN` +
      (status.listening ? ` (${status.shares.length} other route(s) still are)` : '; nothing listens on the LAN now'),
  );
  return 0;
}

/** The LAN status in a few lines (share with no host). */
export function describeLan(s: LanStatus): string {
  if (!s.enabled) return `LAN sharing is off: ${s.interfaceError ?? 'start serve with --lan-interface auto|IF'}.`;
  const iface = s.interface
    ? `${s.interface.name} ${s.interface.ipv4}${s.interface.ipv6 ? ` ${s.interface.ipv6}` : ''}`
    : `none (${s.interfaceError})`;
  const lines = [
    `LAN interface: ${iface} (--lan-interface ${s.interfaceChoice})${s.listening ? `, listening on ports ${s.httpsPort}${s.httpPort ? ` and ${s.httpPort}` : ''}` : ', nothing listening'}`,
  ];
  if (!s.shares.length) lines.push('No route is shared. Share one with: container-https share app.localhost');
  for (const share of s.shares)
    lines.push(`  ${share.url}  -> ${share.host}${share.authUser ? `  (basic auth: ${share.authUser})` : ''}`);
  if (s.caShare)
    lines.push(
      `CA shared at ${s.caShare.url} until ${s.caShare.expiresAt} (${s.caShare.downloadsLeft} download(s) left)`,
    );
  return lines.join('\n');
}
