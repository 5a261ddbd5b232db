/**
 * Shared plumbing for the Connect clients and the presigned PUT: one way to send a request and end it ourselves
 * (cancel, timeout, stall), and one mapping from an error reply to an UploadError.
 * Nothing here ever keeps an axios error: it holds the request config, headers included (the ConnectionToken).
 */
import type { AxiosInstance, AxiosRequestConfig, AxiosResponse } from 'axios';
import { UploadError, type UploadErrorCode } from './errors';
import { cancelledError, type Clock } from './time';

const unchanged = (data: unknown): unknown => data;

export interface SendOptions {
  signal?: AbortSignal | undefined;
  clock: Clock;
  /**
   * With no reply for this long, the request is ended: as 'timeout', or as 'stalled' for an upload that reports
   * progress (where progress, too, re-arms the timer).
   */
  quietMs: number;
  /** Upload progress in bytes; returns whether it counts as progress. */
  onProgress?: (loaded: number) => boolean;
}

/**
 * Sends one request and resolves with any HTTP reply. One timer per quiet period, not one per progress event:
 * it re-arms itself for the time still left. A request without a reply rejects with an UploadError; the axios
 * error is dropped on purpose (it holds the request: headers, signed URL).
 */
export async function send(
  http: AxiosInstance,
  config: AxiosRequestConfig,
  operation: string,
  { signal, clock, quietMs, onProgress }: SendOptions,
): Promise<AxiosResponse<unknown>> {
  if (signal?.aborted) throw cancelledError();
  const controller = new AbortController();
  const ended = controller.signal;
  // `ended` is aborted once the request settled too: that unhooks this listener and silences progress events axios
  // delivers late (throttled), which must not count.
  signal?.addEventListener('abort', () => controller.abort(), { signal: ended });
  // Adapters report every abort alike: this tells ours from the caller's.
  let quiet = false;
  let movedAt = clock.now();
  const watch = (): void => {
    const quietFor = clock.now() - movedAt;
    if (quietFor < quietMs) timer = clock.setTimeout(watch, quietMs - quietFor);
    else {
      quiet = true;
      controller.abort();
    }
  };
  let timer = clock.setTimeout(watch, quietMs);
  // Over whatever a host-provided instance set: the body goes out as given, every status comes back as a reply
  // (mapped by us, so axios never builds an error holding the request), the reply stays raw text (a non-JSON one
  // is a 'bad-response', not a crash), our timers replace axios' timeout, no cookies or XSRF token of the host's
  // origin go to AWS, and a host `baseURL` cannot redirect our absolute URLs.
  try {
    return await http.request<unknown>({
      transformRequest: unchanged,
      validateStatus: null,
      responseType: 'text',
      transformResponse: unchanged,
      timeout: 0,
      withCredentials: false,
      withXSRFToken: false,
      allowAbsoluteUrls: true,
      ...config,
      signal: ended,
      // Only where progress is wanted (the PUT): an upload listener makes every XHR send costlier.
      onUploadProgress:
        onProgress &&
        ((event) => {
          if (!ended.aborted && onProgress(event.loaded)) movedAt = clock.now();
        }),
    });
  } catch {
    if (signal?.aborted) throw cancelledError();
    throw quiet
      ? new UploadError(onProgress ? 'stalled' : 'timeout', `${operation}: no ${onProgress ? 'progress' : 'reply'} for ${quietMs / 1000} s.`)
      : new UploadError('network', `${operation}: no reply (network).`);
  } finally {
    controller.abort();
    clock.clearTimeout(timer);
  }
}

/** A header or reply field by its lower-case name, whatever case the adapter or server used; as text. */
export function valueNamed(record: Readonly<Record<string, unknown>> | undefined, name: string): string | undefined {
  const value = Object.entries(record ?? {}).find(([key]) => key.toLowerCase() === name)?.[1];
  return value == null ? undefined : String(value);
}

/** `Retry-After` as seconds: either delta-seconds or an HTTP date (relative to `now`). */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  // Digits first: Date.parse would read "7" as the year 2007.
  const seconds = /^\s*\d+\s*$/.test(value) ? Number(value) : Math.max(0, Math.ceil((Date.parse(value) - now) / 1000));
  return Number.isNaN(seconds) ? undefined : seconds;
}

/** restJson1 error names (without `Exception`) as the status they stand for, which then picks the code. */
const NAMED_STATUS: Readonly<Record<string, number>> = {
  AccessDenied: 403,
  ServiceQuotaExceeded: 402,
  Throttling: 429,
  Validation: 400,
  Conflict: 409,
  InternalServer: 500,
};

/** What a status means when the reply names no error we know (5xx: 'server'; anything else: 'bad-response'). */
export const STATUS_CODES: Readonly<Record<number, UploadErrorCode>> = {
  400: 'validation',
  401: 'access-denied',
  402: 'quota-exceeded',
  403: 'access-denied',
  409: 'conflict',
  429: 'throttled',
};

/**
 * Maps a non-2xx restJson1 reply (`body`: its JSON object) to an UploadError. The error name comes from
 * `x-amzn-ErrorType` (or the body's `__type`/`code`, as SDKs also accept), else from the status; body fields are
 * read in any case (`message`/`Message`). `redact` scrubs secrets a server might echo.
 */
export function apiErrorFromReply(
  operation: string,
  reply: AxiosResponse,
  body: Record<string, unknown> | undefined,
  now: number,
  redact: (text: string) => string,
): UploadError {
  const name = errorName(valueNamed(reply.headers, 'x-amzn-errortype') ?? valueNamed(body, '__type') ?? valueNamed(body, 'code'));
  const status = NAMED_STATUS[name?.replace(/Exception$/, '') ?? ''] ?? reply.status;
  const code = STATUS_CODES[status] ?? (status >= 500 ? 'server' : 'bad-response');
  return replyError(code, operation, reply, now, name, valueNamed(body, 'message'), valueNamed(body, 'reason'), redact);
}

/**
 * The UploadError for an error reply: "<operation> failed (<server code or HTTP status>): <server message>".
 * Server text is shown to people: kept to one bounded line and passed through `redact`.
 */
export function replyError(
  code: UploadErrorCode,
  operation: string,
  { status, headers }: AxiosResponse,
  now: number,
  serverCode: string | undefined,
  serverMessage: string | undefined,
  reason?: string,
  redact: (text: string) => string = String,
): UploadError {
  // Scrubbed before it is shortened: a secret cut in two would no longer match, and its head would stay.
  const clean = (text: string | undefined) => (text ? boundedLine(redact(text)) : undefined);
  const named = clean(serverCode);
  const message = clean(serverMessage);
  return new UploadError(code, `${operation} failed (${named || `HTTP ${status}`})${message ? `: ${message}` : '.'}`, {
    status,
    serverCode: named,
    retryAfterSeconds: parseRetryAfter(valueNamed(headers, 'retry-after'), now),
    reason: clean(reason),
  });
}

/** An error name as the AWS SDKs read it: up to the first ':', after any '#'. */
export function errorName(raw: string | undefined): string | undefined {
  return raw?.split(':')[0]?.split('#').pop()?.trim() || undefined;
}

/** Server text is shown to people: one line, at most 300 characters. */
export function boundedLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
