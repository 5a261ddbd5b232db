/**
 * The agent's side of Amazon Connect attachments: files attached to a Case or an Email through the Connect API
 * (StartAttachedFileUpload → PUT to `UploadUrlMetadata` → CompleteAttachedFileUpload → GetAttachedFile), behind
 * the same AttachmentClient contract as the chat participant client. These calls are SigV4-signed: the host either
 * passes its own configured `ConnectClient` or a backend endpoint that forwards them. No keys are ever asked for.
 */
import type { ConnectClient } from '@aws-sdk/client-connect';
import { UploadError } from '../core/errors';
import { isRecord } from '../core/http-errors';
import { checkedHeaders, checkedUrl, parseTimestamp } from '../core/reply';
import { systemClock, type Clock } from '../core/time';
import type { AttachmentClient, AttachmentDownload, AttachmentId, AttachmentStatus, RequestOptions, UploadTarget } from '../core/types';
import { backendTransport, type AttachedFileBackendOptions } from './backend-transport';
import { sdkTransport } from './sdk-transport';
import type { AttachedFileOperation, AttachedFileRef, CreatedBy, FileUseCaseType, Transport } from './types';

export interface AttachedFileClientCommonOptions {
  /** The Amazon Connect instance id. */
  instanceId: string;
  /** The case (or email contact) the files are attached to. */
  associatedResourceArn: string;
  /** Default `ATTACHMENT`. */
  fileUseCaseType?: FileUseCaseType;
  /** Lifetime of the presigned PUT URL, 5..300 s; Connect's default is 300. */
  urlExpiryInSeconds?: number;
  /** The agent attaching the files; without it Connect records the caller's AWS identity. */
  createdBy?: CreatedBy;
  tags?: Readonly<Record<string, string>>;
  /** Drives timeouts and `Retry-After` dates; default the system clock. */
  clock?: Clock;
}

export interface AttachedFileSdkClientOptions extends AttachedFileClientCommonOptions {
  /** The host's `ConnectClient` from @aws-sdk/client-connect, configured with its (temporary) credentials. */
  connect: ConnectClient;
  backend?: undefined;
}

export interface AttachedFileBackendClientOptions extends AttachedFileClientCommonOptions {
  /** The host's endpoint that signs and forwards each operation (see the README). */
  backend: AttachedFileBackendOptions;
  connect?: undefined;
}

export type AttachedFileClientOptions = AttachedFileSdkClientOptions | AttachedFileBackendClientOptions;

export interface AttachedFileClient extends AttachmentClient {
  readonly kind: 'attached-file';
  /** DeleteAttachedFile: removes the file from the resource (which frees its place in the quota). */
  deleteFile(fileId: AttachmentId, options?: RequestOptions): Promise<void>;
}

const FILE_STATUSES: ReadonlySet<string> = new Set<AttachmentStatus>(['APPROVED', 'REJECTED', 'PROCESSING', 'FAILED']);

