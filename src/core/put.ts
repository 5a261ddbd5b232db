/**
 * The presigned PUT of a file straight to S3: the Blob itself as the body (the browser streams it from disk; it
 * is never read into memory), exactly the signed headers the browser lets a script set, honest progress, and a
 * watchdog that ends an attempt that stopped moving.
 */
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import type { UploadError, UploadErrorCode } from './errors';
import { replyError, send } from './http-errors';
import { systemClock, type Clock } from './time';
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

const OPERATION = 'Upload to storage';

let defaultAxios: AxiosInstance | undefined;

/** PUTs `body` to the presigned URL; resolves on a 2xx, otherwise rejects with an UploadError. */
export async function putFile(target: UploadTarget, body: Blob, options: PutOptions = {}): Promise<void> {
  const { signal, onProgress, clock = systemClock, stallTimeoutMs = 30_000 } = options;
  const headers = headersForPut(target.headersToInclude);
  let reported = 0;
  const response = await send(
    options.axios ?? (defaultAxios ??= axios.create()),
    {
      method: 'PUT',
      url: target.url,
      data: bodyWithSignedType(body, headers),
      headers,
      // A redirect of a presigned PUT is a failure, and files may be far larger than axios' Node body limit.
      maxRedirects: 0,
      maxBodyLength: Infinity,
    },
    OPERATION,
    {
      signal,
      clock,
      quietMs: stallTimeoutMs,
      quietReason: 'stalled',
      onProgress: (loaded) => {
        const sent = Math.min(loaded, body.size);
        if (sent <= reported) return false;
        reported = sent;
        onProgress?.(sent);
        return true;
      },
    },
  );
  if (response.status > 299 || response.status < 200) throw s3Error(response, clock.now());
}

/**
 * axios' Node adapter sets `Content-Type` from the Blob's own type, over ours; giving the Blob the signed type
 * (a slice is a view, not a copy) keeps the signature valid there. Browsers send the header we set as is.
 */
function bodyWithSignedType(body: Blob, headers: Readonly<Record<string, string>>): Blob {
  const contentType = Object.entries(headers).find(([name]) => name.toLowerCase() === 'content-type')?.[1];
  return contentType === undefined || body.type === contentType ? body : body.slice(0, body.size, contentType);
}

const ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' };

function s3ErrorCode(status: number, serverCode = '', serverMessage = ''): UploadErrorCode {
  if (/^(RequestExpired|ExpiredToken)$/.test(serverCode)) return 'url-expired';
  if (serverCode === 'AccessDenied' && /request has expired/i.test(serverMessage)) return 'url-expired';
  if (serverCode === 'SignatureDoesNotMatch') return 'signature-mismatch';
  if (status === 429 || serverCode === 'SlowDown') return 'throttled';
  return status >= 500 ? 'server' : 'upload-failed';
}

/** Maps a non-2xx S3 reply (XML `<Error><Code/><Message/></Error>`, or nothing useful) to an UploadError. */
function s3Error(response: AxiosResponse<unknown>, now: number): UploadError {
  const xml = typeof response.data === 'string' ? response.data : '';
  const field = (tag: string) =>
    new RegExp(`<${tag}>([^<]+)</${tag}>`).exec(xml)?.[1]?.replace(/&(lt|gt|quot|apos|amp);/g, (_, name: string) => ENTITIES[name] ?? '');
  const serverCode = field('Code');
  const serverMessage = field('Message');
  return replyError(s3ErrorCode(response.status, serverCode, serverMessage), OPERATION, response, now, serverCode, serverMessage, undefined);
}

export type PutFunction = typeof putFile;
