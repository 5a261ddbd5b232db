/**
 * The presigned PUT of a file straight to S3: the Blob itself as the body (the browser streams it from disk; it
 * is never read into memory), exactly the signed headers the browser lets a script set, honest progress, and a
 * watchdog that ends an attempt that stopped moving.
 */
import axios, { type AxiosInstance } from 'axios';
import type { UploadErrorCode } from './errors';
import { replyError, send, valueNamed } from './http-errors';
import { systemClock, type Clock } from './time';
import type { UploadTarget } from './types';

/**
 * Request headers a script may not set (Fetch standard, "forbidden request-header"), lower case. Browsers drop
 * or refuse them; `Content-Length` in particular is computed by the browser from the body, which is exactly the
 * signed `AttachmentSizeInBytes`. Names starting with `proxy-` or `sec-` are forbidden too. Marked pure: a build
 * that sends no PUT (the agent-side entry alone) drops the list.
 */
export const BROWSER_FORBIDDEN_HEADERS: readonly string[] = /* @__PURE__ */ (
  'accept-charset accept-encoding access-control-request-headers access-control-request-method ' +
  'access-control-request-private-network connection content-length cookie cookie2 date dnt expect host ' +
  'keep-alive origin referer set-cookie te trailer transfer-encoding upgrade via ' +
  // Forbidden only with a forbidden method as value (CONNECT, TRACE, TRACK); S3 never signs them, so always dropped.
  'x-http-method x-http-method-override x-method-override'
).split(' ');

/** `HeadersToInclude` minus the headers a browser would refuse (dropped on purpose, in every environment alike). */
export function headersForPut(headersToInclude: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headersToInclude).filter(([name]) => !BROWSER_FORBIDDEN_HEADERS.includes(name.toLowerCase()) && !/^(proxy|sec)-/i.test(name)),
  );
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

/** The XML entities S3 may put in a message. */
const ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' };

/**
 * PUTs `body` to the presigned URL; resolves on a 2xx, otherwise rejects with an UploadError. The default axios
 * instance is created on the first call that needs it (a default parameter is evaluated only then).
 */
export async function putFile(
  target: UploadTarget,
  body: Blob,
  { signal, onProgress, clock = systemClock, stallTimeoutMs = 30_000, axios: http = (defaultAxios ??= axios.create()) }: PutOptions = {},
): Promise<void> {
  const headers = headersForPut(target.headersToInclude);
  // axios' Node adapter sets `Content-Type` from the Blob's own type, over ours: a Blob with the signed type (a
  // slice is a view, not a copy) keeps the signature valid there. Browsers send the header we set as is.
  const contentType = valueNamed(headers, 'content-type');
  let reported = 0;
  // A redirect of a presigned PUT is a failure (Node; browsers follow redirects on their own).
  const response = await send(
    http,
    {
      method: 'PUT',
      url: target.url,
      data: contentType === undefined || body.type === contentType ? body : body.slice(0, body.size, contentType),
      headers,
      maxRedirects: 0,
    },
    OPERATION,
    {
      signal,
      clock,
      quietMs: stallTimeoutMs,
      onProgress: (loaded) => {
        const sent = Math.min(loaded, body.size);
        if (sent <= reported) return false;
        onProgress?.((reported = sent));
        return true;
      },
    },
  );
  const { status, data } = response;
  if (status > 199 && status < 300) return;
  // S3 answers `<Error><Code/><Message/></Error>`, or nothing useful.
  const [code = '', message = ''] = ['Code', 'Message'].map((tag) =>
    new RegExp(`<${tag}>([^<]+)</${tag}>`).exec(String(data))?.[1]?.replace(/&(\w+);/g, (entity, name: string) => ENTITIES[name] ?? entity),
  );
  const errorCode: UploadErrorCode =
    /^(RequestExpired|ExpiredToken)$/.test(code) || (code === 'AccessDenied' && /request has expired/i.test(message))
      ? 'url-expired'
      : code === 'SignatureDoesNotMatch'
        ? 'signature-mismatch'
        : status === 429 || code === 'SlowDown'
          ? 'throttled'
          : status >= 500
            ? 'server'
            : 'upload-failed';
  throw replyError(errorCode, OPERATION, response, clock.now(), code, message);
}

export type PutFunction = typeof putFile;
