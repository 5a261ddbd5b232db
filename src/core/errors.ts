/**
 * Every failure the library reports is an `UploadError` with a stable `code`. `message` is for people and never
 * contains the ConnectionToken; `details` carries the facts a UI needs to explain the failure in its own words.
 */
export type UploadErrorCode =
  // Refused before any request (validation and type detection).
  | 'file-empty'
  | 'file-too-large'
  | 'name-empty'
  | 'name-too-long'
  | 'name-invalid'
  | 'type-not-allowed'
  | 'type-mismatch'
  // Connect API replies (mapped from `x-amzn-ErrorType` / HTTP status).
  | 'access-denied'
  | 'quota-exceeded'
  | 'throttled'
  | 'validation'
  | 'conflict'
  | 'server'
  | 'bad-response'
  // Transport and the presigned PUT.
  | 'network'
  | 'timeout'
  | 'stalled'
  | 'url-expired'
  | 'signature-mismatch'
  | 'upload-failed'
  // Lifecycle.
  | 'cancelled';

export interface UploadErrorDetails {
  /** HTTP status of the reply that caused the error, when there was one. */
  status?: number;
  /** The server's error name: `x-amzn-ErrorType` (up to the first `:`) or S3's XML `Code`. */
  serverCode?: string;
  /** The configured limit that was exceeded (bytes for sizes, characters for names). */
  limit?: number;
  /** The observed value (file size in bytes, name length in characters). */
  actual?: number;
  /** The type detected from the file's extension and first bytes, when one was. */
  detectedType?: string;
  /** The file extension as given (lower case, with the dot), when relevant. */
  extension?: string;
  /** Seconds the server asked us to wait (`Retry-After`), when it did. */
  retryAfterSeconds?: number;
  /** A reason the server gave beyond the error name (e.g. `TOTAL_FILE_COUNT_EXCEEDED`). */
  reason?: string;
}

export class UploadError extends Error {
  override readonly name = 'UploadError';
  // Assigned in the constructor; `declare` keeps the compiled class free of empty field definitions.
  declare readonly code: UploadErrorCode;
  declare readonly details: UploadErrorDetails;

  constructor(code: UploadErrorCode, message: string, details: UploadErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
  }
}

export function isUploadError(value: unknown): value is UploadError {
  return value instanceof UploadError;
}
