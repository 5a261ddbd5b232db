/**
 * The presigned PUT of a file straight to S3: the Blob itself as the body (the browser streams it from disk; it
 * is never read into memory), exactly the signed headers the browser lets a script set, honest progress, and a
 * watchdog that ends an attempt that stopped moving.
 */
import axios, { type AxiosInstance, type AxiosProgressEvent, type AxiosResponse } from 'axios';
import { UploadError, type UploadErrorCode } from './errors';
import { linkAbort, noReplyError, oneLine, parseRetryAfter, REQUEST_DEFAULTS, responseHeader } from './http-errors';
import { cancelledError, systemClock, type Clock } from './time';
import type { UploadTarget } from './types';

/**
 * Request headers a script may not set (Fetch standard, "forbidden request-header"), lower case. Browsers drop
 * or refuse them; `Content-Length` in particular is computed by the browser from the body, which is exactly the
 * signed `AttachmentSizeInBytes`. Names starting with {@link BROWSER_FORBIDDEN_HEADER_PREFIXES} are forbidden too.
 */
export const BROWSER_FORBIDDEN_HEADERS: readonly string[] = [
  'accept-charset',
  'accept-encoding',
  'access-control-request-headers',
  'access-control-request-method',
  'access-control-request-private-network',
  'connection',
  'content-length',
  'cookie',
  'cookie2',
  'date',
  'dnt',
  'expect',
  'host',
  'keep-alive',
  'origin',
  'referer',
  'set-cookie',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'via',
  // Forbidden only with a forbidden method as value (CONNECT, TRACE, TRACK); S3 never signs them, so always dropped.
  'x-http-method',
  'x-http-method-override',
  'x-method-override',
];

export const BROWSER_FORBIDDEN_HEADER_PREFIXES: readonly string[] = ['proxy-', 'sec-'];

function isBrowserForbidden(name: string): boolean {
  const lower = name.toLowerCase();
  return BROWSER_FORBIDDEN_HEADERS.includes(lower) || BROWSER_FORBIDDEN_HEADER_PREFIXES.some((prefix) => lower.startsWith(prefix));
}

/** `HeadersToInclude` minus the headers a browser would refuse (dropped on purpose, in every environment alike). */
export function headersForPut(headersToInclude: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headersToInclude).filter(([name]) => !isBrowserForbidden(name)));
}

export interface PutOptions {
  signal?: AbortSignal;
  /** Cumulative bytes of this attempt; never more than the body's size, never backwards. Must be cheap. */
  onProgress?: (bytesSent: number) => void;
  /** No progress (and no reply) for this long ends the attempt with 'stalled'; default 30 s. */
  stallTimeoutMs?: number;
  clock?: Clock;
  axios?: AxiosInstance;
}

const DEFAULT_STALL_TIMEOUT_MS = 30_000;
const OPERATION = 'Upload to storage';

let defaultAxios: AxiosInstance | undefined;

/** PUTs `body` to the presigned URL; resolves on a 2xx, otherwise rejects with an UploadError. */
export async function putFile(target: UploadTarget, body: Blob, options: PutOptions = {}): Promise<void> {
  if (options.signal?.aborted) throw cancelledError();
  const clock = options.clock ?? systemClock;
  const stallTimeoutMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
  const http = options.axios ?? (defaultAxios ??= axios.create());
  const headers = headersForPut(target.headersToInclude);
  const size = body.size;
  const { onProgress } = options;

  const abort = linkAbort(options.signal);
  // One timer per quiet period, not one per progress event: it re-arms itself for the time still left.
  let lastProgressAt = clock.now();
  const watch = (): void => {
    const quietFor = clock.now() - lastProgressAt;
    if (quietFor >= stallTimeoutMs) abort.abort('stalled');
    else timer = clock.setTimeout(watch, stallTimeoutMs - quietFor);
  };
  let timer = clock.setTimeout(watch, stallTimeoutMs);
  let reported = 0;
  let settled = false;
  const onUploadProgress = (event: AxiosProgressEvent): void => {
    // axios delivers throttled events late, even after the request ended: those must not be reported.
    const sent = Math.min(event.loaded, size);
    if (settled || sent <= reported) return;
    reported = sent;
    lastProgressAt = clock.now();
    onProgress?.(sent);
  };

  let response: AxiosResponse<unknown>;
  try {
    response = await http.request<unknown>({
      ...REQUEST_DEFAULTS,
      method: 'PUT',
      url: target.url,
      data: bodyWithSignedType(body, headers),
      headers,
      signal: abort.signal,
      onUploadProgress,
      // A redirect of a presigned PUT is a failure, and files may be far larger than axios' Node body limit.
      maxRedirects: 0,
      maxBodyLength: Infinity,
    });
  } catch {
    // The axios error is dropped on purpose: it holds the request config (the signed URL) and is never a cause.
    throw noReplyError(abort.reason, OPERATION, stallTimeoutMs);
  } finally {
    settled = true;
    clock.clearTimeout(timer);
    abort.dispose();
  }
  if (response.status >= 200 && response.status <= 299) return;
  throw s3Error(response, clock.now());
}

/**
 * axios' Node adapter sets `Content-Type` from the Blob's own type, over ours; giving the Blob the signed type
 * (a slice is a view, not a copy) keeps the signature valid there. Browsers send the header we set as is.
 */
function bodyWithSignedType(body: Blob, headers: Readonly<Record<string, string>>): Blob {
  const contentType = Object.entries(headers).find(([name]) => name.toLowerCase() === 'content-type')?.[1];
  return contentType === undefined || body.type === contentType ? body : body.slice(0, body.size, contentType);
}

function xmlField(xml: string, tag: string): string | undefined {
  const match = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  if (!match?.[1]) return undefined;
  return match[1]
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

const EXPIRED_CODES = new Set(['RequestExpired', 'ExpiredToken']);

function s3ErrorCode(status: number, serverCode: string | undefined, serverMessage: string | undefined): UploadErrorCode {
  if (serverCode !== undefined && EXPIRED_CODES.has(serverCode)) return 'url-expired';
  if (serverCode === 'AccessDenied' && serverMessage !== undefined && /request has expired/i.test(serverMessage)) return 'url-expired';
  if (serverCode === 'SignatureDoesNotMatch') return 'signature-mismatch';
  if (status === 429 || serverCode === 'SlowDown') return 'throttled';
  if (status >= 500) return 'server';
  return 'upload-failed';
}

/** Maps a non-2xx S3 reply (XML `<Error><Code/><Message/></Error>`, or nothing useful) to an UploadError. */
function s3Error(response: AxiosResponse<unknown>, now: number): UploadError {
  const xml = typeof response.data === 'string' ? response.data : '';
  const serverCode = xmlField(xml, 'Code');
  const serverMessage = xmlField(xml, 'Message');
  const code = s3ErrorCode(response.status, serverCode, serverMessage);
  const retryAfterSeconds = parseRetryAfter(responseHeader(response.headers, 'retry-after'), now);
  const what = serverCode ?? `HTTP ${response.status}`;
  const message = serverMessage
    ? `${OPERATION} failed (${oneLine(what)}): ${oneLine(serverMessage)}`
    : `${OPERATION} failed (${oneLine(what)}).`;
  return new UploadError(code, message, {
    status: response.status,
    ...(serverCode !== undefined && { serverCode: oneLine(serverCode) }),
    ...(retryAfterSeconds !== undefined && { retryAfterSeconds }),
  });
}

export type PutFunction = typeof putFile;
