/**
 * The chat customer's side of Amazon Connect attachments: the Participant Service, called straight from the
 * browser with the ConnectionToken as its only credential (sent as `X-Amz-Bearer`, never in a URL).
 */
import axios from 'axios';
import type { AxiosInstance } from 'axios';
import { UploadError } from './errors';
import { apiErrorFromReply, isRecord, send } from './http-errors';
import { checkedHeaders, checkedUrl, parseTimestamp, replyJson } from './reply';
import { systemClock, type Clock } from './time';
import type { AttachmentClient, AttachmentDownload, RequestOptions } from './types';

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

/** A 2xx reply's JSON object, undefined when the body is not one. */
type Body = Record<string, unknown> | undefined;
/** Throws the 'bad-response' error naming the field of the reply that is missing or wrong. */
type Bad = (field: string) => never;

export function createParticipantClient(options: ParticipantClientOptions): AttachmentClient {
  const { connectionToken, endpoint, region = '', clock = systemClock, timeoutMs = 30_000 } = options;
  // A region is checked too, so that it cannot point the ConnectionToken at another host.
  const baseUrl =
    endpoint !== undefined
      ? checkedUrl(endpoint)?.replace(/\/+$/, '')
      : /^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)
        ? `https://participant.connect.${region}.amazonaws.com`
        : undefined;
  if (!connectionToken || !baseUrl) {
    throw new TypeError('createParticipantClient needs a connectionToken, and an https endpoint or a region such as "us-east-1".');
  }
  const http = options.axios ?? axios.create();
  // A server that echoes the request back must not get the token into an error message.
  const redact = (text: string): string => text.replaceAll(connectionToken, '[redacted]');

  /** POSTs one operation; a 2xx reply's JSON body goes to `read` (with `bad` for a malformed one). */
  async function call<T>(
    operation: string,
    path: string,
    payload: object,
    requestOptions: RequestOptions | undefined,
    read: (body: Body, bad: Bad) => T,
  ): Promise<T> {
    const reply = await send(
      http,
      {
        method: 'POST',
        url: baseUrl + path,
        data: JSON.stringify(payload),
        headers: { 'Content-Type': 'application/json', 'X-Amz-Bearer': connectionToken },
      },
      operation,
      { signal: requestOptions?.signal, clock, quietMs: timeoutMs },
    );
    const { status } = reply;
    const body = replyJson(reply.data);
    if (!(status > 199 && status < 300)) throw apiErrorFromReply(operation, reply, body, clock.now(), redact);
    return read(body, (field) => {
      throw new UploadError('bad-response', `${operation} returned an unexpected reply (${field}).`, { status });
    });
  }

  // CompleteAttachmentUpload replies `{}`: a 2xx is all there is to check.
  return {
    kind: 'participant',

    startUpload: (request, requestOptions) =>
      call(
        'StartAttachmentUpload',
        '/participant/start-attachment-upload',
        {
          AttachmentName: request.name,
          AttachmentSizeInBytes: request.sizeInBytes,
          ClientToken: request.clientToken,
          ContentType: request.contentType,
        },
        requestOptions,
        (body, bad) => {
          const { AttachmentId: attachmentId, UploadMetadata: metadata } = body ?? bad('not a JSON object');
          if (!isRecord(metadata)) return bad('UploadMetadata');
          return {
            attachmentId: typeof attachmentId === 'string' && attachmentId ? attachmentId : bad('AttachmentId'),
            url: checkedUrl(metadata['Url']) ?? bad('Url'),
            urlExpiry: parseTimestamp(metadata['UrlExpiry']) ?? bad('UrlExpiry'),
            headersToInclude: checkedHeaders(metadata['HeadersToInclude']) ?? bad('HeadersToInclude'),
          };
        },
      ),

    completeUpload: (request, requestOptions) =>
      call(
        'CompleteAttachmentUpload',
        '/participant/complete-attachment-upload',
        { AttachmentIds: [request.attachmentId], ClientToken: request.clientToken },
        requestOptions,
        () => undefined,
      ),

    getAttachment: (attachmentId, requestOptions) =>
      call(
        'GetAttachment',
        '/participant/attachment',
        { AttachmentId: attachmentId, UrlExpiryInSeconds: requestOptions?.urlExpiryInSeconds },
        requestOptions,
        (body, bad) => {
          const { Url: url, UrlExpiry: expiry, AttachmentSizeInBytes: size } = body ?? bad('not a JSON object');
          // Each field is optional, but checked when present.
          const download: AttachmentDownload = {};
          if (url !== undefined) download.url = checkedUrl(url) ?? bad('Url');
          if (expiry !== undefined) download.urlExpiry = parseTimestamp(expiry) ?? bad('UrlExpiry');
          if (size !== undefined) download.sizeInBytes = Number.isSafeInteger(size) && (size as number) >= 0 ? (size as number) : bad('AttachmentSizeInBytes');
          return download;
        },
      ),
  };
}