export function createAttachedFileClient(options: AttachedFileClientOptions): AttachedFileClient {
  const { instanceId, associatedResourceArn, fileUseCaseType = 'ATTACHMENT', urlExpiryInSeconds, createdBy, tags } = options;
  const clock = options.clock ?? systemClock;
  if (!instanceId) throw new TypeError('createAttachedFileClient: instanceId is required.');
  if (!/^arn:[^:]+:[^:]+:/.test(associatedResourceArn)) {
    throw new TypeError('createAttachedFileClient: associatedResourceArn must be the ARN of a case or email contact.');
  }
  if (urlExpiryInSeconds !== undefined && !(Number.isInteger(urlExpiryInSeconds) && urlExpiryInSeconds >= 5 && urlExpiryInSeconds <= 300)) {
    throw new TypeError('createAttachedFileClient: urlExpiryInSeconds must be an integer from 5 to 300.');
  }
  let transport: Transport;
  if (options.connect !== undefined && options.backend === undefined) transport = sdkTransport(options.connect, clock);
  else if (options.backend !== undefined && options.connect === undefined) transport = backendTransport(options.backend, clock);
  else throw new TypeError('createAttachedFileClient: give either `connect` (a ConnectClient) or `backend`, not both.');

  const ref = (fileId: AttachmentId): AttachedFileRef => ({ InstanceId: instanceId, AssociatedResourceArn: associatedResourceArn, FileId: fileId });
  const badResponse = (operation: AttachedFileOperation) => (what: string): never => {
    throw new UploadError('bad-response', `${operation} returned an unexpected reply: ${what}.`);
  };

  return {
    kind: 'attached-file',

    async startUpload(request, requestOptions): Promise<UploadTarget> {
      const operation = 'StartAttachedFileUpload';
      const reply = await transport(
        {
          operation,
          input: {
            InstanceId: instanceId,
            AssociatedResourceArn: associatedResourceArn,
            FileName: request.name,
            FileSizeInBytes: request.sizeInBytes,
            FileUseCaseType: fileUseCaseType,
            ClientToken: request.clientToken,
            ...(urlExpiryInSeconds !== undefined && { UrlExpiryInSeconds: urlExpiryInSeconds }),
            ...(createdBy !== undefined && { CreatedBy: { ConnectUserArn: createdBy.ConnectUserArn } }),
            ...(tags !== undefined && { Tags: { ...tags } }),
          },
        },
        requestOptions?.signal,
      );
      const bad = badResponse(operation);
      const { FileId: fileId, UploadUrlMetadata: metadata } = reply;
      if (typeof fileId !== 'string' || !fileId) return bad('no FileId');
      if (!isRecord(metadata)) return bad('no UploadUrlMetadata');
      return {
        attachmentId: fileId,
        url: checkedUrl(metadata['Url']) ?? bad('UploadUrlMetadata.Url is not an https URL'),
        urlExpiry: parseTimestamp(metadata['UrlExpiry']) ?? bad('UploadUrlMetadata.UrlExpiry is not an ISO 8601 time'),
        headersToInclude: checkedHeaders(metadata['HeadersToInclude']) ?? bad('UploadUrlMetadata.HeadersToInclude is not a header map'),
      };
    },

    // The API has no ClientToken here: completing twice is harmless. The reply is empty.
    async completeUpload(request, requestOptions): Promise<void> {
      await transport({ operation: 'CompleteAttachedFileUpload', input: ref(request.attachmentId) }, requestOptions?.signal);
    },

    async getAttachment(fileId, requestOptions): Promise<AttachmentDownload> {
      const operation = 'GetAttachedFile';
      const expiry = requestOptions?.urlExpiryInSeconds;
      const reply = await transport(
        { operation, input: { ...ref(fileId), ...(expiry !== undefined && { UrlExpiryInSeconds: expiry }) } },
        requestOptions?.signal,
      );
      const bad = badResponse(operation);
      const { FileStatus: status, FileSizeInBytes: size, DownloadUrlMetadata: download } = reply;
      if (typeof status !== 'string' || !FILE_STATUSES.has(status)) return bad('FileStatus is missing or unknown');
      const result: AttachmentDownload = { status: status as AttachmentStatus };
      if (size !== undefined) {
        result.sizeInBytes = typeof size === 'number' && Number.isSafeInteger(size) && size >= 0 ? size : bad('FileSizeInBytes is not a size');
      }
      // Only an approved file gets a download link, whatever else the reply holds.
      if (status === 'APPROVED' && download !== undefined) {
        if (!isRecord(download)) return bad('DownloadUrlMetadata is not an object');
        result.url = checkedUrl(download['Url']) ?? bad('DownloadUrlMetadata.Url is not an https URL');
        result.urlExpiry = parseTimestamp(download['UrlExpiry']) ?? bad('DownloadUrlMetadata.UrlExpiry is not an ISO 8601 time');
      }
      return result;
    },

    async deleteFile(fileId, requestOptions): Promise<void> {
      await transport({ operation: 'DeleteAttachedFile', input: ref(fileId) }, requestOptions?.signal);
    },
  };
}
