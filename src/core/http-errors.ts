/**
 * Shared plumbing for the Connect clients and the presigned PUT: one way to send a request and end it ourselves
 * (cancel, timeout, stall), and one mapping from an error reply to an UploadError.
 * Nothing here ever keeps an axios error: it holds the request config, headers included (the ConnectionToken).
 */
import type { AxiosInstance, AxiosRequestConfig, AxiosResponse } from 'axios';
import { UploadError, type UploadErrorCode } from './errors';
import { cancelledError, type Clock } from './time';

/** Why we ended a request ourselves. Adapters report all of these as the same abort, so we remember it. */
export type AbortReason = 'cancelled' | 'timeout' | 'stalled';

export interface RequestAbort {
  /** Hand this to axios. */
  readonly signal: AbortSignal;
  /** Set once the request was ended by us (or by the caller's signal). */
  readonly reason: AbortReason | undefined;
  abort(reason: AbortReason): void;
  /** Stops listening to the caller's signal; call when the request settled. */
  dispose(): void;
}

export function linkAbort(outer: AbortSignal | undefined): RequestAbort {
  const controller = new AbortController();
  let reason: AbortReason | undefined;
  const abort = (why: AbortReason): void => {
    if (reason) return;
    reason = why;
    controller.abort();
  };
  const onOuterAbort = (): void => abort('cancelled');
  if (outer?.aborted) onOuterAbort();
  else outer?.addEventListener('abort', onOuterAbort, { once: true });
  return {
    signal: controller.signal,
    get reason() {
      return reason;
    },
    abort,
    dispose: () => outer?.removeEventListener('abort', onOuterAbort),
  };
}

/**
 * Per-request settings that override whatever a host-provided axios instance has set: the body goes out as
 * given (no transform may re-encode it), every status comes back as a reply (we map it ourselves, so axios never
 * builds an error holding the request), the reply is read as text untouched (so a non-JSON reply is a
 * 'bad-response', not a crash), our own timers replace axios' timeout, and no cookies or XSRF token of the host's
 * own origin are sent to AWS.
 */
export const REQUEST_DEFAULTS: AxiosRequestConfig = {
  transformRequest: [(data: unknown) => data],
  validateStatus: () => true,
  responseType: 'text',
  transformResponse: [(data: unknown) => data],
  timeout: 0,
  withCredentials: false,
  withXSRFToken: false,
  allowAbsoluteUrls: true,
};

/** The error for a request that got no HTTP reply, from why it ended (undefined: the network failed). */
export function noReplyError(reason: AbortReason | undefined, operation: string, limitMs: number): UploadError {
  const seconds = Math.round(limitMs / 100) / 10;
  return reason === 'cancelled'
    ? cancelledError()
    : reason
      ? new UploadError(reason, `${operation}: no ${reason === 'timeout' ? 'reply' : 'progress'} for ${seconds} s.`)
      : new UploadError('network', `${operation}: no reply (network).`);
}

export interface SendOptions {
  signal?: AbortSignal | undefined;
  clock: Clock;
  /** With no reply (and no upload progress) for this long, the request is ended with `quietReason`. */
  quietMs: number;
  quietReason: 'timeout' | 'stalled';
  /** Upload progress in bytes; returns whether it counts as progress (re-arming the quiet timer). */
  onProgress?: (loaded: number) => boolean;
}

/**
 * Sends one request with REQUEST_DEFAULTS and resolves with any HTTP reply. One timer per quiet period, not one
 * per progress event: it re-arms itself for the time still left. A request without a reply rejects with an
 * UploadError; the axios error is dropped on purpose (it holds the request: headers, signed URL).
 */
