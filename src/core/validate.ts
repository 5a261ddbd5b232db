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
import { UploadError } from './errors';
import { cancelledError } from './time';

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
export function resolveRules(rules: FileRules = {}): ResolvedRules {
  const { accept = [], maxFileSizeBytes = CONNECT_DEFAULT_MAX_FILE_SIZE_BYTES } = rules;
  if (!Number.isSafeInteger(maxFileSizeBytes) || maxFileSizeBytes < 1) {
    throw new TypeError(`maxFileSizeBytes must be a whole number of bytes of at least 1, not ${maxFileSizeBytes}.`);
  }
  if (accept.length === 0) return { types: CONNECT_ALLOWED_TYPES, maxFileSizeBytes };

  const extensions = new Set<string>();
  for (const raw of accept) {
    const entry = raw.trim().toLowerCase();
    const matched = CONNECT_ALLOWED_TYPES.filter((type) => acceptMatches(entry, type));
    if (matched.length === 0) {
      throw new TypeError(`accept entry "${raw}" names no file type Amazon Connect accepts.`);
    }
    for (const type of matched) {
      for (const extension of entry.startsWith('.') ? [entry] : type.extensions) extensions.add(extension);
    }
  }
  const types = CONNECT_ALLOWED_TYPES.flatMap((type) => {
    const kept = type.extensions.filter((extension) => extensions.has(extension));
    if (kept.length === 0) return [];
    return [kept.length === type.extensions.length ? type : { ...type, extensions: kept }];
  });
  return { types, maxFileSizeBytes };
}

/** Wildcards match aliases too: 'text/*' takes RTF (text/rtf) along with CSV and plain text. */
function acceptMatches(entry: string, type: AllowedType): boolean {
  if (entry.startsWith('.')) return type.extensions.includes(entry);
  const mimes = [type.mime, ...type.aliases];
  if (entry === '*/*') return true;
  if (entry.endsWith('/*')) return mimes.some((mime) => mime.startsWith(entry.slice(0, -1)));
  return mimes.includes(entry);
}

/** Value for <input type="file" accept="...">: extensions and canonical MIME types of the allowed types. */
export function acceptAttribute(rules: ResolvedRules): string {
  return rules.types
    .flatMap((type) => {
      // A type narrowed to some of its extensions leaves its MIME type out, or the picker would offer the rest.
      const whole = CONNECT_ALLOWED_TYPES.find((t) => t.mime === type.mime)?.extensions.length === type.extensions.length;
      return whole ? [...type.extensions, type.mime] : type.extensions;
    })
    .join(',');
}

// C0, DEL and C1 controls, and bidi embeddings/overrides/isolates (they can disguise an extension on screen:
// "invoice\u202Efdp.exe" shows as "invoiceexe.pdf"); unpaired surrogates cannot be sent as valid UTF-8.
const NAME_CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;
const NAME_BROKEN = /[\ud800-\udfff]/u;

/** Synchronous checks (size, name, extension allowed); throws UploadError. */
export function checkFile(file: { name: string; size: number }, rules: ResolvedRules): CheckedFile {
  const { name, size } = file;
  const shown = displayName(name);
  if (size < 1) throw new UploadError('file-empty', `${shown} is empty.`, { limit: 1, actual: size });
  if (size > rules.maxFileSizeBytes) {
    let [actual, limit] = [formatBytes(size), formatBytes(rules.maxFileSizeBytes)];
    // Just over the limit, both round alike ("20 MiB; the limit is 20 MiB"): exact bytes say why.
    if (actual === limit) [actual, limit] = [`${size} bytes`, `${rules.maxFileSizeBytes} bytes`];
    throw new UploadError('file-too-large', `${shown} is ${actual}; the limit is ${limit}.`, {
      limit: rules.maxFileSizeBytes,
      actual: size,
    });
  }

  // AWS length constraints count Unicode code points, not UTF-16 units.
  const length = [...name].length;
  if (length === 0) throw new UploadError('name-empty', 'The file has no name.');
  if (length > CONNECT_MAX_NAME_LENGTH) {
    throw new UploadError(
      'name-too-long',
      `The name ${shown} is ${length} characters long; the limit is ${CONNECT_MAX_NAME_LENGTH}.`,
      { limit: CONNECT_MAX_NAME_LENGTH, actual: length },
    );
  }
  if (NAME_CONTROL.test(name)) {
    throw new UploadError('name-invalid', `The name ${shown} contains a control character.`);
  }
  if (NAME_BROKEN.test(name)) throw new UploadError('name-invalid', `The name ${shown} is not valid Unicode text.`);
  if (name.includes('/') || name.includes('\\')) {
    throw new UploadError('name-invalid', `The name ${shown} contains a path separator (/ or \\).`);
  }

  const dot = name.lastIndexOf('.');
  const extension = dot < 0 ? '' : name.slice(dot).toLowerCase();
  const type = rules.types.find((t) => t.extensions.includes(extension));
  if (!type) {
    const what = extension ? `${extension} files are` : 'a file without an extension is';
    throw new UploadError('type-not-allowed', `${shown} can't be sent: ${what} not accepted here.`, { extension });
  }
  return { name, sizeInBytes: size, extension, contentType: type.mime };
}

/** checkFile plus the first-bytes check; throws UploadError; rejects with code 'cancelled' if the signal aborts. */
export async function validateFile(
  file: Blob & { name: string },
  rules: ResolvedRules,
  options: { signal?: AbortSignal } = {},
): Promise<CheckedFile> {
  const checked = checkFile(file, rules);
  const detected = sniffType(await readHead(file, options.signal));
  if (!contentMatches(checked.contentType, detected)) {
    const content = detected ? ` (its content is ${detected})` : '';
    throw new UploadError(
      'type-mismatch',
      `${displayName(file.name)} is not a real ${checked.extension} file${content}.`,
      detected ? { extension: checked.extension, detectedType: detected } : { extension: checked.extension },
    );
  }
  return checked;
}

async function readHead(file: Blob & { name: string }, signal: AbortSignal | undefined): Promise<Uint8Array> {
  if (signal?.aborted) throw cancelledError();
  // A file can become unreadable after it was picked (moved, deleted, permission revoked: NotReadableError).
  const read = file
    .slice(0, SNIFF_BYTES)
    .arrayBuffer()
    .catch((cause: unknown) => {
      throw new UploadError('upload-failed', `${displayName(file.name)} could not be read.`, {}, { cause });
    });
  if (!signal) return new Uint8Array(await read);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(cancelledError());
    signal.addEventListener('abort', onAbort, { once: true });
    read.then(
      (buffer) => resolve(new Uint8Array(buffer)),
      (error: unknown) => reject(error),
    ).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The name in quotes for a message: control characters escaped (never raw), long names shortened. */
function displayName(name: string): string {
  const points = [...name];
  const short = points.length > 60 ? `${points.slice(0, 60).join('')}…` : name;
  const escaped = short.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ud800-\udfff]/gu, (c) =>
    `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `"${escaped}"`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${+(bytes / 1024).toFixed(1)} KiB`;
  return `${+(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
