/**
 * The chat customer's side of Amazon Connect attachments: the Participant Service, called straight from the
 * browser with the ConnectionToken as its only credential (sent as `X-Amz-Bearer`, never in a URL).
 */
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { UploadError } from './errors';
import { apiErrorFromReply, isRecord, linkAbort, noReplyError, REQUEST_DEFAULTS } from './http-errors';
import { cancelledError, systemClock, type Clock } from './time';
import type {
  AttachmentClient,
  AttachmentDownload,
  AttachmentId,
  CompleteUploadRequest,
  RequestOptions,
  StartUploadRequest,
  UploadTarget,
} from './types';

export interface ParticipantClientOptions {
  /** Sent only as the `X-Amz-Bearer` header. */
  connectionToken: string;
  /** Default endpoint `https://participant.connect.<region>.amazonaws.com`. */
  region?: string;
  /** Overrides `region` (the local emulator, a proxy). Must be https, or http on a loopback host. */
  endpoint?: string;
  /** Host-provided instance (interceptors, adapters); default `axios.create()`. */
  axios?: AxiosInstance;
  /** Per API call; default 30 s. */
  timeoutMs?: number;
  /** Drives the timeout and `Retry-After` dates; default the system clock. */
  clock?: Clock;
}

const DEFAULT_TIMEOUT_MS = 30_000;

export function createParticipantClient(options: ParticipantClientOptions): AttachmentClient {
  const { connectionToken } = options;
  if (!connectionToken) throw new TypeError('createParticipantClient: a connectionToken is required.');
  const baseUrl = participantEndpoint(options);
  const http = options.axios ?? axios.create();
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // A server that echoes the request back must not get the token into an error message.
  const redact = (text: string): string => text.split(connectionToken).join('[redacted]');

  /** POSTs one operation; resolves with the parsed JSON body of a 2xx reply (undefined when not JSON). */
  async function call(operation: string, path: string, payload: object, signal: AbortSignal | undefined): Promise<{ status: number; body: unknown }> {
    if (signal?.aborted) throw cancelledError();
    const abort = linkAbort(signal);
    const timer = clock.setTimeout(() => abort.abort('timeout'), timeoutMs);
    let response: AxiosResponse<unknown>;
    try {
      response = await http.request<unknown>({
        ...REQUEST_DEFAULTS,
        method: 'POST',
        url: `${baseUrl}${path}`,
        data: JSON.stringify(payload),
        headers: { 'Content-Type': 'application/json', 'X-Amz-Bearer': connectionToken },
        signal: abort.signal,
      });
    } catch {
      // The axios error is dropped on purpose: it holds the request headers, the ConnectionToken among them.
      throw noReplyError(abort.reason, operation, timeoutMs);
    } finally {
      clock.clearTimeout(timer);
      abort.dispose();
    }
    const body = parseBody(response.data);
    if (response.status < 200 || response.status > 299) {
      throw apiErrorFromReply(operation, { status: response.status, headers: response.headers, body }, clock.now(), redact);
    }
    return { status: response.status, body };
  }

  return {
    kind: 'participant',

    async startUpload(request: StartUploadRequest, requestOptions?: RequestOptions): Promise<UploadTarget> {
      const operation = 'StartAttachmentUpload';
      const { status, body } = await call(
        operation,
        '/participant/start-attachment-upload',
        {
          AttachmentName: request.name,
          AttachmentSizeInBytes: request.sizeInBytes,
          ClientToken: request.clientToken,
          ContentType: request.contentType,
        },
        requestOptions?.signal,
      );
      const bad = (what: string): UploadError => badResponse(operation, what, status);
      if (!isRecord(body)) throw bad('the reply is not a JSON object');
      const attachmentId = body['AttachmentId'];
      if (typeof attachmentId !== 'string' || attachmentId === '') throw bad('AttachmentId is missing');
      const metadata = body['UploadMetadata'];
      if (!isRecord(metadata)) throw bad('UploadMetadata is missing');
      const url = checkedUrl(metadata['Url']);
      if (url === undefined) throw bad('UploadMetadata.Url is missing or not an https URL');
      const urlExpiry = parseTimestamp(metadata['UrlExpiry']);
      if (urlExpiry === undefined) throw bad('UploadMetadata.UrlExpiry is missing or not an ISO 8601 time');
      const headersToInclude = checkedHeaders(metadata['HeadersToInclude']);
      if (headersToInclude === undefined) throw bad('UploadMetadata.HeadersToInclude is not a map of header names to strings');
      return { attachmentId, url, urlExpiry, headersToInclude };
    },

    async completeUpload(request: CompleteUploadRequest, requestOptions?: RequestOptions): Promise<void> {
      // The reply is `{}`: a 2xx is all there is to check.
      await call(
        'CompleteAttachmentUpload',
        '/participant/complete-attachment-upload',
        { AttachmentIds: [request.attachmentId], ClientToken: request.clientToken },
        requestOptions?.signal,
      );
    },

    async getAttachment(
      attachmentId: AttachmentId,
      requestOptions?: RequestOptions & { urlExpiryInSeconds?: number },
    ): Promise<AttachmentDownload> {
      const operation = 'GetAttachment';
      const { status, body } = await call(
        operation,
        '/participant/attachment',
        {
          AttachmentId: attachmentId,
          ...(requestOptions?.urlExpiryInSeconds !== undefined && { UrlExpiryInSeconds: requestOptions.urlExpiryInSeconds }),
        },
        requestOptions?.signal,
      );
      const bad = (what: string): UploadError => badResponse(operation, what, status);
      if (!isRecord(body)) throw bad('the reply is not a JSON object');
      const download: AttachmentDownload = {};
      if (body['Url'] !== undefined) {
        const url = checkedUrl(body['Url']);
        if (url === undefined) throw bad('Url is not an https URL');
        download.url = url;
      }
      if (body['UrlExpiry'] !== undefined) {
        const urlExpiry = parseTimestamp(body['UrlExpiry']);
        if (urlExpiry === undefined) throw bad('UrlExpiry is not an ISO 8601 time');
        download.urlExpiry = urlExpiry;
      }
      const size = body['AttachmentSizeInBytes'];
      if (size !== undefined) {
        if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw bad('AttachmentSizeInBytes is not a size');
        download.sizeInBytes = size;
      }
      return download;
    },
  };
}

