/**
 * The faults of the upload calls that the chat (participant) API and Connect's attached-file API share: a throttled
 * or failing Start, a failing Complete. The one keeps them per contact, the other per associated resource; both
 * set, parse and answer them here, so the two cannot drift apart.
 */
import { ApiError, validationError } from './http';
import type { RequestValidator } from './validation';

/** One failure to inject into the next `count` calls of an operation. */
export interface ApiFault {
  count: number;
  /** HTTP status; default 500. */
  status?: number;
  /** `x-amzn-ErrorType`; default the API's own name for an internal error. */
  errorType?: string;
  message?: string;
  /** Adds a `Retry-After` header. */
  retryAfterSeconds?: number;
}

export interface CallFaults {
  /** Answer the next N Start calls with 429 ThrottlingException. */
  throttleStart?: { count: number; retryAfterSeconds?: number };
  failStart?: ApiFault;
  failComplete?: ApiFault;
}

export const CALL_FAULT_KEYS = ['throttleStart', 'failStart', 'failComplete'] as const;

/** An update of faults or overrides: each key given replaces that entry, `null` removes it. */
export type Update<T> = { [K in keyof T]?: T[K] | null };

export function mergeUpdate<T extends object>(current: T, update: Update<T>): T {
  const merged: Record<string, unknown> = { ...(current as Record<string, unknown>) };
  for (const [key, value] of Object.entries(update)) {
    if (value === null) delete merged[key];
    else if (value !== undefined) merged[key] = structuredClone(value);
  }
  return merged as T;
}

/** Consumes one occurrence of a counted fault; returns it when it fired. */
export function takeFault<K extends string, F extends { [P in K]?: { count: number } }>(faults: F, key: K): F[K] | undefined {
  const fault = faults[key];
  if (fault === undefined || fault.count <= 0) return undefined;
  const remaining = fault.count - 1;
  if (remaining <= 0) delete faults[key];
  else faults[key] = { ...fault, count: remaining };
  return fault;
}

function injected(fault: Partial<ApiFault>, fallback: { status: number; errorType: string; message: string }): ApiError {
  const headers: Record<string, string> = fault.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(fault.retryAfterSeconds) };
  return new ApiError(fault.status ?? fallback.status, fault.errorType ?? fallback.errorType, fault.message ?? fallback.message, headers);
}

/**
 * Throws the error a Start fault injects, if one is due (a throttle before a failure). `internalErrorType` is the
 * API's own name for a 500: InternalServerException in the participant model, InternalServiceException in Connect's.
 */
export function throwStartFault(faults: CallFaults, internalErrorType: string): void {
  const throttle = takeFault(faults, 'throttleStart');
  if (throttle !== undefined) throw injected(throttle, { status: 429, errorType: 'ThrottlingException', message: 'Rate exceeded.' });
  const failure = takeFault(faults, 'failStart');
  if (failure !== undefined) throw injected(failure, { status: 500, errorType: internalErrorType, message: 'Injected failure.' });
}

/** As `throwStartFault`, for Complete. */
export function throwCompleteFault(faults: CallFaults, internalErrorType: string): void {
  const failure = takeFault(faults, 'failComplete');
  if (failure !== undefined) throw injected(failure, { status: 500, errorType: internalErrorType, message: 'Injected failure.' });
}

/** A faults body may hold only `known` keys: a typo must not pass as "no fault". */
export function refuseUnknownKeys(body: Record<string, unknown>, known: readonly string[]): void {
  const unknown = Object.keys(body).filter((key) => !known.includes(key));
  if (unknown.length > 0) throw validationError(`Unknown fault(s): ${unknown.join(', ')}. Known: ${known.join(', ')}.`);
}

/** The `throttleStart`, `failStart` and `failComplete` of a faults body; violations are collected in `v`. */
export function parseCallFaults(v: RequestValidator, body: Record<string, unknown>): Update<CallFaults> {
  const update: Update<CallFaults> = {};
  const count = (path: string, value: Record<string, unknown>) => v.integer(`${path}.count`, value['count'], { required: true, min: 0 });
  const retryAfter = (path: string, value: Record<string, unknown>) =>
    v.integer(`${path}.retryAfterSeconds`, value['retryAfterSeconds'], { min: 0, max: 3600 });

  if (body['throttleStart'] === null) update.throttleStart = null;
  else {
    const value = v.object('throttleStart', body['throttleStart']);
    if (value !== undefined) {
      const retryAfterSeconds = retryAfter('throttleStart', value);
      update.throttleStart = { count: count('throttleStart', value), ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) };
    }
  }
  for (const key of ['failStart', 'failComplete'] as const) {
    if (body[key] === null) {
      update[key] = null;
      continue;
    }
    const value = v.object(key, body[key]);
    if (value === undefined) continue;
    const fault: ApiFault = { count: count(key, value) };
    const status = v.integer(`${key}.status`, value['status'], { min: 400, max: 599 });
    const errorType = v.string(`${key}.errorType`, value['errorType'], { min: 1, max: 100 });
    const message = v.string(`${key}.message`, value['message'], { max: 1000 });
    const retryAfterSeconds = retryAfter(key, value);
    if (status !== undefined) fault.status = status;
    if (errorType !== undefined) fault.errorType = errorType;
    if (message !== undefined) fault.message = message;
    if (retryAfterSeconds !== undefined) fault.retryAfterSeconds = retryAfterSeconds;
    update[key] = fault;
  }
  return update;
}
