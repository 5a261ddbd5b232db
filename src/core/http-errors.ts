/**
 * Shared plumbing for the Connect clients and the presigned PUT: one way to end a request ourselves (cancel,
 * timeout, stall) and tell afterwards which it was, and one mapping from restJson1 error replies to UploadError.
 * Nothing here ever keeps an axios error: it holds the request config, headers included (the ConnectionToken).
 */
import type { AxiosRequestConfig, AxiosResponse } from 'axios';
import { UploadError, type UploadErrorCode } from './errors';
import { cancelledError } from './time';

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
    if (reason !== undefined) return;
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
  switch (reason) {
    case 'cancelled':
      return cancelledError();
    case 'timeout':
      return new UploadError('timeout', `${operation}: no reply within ${seconds} s.`);
    case 'stalled':
      return new UploadError('stalled', `${operation}: no progress for ${seconds} s.`);
    case undefined:
      return new UploadError('network', `${operation}: the request did not reach the server or got no reply.`);
  }
}

/** A response header by name, whatever case the adapter stored it in. */
export function responseHeader(headers: AxiosResponse['headers'], name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value == null) continue;
    return Array.isArray(value) ? value.join(', ') : String(value);
  }
  return undefined;
}

/** `Retry-After` as seconds: either delta-seconds or an HTTP date (relative to `now`). */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
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

function codeFromStatus(status: number): UploadErrorCode {
  if (status >= 500) return 'server';
  switch (status) {
    case 400:
      return 'validation';
    case 401:
    case 403:
      return 'access-denied';
    case 402:
      return 'quota-exceeded';
    case 409:
      return 'conflict';
    case 429:
      return 'throttled';
    default:
      return 'bad-response';
  }
}

function errorName(raw: string): string {
  const beforeColon = raw.split(':')[0] ?? '';
  return (beforeColon.split('#').pop() ?? '').trim();
}

/** Server messages are shown to people: keep them to one bounded line. */
const MAX_SERVER_MESSAGE = 300;

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
  const rawName = responseHeader(reply.headers, 'x-amzn-errortype') ?? stringField(body, '__type') ?? stringField(body, 'code');
  const serverCode = rawName === undefined ? undefined : errorName(rawName) || undefined;
  const code = (serverCode === undefined ? undefined : (API_ERROR_CODES[serverCode] ?? API_ERROR_CODES[`${serverCode}Exception`])) ?? codeFromStatus(reply.status);
  const serverMessage = stringField(body, 'message') ?? stringField(body, 'Message');
  const reason = stringField(body, 'Reason') ?? stringField(body, 'reason');
  const retryAfterSeconds = parseRetryAfter(responseHeader(reply.headers, 'retry-after'), now);
  const what = serverCode ?? `HTTP ${reply.status}`;
  const message = serverMessage
    ? `${operation} failed (${what}): ${redact(oneLine(serverMessage))}`
    : `${operation} failed (${what}).`;
  return new UploadError(code, message, {
    status: reply.status,
    ...(serverCode !== undefined && { serverCode: redact(serverCode) }),
    ...(retryAfterSeconds !== undefined && { retryAfterSeconds }),
    ...(reason !== undefined && { reason: redact(oneLine(reason)) }),
  });
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_SERVER_MESSAGE ? `${flat.slice(0, MAX_SERVER_MESSAGE)}…` : flat;
}
