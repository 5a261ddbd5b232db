// The public API of `connect-attachment-uploader/attached-files`: the agent side (Cases and Email). A separate
// entry, so that the main bundle never imports @aws-sdk/client-connect.
export { createAttachedFileClient } from './client';
export type {
  AttachedFileClient,
  AttachedFileClientCommonOptions,
  AttachedFileClientOptions,
  AttachedFileSdkClientOptions,
  AttachedFileBackendClientOptions,
} from './client';
export type { AttachedFileBackendOptions } from './backend-transport';
export type {
  AttachedFileOperation,
  AttachedFileRef,
  AttachedFileRequest,
  CreatedBy,
  FileUseCaseType,
  GetAttachedFileInput,
  StartAttachedFileUploadInput,
} from './types';
export { waitForScan } from './wait-for-scan';
export type { ScanOutcome, ScannedFile, WaitForScanOptions } from './wait-for-scan';
