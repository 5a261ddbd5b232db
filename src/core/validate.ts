/**
 * Checks a file before any request: size, name, and type from the extension plus the first bytes (never
 * `File.type`, which is empty for .csv on Windows and for .heic on many systems, and is guessed from the extension,
 * so a renamed file carries a false one).
 */
import {
  type AllowedType,
  CONNECT_ALLOWED_TYPES,
  CONNECT_DEFAULT_MAX_FILE_SIZE_BYTES,
  CONNECT_MAX_NAME_LENGTH,
} from './allowed-types';
import { contentMatches, SNIFF_BYTES, sniffType } from './detect';
import { UploadError, type UploadErrorCode, type UploadErrorDetails } from './errors';
import { abortable } from './time';

export interface FileRules {
  /**
   * Narrows Connect's allow-list, like an `accept` attribute: extensions ('.pdf'), MIME types, canonical or alias
   * ('audio/x-wav'), and wildcards ('image/*'). Undefined or empty: every type Connect accepts. An entry that
   * names nothing Connect accepts ('.exe', 'image/gif') throws a TypeError in `resolveRules`.
   */
  accept?: readonly string[];
  /** Largest file in bytes; default CONNECT_DEFAULT_MAX_FILE_SIZE_BYTES (20 MiB, Connect's default). */
  maxFileSizeBytes?: number;
}

export interface ResolvedRules {
  /** Allowed types; an entry narrowed by extension lists only the accepted extensions. */
  readonly types: readonly AllowedType[];
  /** Bytes. */
  readonly maxFileSizeBytes: number;
}

export interface CheckedFile {
  name: string;
  sizeInBytes: number;
  /** Lower case, with the dot. */
  extension: string;
  /** Canonical MIME type from the allow-list: the ContentType to send. */
  contentType: string;
}

/**
 * Resolves `accept` against Connect's allow-list. Entries outside it throw a TypeError rather than being
 * ignored: such a file could never be uploaded, so the entry is a configuration bug, and ignoring it would let
 * the file picker offer files that are then refused.
 */
export function resolveRules({
  accept = [],
  maxFileSizeBytes = CONNECT_DEFAULT_MAX_FILE_SIZE_BYTES,
}: FileRules = {}): ResolvedRules {
  if (!Number.isSafeInteger(maxFileSizeBytes) || maxFileSizeBytes < 1) {
    throw new TypeError(`maxFileSizeBytes must be a positive integer, not ${maxFileSizeBytes}.`);
  }
  const extensions: string[] = [];
  for (const raw of accept.length ? accept : ['*/*']) {
    const entry = raw.trim().toLowerCase();
    // An entry takes an extension by name, or all of a type's by one of its MIME types (canonical or alias) or
    // their wildcards: 'text/*' takes RTF (text/rtf).
    const taken = CONNECT_ALLOWED_TYPES.flatMap((type) =>
      type.extensions.filter(
        (extension) =>
          entry === extension || [type.mime, ...type.aliases].some((mime) => [mime, mime.replace(/\/.*/, '/*'), '*/*'].includes(entry)),
      ),
    );
    if (!taken.length) throw new TypeError(`accept entry "${raw}" names no type Connect accepts.`);
    extensions.push(...taken);
  }
  const types = CONNECT_ALLOWED_TYPES.flatMap((type) => {
    const kept = type.extensions.filter((extension) => extensions.includes(extension));
    // A whole type stays the same object: acceptAttribute tells whole types from narrowed ones that way.
    return kept.length ? [kept.length === type.extensions.length ? type : { ...type, extensions: kept }] : [];
  });
  return { types, maxFileSizeBytes };
}

/** Value for <input type="file" accept="...">: extensions and canonical MIME types of the allowed types. */
export function acceptAttribute(rules: ResolvedRules): string {
  // A type narrowed to some of its extensions leaves its MIME type out, or the picker would offer the rest.
  return rules.types
    .flatMap((type) => (CONNECT_ALLOWED_TYPES.includes(type) ? [...type.extensions, type.mime] : type.extensions))
    .join(',');
}

// C0, DEL and C1 controls, and bidi embeddings/overrides/isolates (they can disguise an extension on screen:
// "invoice\u202Efdp.exe" shows as "invoiceexe.pdf"); unpaired surrogates cannot be sent as valid UTF-8; path
// separators are not part of a name.
const NAME_INVALID = /[\p{Cc}\p{Cs}\u202a-\u202e\u2066-\u2069/\\]/u;

/**
 * Synchronous checks (size, name, extension allowed); throws UploadError. Its message is short and factual, for
 * logs and the command line; the UI words it from `code` and `details` (messages.ts), which is why the name,
 * never safe to echo raw, is not in it.
 */
export function checkFile({ name, size }: { name: string; size: number }, rules: ResolvedRules): CheckedFile {
  const refuse = (code: UploadErrorCode, message: string, details?: UploadErrorDetails): never => {
    throw new UploadError(code, message, details);
  };
  const limit = rules.maxFileSizeBytes;
  if (size < 1) refuse('file-empty', 'The file is empty.', { limit: 1, actual: size });
  if (size > limit) refuse('file-too-large', `The file is ${size} bytes; the limit is ${limit} bytes.`, { limit, actual: size });

  // AWS length constraints count Unicode code points, not UTF-16 units.
  const length = [...name].length;
  if (!length) refuse('name-empty', 'The file has no name.');
  if (length > CONNECT_MAX_NAME_LENGTH) {
    refuse('name-too-long', `The name is ${length} characters; the limit is ${CONNECT_MAX_NAME_LENGTH}.`, {
      limit: CONNECT_MAX_NAME_LENGTH,
      actual: length,
    });
  }
  if (NAME_INVALID.test(name)) refuse('name-invalid', 'The name has a control character, a path separator or broken Unicode.');

  const extension = extensionOf(name);
  const type =
    rules.types.find((t) => t.extensions.includes(extension)) ??
    refuse('type-not-allowed', `${extension ? `${extension} files are` : 'A file without an extension is'} not accepted.`, { extension });
  return { name, sizeInBytes: size, extension, contentType: type.mime };
}

/**
 * The extension of a file name, lower case with the dot ('' when there is none). As in Node's path.extname, a
 * leading dot starts a hidden file's name, not an extension: ".txt" has none.
 */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot).toLowerCase();
}

/** checkFile plus the first-bytes check; throws UploadError; rejects with code 'cancelled' if the signal aborts. */
export async function validateFile(
  file: Blob & { name: string },
  rules: ResolvedRules,
  { signal }: { signal?: AbortSignal } = {},
): Promise<CheckedFile> {
  const checked = checkFile(file, rules);
  const { extension } = checked;
  // A file can become unreadable after it was picked (moved, deleted, permission revoked: NotReadableError).
  const head = file
    .slice(0, SNIFF_BYTES)
    .arrayBuffer()
    .catch((cause: unknown) => {
      throw new UploadError('upload-failed', 'The file could not be read.', {}, { cause });
    });
  const detectedType = sniffType(new Uint8Array(await abortable(head, signal)));
  if (!contentMatches(checked.contentType, detectedType)) {
    throw new UploadError('type-mismatch', `Not a real ${extension} file: its content is ${detectedType ?? 'unknown'}.`, { extension, detectedType });
  }
  return checked;
}
