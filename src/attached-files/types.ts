/**
 * The four Connect operations of attached files, with their inputs as the Connect API (and the official SDK's
 * commands) name them. A host backend receives exactly `{operation, input}`.
 */

export type FileUseCaseType = 'ATTACHMENT' | 'EMAIL_MESSAGE';

/** Who attached the file. Connect fills in the caller's AWS identity when no agent is named. */
export interface CreatedBy {
  ConnectUserArn: string;
}

export interface StartAttachedFileUploadInput {
  InstanceId: string;
  AssociatedResourceArn: string;
  FileName: string;
  FileSizeInBytes: number;
  FileUseCaseType: FileUseCaseType;
  ClientToken: string;
  UrlExpiryInSeconds?: number;
  CreatedBy?: CreatedBy;
  Tags?: Record<string, string>;
}

export interface AttachedFileRef {
  InstanceId: string;
  AssociatedResourceArn: string;
  FileId: string;
}

export interface GetAttachedFileInput extends AttachedFileRef {
  UrlExpiryInSeconds?: number;
}

export type AttachedFileRequest =
  | { operation: 'StartAttachedFileUpload'; input: StartAttachedFileUploadInput }
  | { operation: 'CompleteAttachedFileUpload'; input: AttachedFileRef }
  | { operation: 'GetAttachedFile'; input: GetAttachedFileInput }
  | { operation: 'DeleteAttachedFile'; input: AttachedFileRef };

export type AttachedFileOperation = AttachedFileRequest['operation'];

/** Sends one operation; resolves with the reply's members, rejects with an UploadError. */
export type Transport = (request: AttachedFileRequest, signal: AbortSignal | undefined) => Promise<Record<string, unknown>>;
