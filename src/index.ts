// The public API of connect-attachment-uploader. Everything a host may import is listed here, and nothing else.

// React: the component, the headless hook, messages (i18n) and the react-query mutation keys.
export { AttachmentUploader } from './react/AttachmentUploader';
export type { AttachmentUploaderProps, AttachmentUploaderHandle } from './react/AttachmentUploader';
export { useAttachmentUploader } from './react/useAttachmentUploader';
export type {
  UseAttachmentUploaderOptions,
  UseAttachmentUploaderResult,
  RootHandlers,
  RootProps,
  InputProps,
  ButtonProps,
} from './react/useAttachmentUploader';
export { defaultMessages, describeError } from './react/messages';
export type { AttachmentUploaderMessages, AttachmentUploaderMessagesOverride, ErrorFacts } from './react/messages';
export { START_ATTACHMENT_UPLOAD_KEY, COMPLETE_ATTACHMENT_UPLOAD_KEY } from './react/mutations';

// Connect clients and their contract.
export { createParticipantClient } from './core/participant-client';
export type { ParticipantClientOptions } from './core/participant-client';
export type {
  AttachmentClient,
  AttachmentDownload,
  AttachmentId,
  AttachmentStatus,
  ClientToken,
  CompleteUploadRequest,
  RequestOptions,
  StartUploadRequest,
  UploadedAttachment,
  UploadTarget,
} from './core/types';

// Errors.
export { UploadError, isUploadError } from './core/errors';
export type { UploadErrorCode, UploadErrorDetails } from './core/errors';

// Validation and type detection.
export { CONNECT_ALLOWED_TYPES, CONNECT_DEFAULT_MAX_FILE_SIZE_BYTES, CONNECT_MAX_NAME_LENGTH } from './core/allowed-types';
export type { AllowedType } from './core/allowed-types';
export { resolveRules, checkFile, validateFile, acceptAttribute } from './core/validate';
export type { FileRules, ResolvedRules, CheckedFile } from './core/validate';
export { sniffType } from './core/detect';

// The framework-free engine: one upload, the queue store, the PUT and the retry policy.
export { uploadAttachment } from './core/upload';
export type { UploadAttachmentOptions, UploadEvent, UploadOperations, UploadPhase } from './core/upload';
export { createUploadQueue } from './core/queue';
export type { UploadItem, UploadQueue, UploadQueueOptions, UploadQueueState, UploadStatus } from './core/queue';
export { putFile, headersForPut, BROWSER_FORBIDDEN_HEADERS } from './core/put';
export type { PutFunction, PutOptions } from './core/put';
export { DEFAULT_RETRY_POLICY } from './core/retry-policy';
export type { RetryPolicy } from './core/retry-policy';
export { systemClock } from './core/time';
export type { Clock, Random } from './core/time';

// A deterministic in-memory backend for stories and hosts' own tests (no network).
export { createMemoryBackend } from './core/memory-backend';
export type { MemoryAttachment, MemoryBackend, MemoryBackendOptions, MemoryFault } from './core/memory-backend';