function participantEndpoint({ endpoint, region }: ParticipantClientOptions): string {
  if (endpoint !== undefined) {
    if (checkedUrl(endpoint) === undefined) {
      throw new TypeError('createParticipantClient: endpoint must be an https URL (http only on a loopback host).');
    }
    return endpoint.replace(/\/+$/, '');
  }
  // Checked so that a region string cannot point the ConnectionToken at another host.
  if (region === undefined || !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
    throw new TypeError('createParticipantClient: give a region such as "us-east-1", or an endpoint.');
  }
  return `https://participant.connect.${region}.amazonaws.com`;
}

function parseBody(data: unknown): unknown {
  if (typeof data !== 'string') return data;
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return undefined;
  }
}

function badResponse(operation: string, what: string, status: number): UploadError {
  return new UploadError('bad-response', `${operation} returned an unexpected reply: ${what}.`, { status });
}

/** http is allowed only on loopback hosts (the local emulator); everything else must be https. */
function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

function checkedUrl(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  const allowed = url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
  return allowed ? value : undefined;
}

const ISO_8601 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/i;

/** ISO 8601 with or without fractional seconds (Connect sends both) to epoch milliseconds. */
function parseTimestamp(value: unknown): number | undefined {
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

function checkedHeaders(value: unknown): Readonly<Record<string, string>> | undefined {
  if (value === undefined) return {};
  if (!isRecord(value)) return undefined;
  const entries = Object.entries(value);
  for (const [name, headerValue] of entries) {
    if (!HEADER_NAME.test(name) || typeof headerValue !== 'string' || !HEADER_VALUE.test(headerValue)) return undefined;
  }
  // fromEntries defines own properties, so a `__proto__` key stays a plain key.
  return Object.fromEntries(entries) as Record<string, string>;
}
