/**
 * What the real service accepts, written from the project's reference notes (connect-facts.md, "Limits": the
 * Amazon Connect feature specifications, https://docs.aws.amazon.com/connect/latest/adminguide/feature-limits.html,
 * and the MIME types the official chat widget sends). Deliberately not imported from src/core/allowed-types.ts: the
 * emulator stands for the service, so a mistake in the library's table must fail against it, not be mirrored by it.
 * connect-limits.test.ts compares the two.
 */

/** The first is the type Connect labels a file with; the others are aliases it also takes as ContentType. */
type MimeTypes = readonly [string, ...string[]];

/** Per supported extension, the MIME types Connect takes as the ContentType of such a file. */
export const CONNECT_ATTACHMENT_TYPES: ReadonlyMap<string, MimeTypes> = new Map<string, MimeTypes>([
  ['.csv', ['text/csv']],
  ['.doc', ['application/msword']],
  ['.docx', ['application/vnd.openxmlformats-officedocument.wordprocessingml.document']],
  ['.heic', ['image/heic']],
  ['.jfif', ['image/jpeg']],
  ['.jpeg', ['image/jpeg']],
  ['.jpg', ['image/jpeg']],
  ['.mov', ['video/quicktime']],
  ['.mp4', ['video/mp4']],
  ['.pdf', ['application/pdf']],
  ['.png', ['image/png']],
  ['.ppt', ['application/vnd.ms-powerpoint']],
  ['.pptx', ['application/vnd.openxmlformats-officedocument.presentationml.presentation']],
  ['.rtf', ['application/rtf', 'application/x-rtf', 'text/rtf', 'text/richtext']],
  ['.txt', ['text/plain']],
  ['.wav', ['audio/wav', 'audio/x-wav', 'audio/vnd.wave']],
  ['.xls', ['application/vnd.ms-excel']],
  ['.xlsx', ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet']],
]);

/**
 * The documented default maximum, "20 MB", in bytes. Connect's own API reference writes its 100 MB ceiling
 * (UpdateAttachedFilesConfiguration, MaximumSizeLimitInBytes) as 104857600, so its MB is 1024 × 1024 bytes.
 */
export const CONNECT_DEFAULT_MAX_ATTACHMENT_SIZE_BYTES = 20 * 1024 * 1024;
