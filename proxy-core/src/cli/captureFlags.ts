import { DEFAULT_CAPTURE, type CaptureSettings } from '../capture/types';
import { UserError } from '../errors';
import { type ParsedArgs, bool, str } from './args';

export const CAPTURE_STRINGS = ['capture-body-kb', 'capture-max-requests', 'capture-max-mb'];
export const CAPTURE_BOOLEANS = ['capture'];

/** serve's request-inspector flags: on by default with DEFAULT_CAPTURE; --no-capture turns it off. */
export function captureSettings(args: ParsedArgs): CaptureSettings | undefined {
  const bodyKb = whole(args, 'capture-body-kb', DEFAULT_CAPTURE.bodyBytes / 1024, 0, 1024 * 1024);
  const maxRequests = whole(args, 'capture-max-requests', DEFAULT_CAPTURE.maxRequests, 1, 10_000_000);
  const maxMb = whole(args, 'capture-max-mb', DEFAULT_CAPTURE.maxBytes / (1024 * 1024), 1, 64 * 1024);
  if (!bool(args, 'capture', true)) return undefined;
  return { bodyBytes: bodyKb * 1024, maxRequests, maxBytes: maxMb * 1024 * 1024 };
}

function whole(args: ParsedArgs, name: string, fallback: number, min: number, max: number): number {
  const text = str(args, name);
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max)
    throw new UserError(`--${name} must be a whole number from ${min} to ${max}, not "${text}".`, 'EUSAGE');
  return Number(text);
}
