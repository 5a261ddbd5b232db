/**
 * When to try again, pure: every input (time, randomness, the URL's expiry, measured throughput) is passed in,
 * so the policy is table-tested without a network or a real clock.
 */
import type { UploadError, UploadErrorCode } from './errors';
import type { Random } from './time';

export interface RetryPolicy {
  /** Total PUT attempts across URLs. */
  maxPutAttempts: number;
  /** Fresh URLs (new StartAttachmentUpload, new ClientToken) after the first. */
  maxUrlRefreshes: number;
  /** Attempts of one Start or Complete request (same ClientToken). */
  maxApiAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** The URL must still be valid this long after the attempt is expected to end. */
  safetyMarginMs: number;
  /** Our clock and the server's (which set `UrlExpiry`) may differ this much. */
  clockSkewToleranceMs: number;
  /** Throughput assumed before any was measured; conservative. */
  assumedBytesPerSecond: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxPutAttempts: 6,
  maxUrlRefreshes: 3,
  maxApiAttempts: 5,
  // TanStack Query's defaults: 1 s doubling up to 30 s.
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  safetyMarginMs: 15_000,
  // Device clocks drift; much more would eat too much of a URL that lives only minutes.
  clockSkewToleranceMs: 30_000,
  assumedBytesPerSecond: 64 * 1024,
};

export interface PutFailure {
  error: UploadError;
  /** PUT attempts made so far, across URLs, the failed one included. */
  putAttempts: number;
  /** Fresh URLs asked for so far. */
  urlRefreshes: number;
  now: number;
  /** Expiry of the URL that just failed, epoch ms (server clock). */
  urlExpiry: number;
  bytesToSend: number;
  measuredBytesPerSecond?: number;
  random: Random;
}

export type PutDecision = { action: 'retry'; delayMs: number } | { action: 'refresh'; delayMs: number } | { action: 'give-up' };
export type ApiDecision = { action: 'retry'; delayMs: number } | { action: 'give-up' };

/** Failures that may pass on their own: the same request can be repeated after a pause. */
const TRANSIENT: ReadonlySet<UploadErrorCode> = new Set<UploadErrorCode>(['network', 'timeout', 'stalled', 'server', 'throttled']);

/**
 * "Full jitter" (a uniform pick in [0, min(max, base·2^(n-1))) ): it spreads many clients that failed together
 * best (AWS Architecture Blog, "Exponential Backoff and Jitter") and, unlike decorrelated jitter, needs no memory
 * of the previous delay, so the policy stays a pure function of its inputs. A server's `Retry-After` (capped at
 * maxDelayMs, so a hostile or confused reply cannot freeze an upload) is a floor.
 */
function backoffMs(failedAttempts: number, random: Random, policy: RetryPolicy, retryAfterSeconds: number | undefined): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failedAttempts - 1));
  const jittered = Math.floor(random() * ceiling);
  const asked = retryAfterSeconds === undefined ? 0 : Math.min(retryAfterSeconds * 1000, policy.maxDelayMs);
  return Math.max(jittered, asked);
}

function expectedTransferMs(bytesToSend: number, measuredBytesPerSecond: number | undefined, policy: RetryPolicy): number {
  const rate =
    measuredBytesPerSecond !== undefined && Number.isFinite(measuredBytesPerSecond) && measuredBytesPerSecond > 0
      ? measuredBytesPerSecond
      : policy.assumedBytesPerSecond;
  return (Math.max(0, bytesToSend) / rate) * 1000;
}

function validFor(startsAt: number, input: { urlExpiry: number; bytesToSend: number; measuredBytesPerSecond?: number }, policy: RetryPolicy): boolean {
  const endsAt = startsAt + expectedTransferMs(input.bytesToSend, input.measuredBytesPerSecond, policy);
  return endsAt + policy.safetyMarginMs + policy.clockSkewToleranceMs <= input.urlExpiry;
}

/**
 * Before an attempt with an existing URL: will it still be valid for the whole attempt (+margin, skew)? S3 checks
 * expiry when a request arrives, so this is stricter than S3 — it also keeps a retry clear of an expiry that
 * our clock misjudges, at the price of an occasional fresh URL that was not strictly needed.
 */
export function urlValidForAttempt(
  input: { now: number; urlExpiry: number; bytesToSend: number; measuredBytesPerSecond?: number },
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
): boolean {
  return validFor(input.now, input, policy);
}

/** After a failed PUT: the same URL again after a pause, a fresh URL, or the end. */
export function decidePutRetry(failure: PutFailure, policy: RetryPolicy = DEFAULT_RETRY_POLICY): PutDecision {
  const { error, putAttempts, urlRefreshes } = failure;
  const expired = error.code === 'url-expired';
  if (!expired && !TRANSIENT.has(error.code)) return { action: 'give-up' };
  if (putAttempts >= policy.maxPutAttempts) return { action: 'give-up' };
  const canRefresh = urlRefreshes < policy.maxUrlRefreshes;
  // A fresh URL fixes an expired one at once: no reason to wait.
  if (expired) return canRefresh ? { action: 'refresh', delayMs: 0 } : { action: 'give-up' };
  const delayMs = backoffMs(putAttempts, failure.random, policy, error.details.retryAfterSeconds);
  if (validFor(failure.now + delayMs, failure, policy)) return { action: 'retry', delayMs };
  // The pause still applies (the cause is transient); the fresh URL is asked for after it, so none of its life is lost.
  return canRefresh ? { action: 'refresh', delayMs } : { action: 'give-up' };
}

/** Start/Complete: retry throttling/5xx/network/timeout with the same ClientToken; honour Retry-After. */
export function decideApiRetry(error: UploadError, attempts: number, random: Random, policy: RetryPolicy = DEFAULT_RETRY_POLICY): ApiDecision {
  if (!TRANSIENT.has(error.code) || attempts >= policy.maxApiAttempts) return { action: 'give-up' };
  return { action: 'retry', delayMs: backoffMs(attempts, random, policy, error.details.retryAfterSeconds) };
}
