/**
 * Connect's error replies as UploadErrors, whichever way the call went: an exception of the official SDK, or the
 * error a host backend forwarded. The message names the server's error and, for quotas and refused files, its
 * `Reason` (e.g. `TOTAL_FILE_COUNT_EXCEEDED`), which also goes into `details.reason`.
 */
import { UploadError, type UploadErrorCode } from '../core/errors';
import { STATUS_CODES as API_STATUS_CODES, boundedLine, errorName, isRecord, parseRetryAfter } from '../core/http-errors';
import { cancelledError } from '../core/time';

/** Connect's error names (and the signing refusals every AWS API shares) to the library's codes. */
const NAMED_CODES: Readonly<Record<string, UploadErrorCode>> = {
  AccessDeniedException: 'access-denied',
  UnrecognizedClientException: 'access-denied',
  InvalidSignatureException: 'access-denied',
  IncompleteSignatureException: 'access-denied',
  MissingAuthenticationTokenException: 'access-denied',
  ExpiredTokenException: 'access-denied',
  ServiceQuotaExceededException: 'quota-exceeded',
  ThrottlingException: 'throttled',
  TooManyRequestsException: 'throttled',
  LimitExceededException: 'throttled',
  InvalidRequestException: 'validation',
  InvalidParameterException: 'validation',
  ValidationException: 'validation',
  SerializationException: 'validation',
  // The request names a file or resource that is not there: the caller's request is wrong, not the service.
  ResourceNotFoundException: 'validation',
  ResourceConflictException: 'conflict',
  ConflictException: 'conflict',
  InternalServiceException: 'server',
  InternalServerException: 'server',
  ServiceUnavailableException: 'server',
};

// As the participant API's, except that a 404 names a missing file or resource (not a wrong endpoint).
const STATUS_CODES: Readonly<Record<number, UploadErrorCode>> = { ...API_STATUS_CODES, 404: 'validation' };

export interface ConnectErrorFacts {
  status: number | undefined;
  /** The error name, as `x-amzn-ErrorType` or an SDK exception's `name` gives it. */
  name: unknown;
  message: unknown;
  /** A string, or Connect's union (`{"AttachedFileServiceQuotaExceededExceptionReason": "..."}`). */
  reason: unknown;
  retryAfter: string | undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? boundedLine(value) : undefined;
}

/** The reason a union carries (its one member's value), or the string itself. */
function reasonText(reason: unknown): string | undefined {
  if (isRecord(reason)) return Object.values(reason).map(text).find((value) => value !== undefined);
  return text(reason);
}

export function connectError(operation: string, facts: ConnectErrorFacts, now: number): UploadError {
  const name = errorName(text(facts.name));
  const { status } = facts;
  const code =
    (name === undefined ? undefined : NAMED_CODES[name]) ??
    (status === undefined ? undefined : (STATUS_CODES[status] ?? (status >= 500 ? 'server' : undefined))) ??
    'bad-response';
  const reason = reasonText(facts.reason);
  const serverMessage = text(facts.message);
  const what = [name ?? (status === undefined ? 'no status' : `HTTP ${status}`), reason].filter(Boolean).join(': ');
  const retryAfterSeconds = parseRetryAfter(facts.retryAfter, now);
  return new UploadError(code, `${operation} failed (${what})${serverMessage ? `: ${serverMessage}` : '.'}`, {
    ...(status !== undefined && { status }),
    ...(name !== undefined && { serverCode: name }),
    ...(reason !== undefined && { reason }),
    ...(retryAfterSeconds !== undefined && { retryAfterSeconds }),
  });
}

/**
 * An error thrown by `ConnectClient.send`. Service exceptions carry `$fault` and `$metadata`; an unreadable 2xx
 * reply carries a 2xx status; anything else never got a reply. The SDK error itself is never kept as a `cause`.
 */
export function fromSdkError(operation: string, error: unknown, signal: AbortSignal | undefined, now: number): UploadError {
  if (signal?.aborted) return cancelledError();
  const record = isRecord(error) ? error : {};
  const metadata = isRecord(record['$metadata']) ? record['$metadata'] : {};
  const status = typeof metadata['httpStatusCode'] === 'number' ? metadata['httpStatusCode'] : undefined;
  if (record['$fault'] === 'client' || record['$fault'] === 'server') {
    const response = isRecord(record['$response']) ? record['$response'] : {};
    const headers = isRecord(response['headers']) ? response['headers'] : {};
    const retryAfter = Object.entries(headers).find(([key]) => key.toLowerCase() === 'retry-after')?.[1];
    return connectError(
      operation,
      {
        status,
        name: record['name'],
        message: record['message'],
        reason: record['Reason'],
        retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined,
      },
      now,
    );
  }
  if (status !== undefined && status >= 200 && status <= 299) {
    return new UploadError('bad-response', `${operation} returned a reply that could not be read.`, { status });
  }
  if (record['name'] === 'TimeoutError') return new UploadError('timeout', `${operation}: no reply in time.`);
  return new UploadError('network', `${operation}: the request did not reach Connect or got no reply.`);
}
