/**
 * The contract between the upload engine and a Connect API. The participant client (chat customers) and the
 * attached-file client (agents on cases and emails) both implement it, so the engine, the queue and the
 * component never know which side they are on.
 */

/** Opaque id of an uploaded file: `AttachmentId` (participant side) or `FileId` (attached-file side). */
export type AttachmentId = string;

/** Idempotency key of one Start or Complete request; repeating a request repeats its `ClientToken`. */
export type ClientToken = string;

export interface StartUploadRequest {
  name: string;
  sizeInBytes: number;
  /** Canonical MIME type from the allow-list; the PUT must send exactly this `Content-Type`. */
  contentType: string;
  clientToken: ClientToken;
}

export interface UploadTarget {
  attachmentId: AttachmentId;
  /** Presigned PUT URL (`UploadMetadata.Url`). */
  url: string;
  /** When the URL stops working, in epoch milliseconds as the server's clock has it (`UrlExpiry`). */
  urlExpiry: number;
  /** Headers the PUT must carry (`HeadersToInclude`), as the server gave them. */
  headersToInclude: Readonly<Record<string, string>>;
}

export interface CompleteUploadRequest {
  attachmentId: AttachmentId;
  clientToken: ClientToken;
}

/** Scan status of a stored file. Chat transcripts use APPROVED | REJECTED | IN_PROGRESS; attached files add FAILED. */
export type AttachmentStatus = 'APPROVED' | 'REJECTED' | 'IN_PROGRESS' | 'PROCESSING' | 'FAILED';

export interface AttachmentDownload {
  /** Presigned GET URL; absent while the file is not (yet) approved for download. */
  url?: string;
  urlExpiry?: number;
  sizeInBytes?: number;
  status?: AttachmentStatus;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

export interface AttachmentClient {
  /** Short name for diagnostics and mutation keys, e.g. `participant` or `attached-file`. */
  readonly kind: string;
  startUpload(request: StartUploadRequest, options?: RequestOptions): Promise<UploadTarget>;
  completeUpload(request: CompleteUploadRequest, options?: RequestOptions): Promise<void>;
  getAttachment(attachmentId: AttachmentId, options?: RequestOptions & { urlExpiryInSeconds?: number }): Promise<AttachmentDownload>;
}

/** What a successful upload hands to `onUploaded`: only after CompleteAttachmentUpload succeeded. */
export interface UploadedAttachment {
  attachmentId: AttachmentId;
  name: string;
  sizeInBytes: number;
  contentType: string;
}
