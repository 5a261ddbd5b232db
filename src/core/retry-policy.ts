/**
 * When to try again, pure: every input (time, randomness, the URL's expiry, measured throughput) is passed in,
 * so the policy is table-tested without a network or a real clock.
 */
import type { UploadError } from './errors';
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

// baseDelayMs/maxDelayMs: TanStack Query's defaults, 1 s doubling up to 30 s. clockSkewToleranceMs: device clocks
// drift; much more would eat too much of a URL that lives only minutes.
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxPutAttempts: 6,
  maxUrlRefreshes: 3,
  maxApiAttempts: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  safetyMarginMs: 15_000,
  clockSkewToleranceMs: 30_000,
  assumedBytesPerSecond: 64 * 1024,
};

/** An attempt about to start at `now` with a URL that expires at `urlExpiry` (epoch ms, server clock). */
export interface UrlCheck {
  now: number;
  urlExpiry: number;
  bytesToSend: number;
  measuredBytesPerSecond?: number;
}

export interface PutFailure extends UrlCheck {
  error: UploadError;
  /** PUT attempts made so far, across URLs, the failed one included. */
  putAttempts: number;
  /** Fresh URLs asked for so far. */
  urlRefreshes: number;
  random: Random;
}

/**
 * A PUT worth another try: wait `delayMs`, then try the same URL again (`retrying`) or a fresh one (`refreshing`).
 * The phase names are the ones the upload reports while it waits.
 */
export interface PutDecision {
  phase: 'retrying' | 'refreshing';
  delayMs: number;
}

/** Failures that may pass on their own: the same request can be repeated after a pause. */
const isTransient = (error: UploadError): boolean => /^(network|timeout|stalled|server|throttled)$/.test(error.code);

/**
 * "Full jitter" (a uniform pick in [0, min(max, base·2^(n-1))) ): it spreads many clients that failed together
 * best (AWS Architecture Blog, "Exponential Backoff and Jitter") and, unlike decorrelated jitter, needs no memory
 * of the previous delay, so the policy stays a pure function of its inputs. A server's `Retry-After` (capped at
 * maxDelayMs, so a hostile or confused reply cannot freeze an upload) is a floor.
 */
function backoffMs(
  error: UploadError,
  failedAttempts: number,
  random: Random,
  { baseDelayMs, maxDelayMs }: RetryPolicy,
): number {
  return Math.max(
    Math.floor(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (failedAttempts - 1))),
    Math.min((error.details.retryAfterSeconds ?? 0) * 1000, maxDelayMs),
  );
}

/**
 * Before an attempt with an existing URL: will it still be valid for the whole attempt (+margin, skew)? S3 checks
 * expiry when a request arrives, so this is stricter than S3 — it also keeps a retry clear of an expiry that
 * our clock misjudges, at the price of an occasional fresh URL that was not strictly needed.
 */
export function urlValidForAttempt(
  { now, urlExpiry, bytesToSend, measuredBytesPerSecond: measured }: UrlCheck,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
): boolean {
  // A useless measurement (none, 0, NaN, Infinity) falls back to the assumed rate.
  const rate = measured !== undefined && measured > 0 && measured < Infinity ? measured : policy.assumedBytesPerSecond;
  return now + (bytesToSend / rate) * 1000 + policy.safetyMarginMs + policy.clockSkewToleranceMs <= urlExpiry;
}

/** After a failed PUT: the same URL again after a pause, a fresh URL, or `undefined`: give up. */
export function decidePutRetry(failure: PutFailure, policy: RetryPolicy = DEFAULT_RETRY_POLICY): PutDecision | undefined {
  const { error, putAttempts } = failure;
  const expired = error.code === 'url-expired';
  if (putAttempts >= policy.maxPutAttempts || !(expired || isTransient(error))) return;
  // A fresh URL fixes an expired one at once: no reason to wait.
  const delayMs = expired ? 0 : backoffMs(error, putAttempts, failure.random, policy);
  const validAfterPause = !expired && urlValidForAttempt({ ...failure, now: failure.now + delayMs }, policy);
  if (validAfterPause) return { phase: 'retrying', delayMs };
  // A transient cause keeps its pause; the fresh URL is asked for after it, so none of its life is lost.
  if (failure.urlRefreshes < policy.maxUrlRefreshes) return { phase: 'refreshing', delayMs };
}

/**
 * Start/Complete: retry throttling/5xx/network/timeout with the same ClientToken; honour Retry-After. A conflict
 * (409, "already being uploaded") answering a repeat is the earlier try, whose reply was lost, still at work: the
 * same request is asked again until it reports the outcome. Returns the pause before the next try, or
 * `undefined`: give up.
 */
export function decideApiRetry(
  error: UploadError,
  attempts: number,
  random: Random,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
): number | undefined {
  const pending = error.code === 'conflict' && attempts > 1;
  if ((pending || isTransient(error)) && attempts < policy.maxApiAttempts) return backoffMs(error, attempts, random, policy);
}
