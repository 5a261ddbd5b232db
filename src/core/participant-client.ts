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
/** Throws the 'bad-response' error naming what is wrong with the reply. */
type Bad = (what: string) => never;

export function createParticipantClient(options: ParticipantClientOptions): AttachmentClient {
  const { connectionToken, clock = systemClock, timeoutMs = 30_000 } = options;
  if (!connectionToken) throw new TypeError('createParticipantClient: a connectionToken is required.');
  const baseUrl = participantEndpoint(options);
  const http = options.axios ?? axios.create();
  // A server that echoes the request back must not get the token into an error message.
  const redact = (text: string): string => text.split(connectionToken).join('[redacted]');

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
        url: `${baseUrl}${path}`,
        data: JSON.stringify(payload),
        headers: { 'Content-Type': 'application/json', 'X-Amz-Bearer': connectionToken },
      },
      operation,
      { signal: requestOptions?.signal, clock, quietMs: timeoutMs, quietReason: 'timeout' },
    );
    const { status } = reply;
    const body = replyJson(reply.data);
    if (status < 200 || status > 299) throw apiErrorFromReply(operation, { status, headers: reply.headers, body }, clock.now(), redact);
    const bad: Bad = (what) => {
      throw new UploadError('bad-response', `${operation} returned an unexpected reply: ${what}.`, { status });
    };
    return read(isRecord(body) ? body : undefined, bad);
  }

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
          if (typeof attachmentId !== 'string' || !attachmentId) return bad('no AttachmentId');
          if (!isRecord(metadata)) return bad('no UploadMetadata');
          return {
            attachmentId,
            url: checkedUrl(metadata['Url']) ?? bad('UploadMetadata.Url is not an https URL'),
            urlExpiry: parseTimestamp(metadata['UrlExpiry']) ?? bad('UploadMetadata.UrlExpiry is not an ISO 8601 time'),
            headersToInclude: checkedHeaders(metadata['HeadersToInclude']) ?? bad('UploadMetadata.HeadersToInclude is not a header map'),
          };
        },
      ),

    // The reply is `{}`: a 2xx is all there is to check.
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
          const download: AttachmentDownload = {};
          const { Url: url, UrlExpiry: expiry, AttachmentSizeInBytes: size } = body ?? bad('not a JSON object');
          if (url !== undefined) download.url = checkedUrl(url) ?? bad('Url is not an https URL');
          if (expiry !== undefined) download.urlExpiry = parseTimestamp(expiry) ?? bad('UrlExpiry is not an ISO 8601 time');
          if (size !== undefined) {
            download.sizeInBytes = typeof size === 'number' && Number.isSafeInteger(size) && size >= 0 ? size : bad('AttachmentSizeInBytes is not a size');
          }
          return download;
        },
      ),
  };
}

function participantEndpoint({ endpoint, region = '' }: ParticipantClientOptions): string {
  if (endpoint !== undefined) {
    if (checkedUrl(endpoint)) return endpoint.replace(/\/+$/, '');
    throw new TypeError('createParticipantClient: endpoint must be an https URL (http only on a loopback host).');
  }
  // Checked so that a region string cannot point the ConnectionToken at another host.
  if (/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) return `https://participant.connect.${region}.amazonaws.com`;
  throw new TypeError('createParticipantClient: give a region such as "us-east-1", or an endpoint.');
}
