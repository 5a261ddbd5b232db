/**
 * Reading a Connect reply and checking the values it hands over before anything uses them: a URL the browser may
 * be sent to, an ISO 8601 expiry, a header map safe to send. One set of rules for the participant and attached-file
 * clients.
 */
import { isRecord } from './http-errors';

/**
 * A reply body as read with REQUEST_DEFAULTS (text) parsed as JSON; undefined when it is not JSON, so that an
 * error reply is mapped from its status and a 2xx one is a 'bad-response'.
 */
export function replyJson(data: unknown): unknown {
  try {
    return typeof data === 'string' ? JSON.parse(data) : data;
  } catch {
    return undefined;
  }
}

/** http is allowed only on loopback hosts (the local emulator); everything else must be https. */
function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** The URL as given when it is https (or http on a loopback host), else undefined. */
export function checkedUrl(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname)) ? value : undefined;
}

const ISO_8601 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/i;

/** ISO 8601 with or without fractional seconds (Connect sends both) to epoch milliseconds. */
export function parseTimestamp(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = ISO_8601.exec(value.trim());
  if (!match) return undefined;
  const [, dateTime, fraction = '', zone = ''] = match;
  // Normalised to the one form every engine's Date.parse must accept: 3 fraction digits, `Z` or `±hh:mm`.
  const millis = `${fraction.slice(1)}000`.slice(0, 3);
  const offset = zone.toUpperCase() === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  const epoch = Date.parse(`${dateTime}.${millis}${offset}`);
  return Number.isNaN(epoch) ? undefined : epoch;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// No CR, LF or other controls: a value that could split the request is refused.
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** `HeadersToInclude` as a string map safe to send (none when absent), undefined when it is anything else. */
export function checkedHeaders(value: unknown): Readonly<Record<string, string>> | undefined {
  if (value === undefined) return {};
  if (!isRecord(value)) return undefined;
  const entries = Object.entries(value);
  const valid = entries.every(([name, text]) => HEADER_NAME.test(name) && typeof text === 'string' && HEADER_VALUE.test(text));
  // fromEntries defines own properties, so a `__proto__` key stays a plain key.
  return valid ? (Object.fromEntries(entries) as Record<string, string>) : undefined;
}