export async function send(
  http: AxiosInstance,
  config: AxiosRequestConfig,
  operation: string,
  { signal, clock, quietMs, quietReason, onProgress }: SendOptions,
): Promise<AxiosResponse<unknown>> {
  if (signal?.aborted) throw cancelledError();
  const abort = linkAbort(signal);
  let movedAt = clock.now();
  let settled = false;
  const watch = (): void => {
    const quietFor = clock.now() - movedAt;
    if (quietFor < quietMs) timer = clock.setTimeout(watch, quietMs - quietFor);
    else abort.abort(quietReason);
  };
  let timer = clock.setTimeout(watch, quietMs);
  try {
    return await http.request<unknown>({
      ...REQUEST_DEFAULTS,
      ...config,
      signal: abort.signal,
      // axios delivers throttled events late, even after the request ended: those must not count.
      onUploadProgress: (event) => {
        if (!settled && onProgress?.(event.loaded)) movedAt = clock.now();
      },
    });
  } catch {
    throw noReplyError(abort.reason, operation, quietMs);
  } finally {
    settled = true;
    clock.clearTimeout(timer);
    abort.dispose();
  }
}

/** A response header by name, whatever case the adapter stored it in. */
export function responseHeader(headers: AxiosResponse['headers'], name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name && value != null) return Array.isArray(value) ? value.join(', ') : String(value);
  }
  return undefined;
}

/** `Retry-After` as seconds: either delta-seconds or an HTTP date (relative to `now`). */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  const trimmed = value?.trim();
  if (!trimmed) return undefined;
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/** restJson1 error names (AWS SDKs take `x-amzn-ErrorType` up to the first ':', then after any '#'). */
const API_ERROR_CODES: Readonly<Record<string, UploadErrorCode>> = {
  AccessDeniedException: 'access-denied',
  ServiceQuotaExceededException: 'quota-exceeded',
  ThrottlingException: 'throttled',
  ValidationException: 'validation',
  ConflictException: 'conflict',
  InternalServerException: 'server',
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

export interface ApiReply {
  status: number;
  headers: AxiosResponse['headers'];
  /** The parsed JSON body, or undefined when it was not JSON. */
  body: unknown;
}

/**
 * Maps a non-2xx restJson1 reply to an UploadError. The error name comes from `x-amzn-ErrorType` (or the body's
 * `__type`/`code`, as SDKs also accept), else from the status. `redact` scrubs secrets a server might echo.
 */
export function apiErrorFromReply(operation: string, reply: ApiReply, now: number, redact: (text: string) => string): UploadError {
  const body = isRecord(reply.body) ? reply.body : {};
  const field = (...keys: string[]) => keys.map((key) => body[key]).find((value) => typeof value === 'string' && value !== '') as string | undefined;
  const rawName = responseHeader(reply.headers, 'x-amzn-errortype') ?? field('__type', 'code');
  const serverCode = errorName(rawName);
  const code =
    (serverCode && (API_ERROR_CODES[serverCode] ?? API_ERROR_CODES[`${serverCode}Exception`])) ||
    STATUS_CODES[reply.status] ||
    (reply.status >= 500 ? 'server' : 'bad-response');
  return replyError(code, operation, reply, now, serverCode, field('message', 'Message'), field('Reason', 'reason'), redact);
}

/**
 * The UploadError for an error reply: "<operation> failed (<server code or HTTP status>): <server message>".
 * Server text is shown to people: kept to one bounded line and passed through `redact`.
 */
export function replyError(
  code: UploadErrorCode,
  operation: string,
  { status, headers }: Pick<ApiReply, 'status' | 'headers'>,
  now: number,
  serverCode: string | undefined,
  serverMessage: string | undefined,
  reason: string | undefined,
  redact: (text: string) => string = String,
): UploadError {
  const clean = (text: string): string => redact(boundedLine(text));
  const named = serverCode && clean(serverCode);
  const retryAfterSeconds = parseRetryAfter(responseHeader(headers, 'retry-after'), now);
  return new UploadError(
    code,
    `${operation} failed (${named || `HTTP ${status}`})${serverMessage ? `: ${clean(serverMessage)}` : '.'}`,
    {
      status,
      ...(named && { serverCode: named }),
      ...(retryAfterSeconds !== undefined && { retryAfterSeconds }),
      ...(reason && { reason: clean(reason) }),
    },
  );
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
