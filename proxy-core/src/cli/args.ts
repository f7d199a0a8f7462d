import { UserError } from '../errors';
import { MAX_PRIORITY } from '../traefik/priority';

export interface ParsedArgs {
  positional: string[];
  flags: Record<string, string | boolean>;
}

/**
 * A small, strict parser: `--name value`, `--name=value`, `--flag`, `--no-flag`. Unknown flags
 * are errors so a typo never silently changes behaviour.
 */
export function parseArgs(argv: string[], spec: { strings?: string[]; booleans?: string[] }): ParsedArgs {
  const strings = new Set(spec.strings ?? []);
  const booleans = new Set(spec.booleans ?? []);
  const out: ParsedArgs = { positional: [], flags: {} };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      out.positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      out.positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (booleans.has(name)) {
      if (eq !== -1) throw new UserError(`--${name} takes no value.`, 'EUSAGE');
      out.flags[name] = true;
    } else if (name.startsWith('no-') && booleans.has(name.slice(3))) {
      out.flags[name.slice(3)] = false;
    } else if (strings.has(name)) {
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined || (eq === -1 && value.startsWith('--')))
        throw new UserError(`--${name} needs a value.`, 'EUSAGE');
      out.flags[name] = value;
    } else {
      throw new UserError(`Unknown option --${name}. See: container-https help`, 'EUSAGE');
    }
  }
  return out;
}

export function str(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags[name];
  return typeof v === 'string' ? v : undefined;
}

export function port(args: ParsedArgs, name: string, fallback: number, allowZero = false): number {
  const v = str(args, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535 || (n === 0 && !allowZero)) {
    throw new UserError(`--${name} must be a port number from ${allowZero ? 0 : 1} to 65535, not "${v}".`, 'EUSAGE');
  }
  return n;
}

/** A router priority flag (`--priority N`): a whole number from 1 to MAX_PRIORITY, or undefined when not given. */
export function priority(args: ParsedArgs, name: string): number | undefined {
  const v = str(args, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > MAX_PRIORITY)
    throw new UserError(`--${name} must be a whole number from 1 to ${MAX_PRIORITY}, not "${v}"`, 'EUSAGE');
  return Number(v);
}

export function bool(args: ParsedArgs, name: string, fallback: boolean): boolean {
  const v = args.flags[name];
  return typeof v === 'boolean' ? v : fallback;
}
