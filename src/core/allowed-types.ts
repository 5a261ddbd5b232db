/**
 * The file types Amazon Connect accepts for chat, case and email attachments (feature specifications), each
 * with the canonical MIME type we send as `ContentType` and the aliases browsers and the official widget use.
 * The emulator keeps its own copy (emulator/connect-limits.ts) so that it catches mistakes here; a test compares them.
 */
export interface AllowedType {
  /** Canonical MIME type sent to StartAttachmentUpload. */
  mime: string;
  /** Extensions (lower case, with the dot) that map to this type. */
  extensions: readonly string[];
  /** Other MIME types that mean the same thing (accepted in `accept`, never sent). */
  aliases: readonly string[];
}

export const CONNECT_ALLOWED_TYPES: readonly AllowedType[] = [
  { mime: 'text/csv', extensions: ['.csv'], aliases: [] },
  { mime: 'application/msword', extensions: ['.doc'], aliases: [] },
  {
    mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    extensions: ['.docx'],
    aliases: [],
  },
  { mime: 'image/heic', extensions: ['.heic'], aliases: [] },
  { mime: 'image/jpeg', extensions: ['.jpg', '.jpeg', '.jfif'], aliases: ['image/pjpeg'] },
  { mime: 'video/quicktime', extensions: ['.mov'], aliases: [] },
  { mime: 'video/mp4', extensions: ['.mp4'], aliases: [] },
  { mime: 'application/pdf', extensions: ['.pdf'], aliases: [] },
  { mime: 'image/png', extensions: ['.png'], aliases: [] },
  { mime: 'application/vnd.ms-powerpoint', extensions: ['.ppt'], aliases: [] },
  {
    mime: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    extensions: ['.pptx'],
    aliases: [],
  },
  { mime: 'application/rtf', extensions: ['.rtf'], aliases: ['application/x-rtf', 'text/rtf', 'text/richtext'] },
  { mime: 'text/plain', extensions: ['.txt'], aliases: [] },
  { mime: 'audio/wav', extensions: ['.wav'], aliases: ['audio/x-wav', 'audio/vnd.wave', 'audio/wave'] },
  { mime: 'application/vnd.ms-excel', extensions: ['.xls'], aliases: [] },
  {
    mime: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    extensions: ['.xlsx'],
    aliases: [],
  },
];

/** Connect's documented default maximum attachment size: 20 MB, taken as 20 × 1024 × 1024 bytes. */
export const CONNECT_DEFAULT_MAX_FILE_SIZE_BYTES = 20 * 1024 * 1024;

/** AttachmentName / FileName length limit (characters) from the API reference. */
export const CONNECT_MAX_NAME_LENGTH = 256;
