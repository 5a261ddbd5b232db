/**
 * Reading a Connect reply and checking the values it hands over before anything uses them: a URL the browser may
 * be sent to, an ISO 8601 expiry, a header map safe to send. One set of rules for the participant and attached-file
 * clients.
 */
import { isRecord } from './http-errors';

/**
 * A reply body as read by `send` (raw text) parsed as a JSON object; undefined when it is not one, so that an
 * error reply is mapped from its status and a 2xx one is a 'bad-response'.
 */
export function replyJson(data: unknown): Record<string, unknown> | undefined {
  try {
    const body: unknown = JSON.parse(data as string);
    return isRecord(body) ? body : undefined;
  } catch {
    return undefined;
  }
}

/** The URL as given when it is https, or http on a loopback host (the local emulator); else undefined. */
export function checkedUrl(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const { protocol, hostname } = new URL(value);
    return protocol === 'https:' || (protocol === 'http:' && /^(localhost|\[::1\]|127(\.\d+){3})$/.test(hostname)) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** ISO 8601 with or without fractional seconds (Connect sends both) to epoch milliseconds. */
export function parseTimestamp(value: unknown): number | undefined {
  const match = typeof value === 'string' && /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(?:Z|([+-]\d\d):?(\d\d))$/i.exec(value);
  if (!match) return undefined;
  const [, dateTime, fraction = '', offsetHours, offsetMinutes] = match;
  // Normalised to the one form every engine's Date.parse must accept: 3 fraction digits, `Z` or `±hh:mm`.
  const epoch = Date.parse(`${dateTime}.${`${fraction}000`.slice(0, 3)}${offsetHours ? `${offsetHours}:${offsetMinutes}` : 'Z'}`);
  return Number.isNaN(epoch) ? undefined : epoch;
}

/** `HeadersToInclude` as a string map safe to send (none when absent), undefined when it is anything else. */
export function checkedHeaders(value: unknown): Readonly<Record<string, string>> | undefined {
  if (value === undefined) return {};
  // Names are RFC 9110 tokens; values hold no CR, LF or other controls, so none can split the request.
  const valid =
    isRecord(value) &&
    Object.entries(value).every(([name, text]) => typeof text === 'string' && /^[!#$%&'*+.^`|~\w-]+$/.test(name) && /^[\t -~\x80-\xff]*$/.test(text));
  return valid ? (value as Record<string, string>) : undefined;
}
