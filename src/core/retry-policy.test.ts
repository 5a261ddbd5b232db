import { describe, expect, it } from 'vitest';
import { UploadError, type UploadErrorCode, type UploadErrorDetails } from './errors';
import {
  DEFAULT_RETRY_POLICY,
  decideApiRetry,
  decidePutRetry,
  urlValidForAttempt,
  type PutDecision,
  type PutFailure,
  type RetryPolicy,
} from './retry-policy';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);
const SECOND = 1000;

// Round numbers so each expectation can be checked by hand: 10 000 bytes at 1000 B/s = a 10 s transfer, and
// the URL must outlive its end by 10 s margin + 5 s skew, i.e. 25 s from the attempt's start.
const POLICY: RetryPolicy = {
  maxPutAttempts: 6,
  maxUrlRefreshes: 3,
  maxApiAttempts: 5,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  safetyMarginMs: 10_000,
  clockSkewToleranceMs: 5000,
  assumedBytesPerSecond: 1000,
};

const zero = (): number => 0;
const almostOne = (): number => 0.999;

function error(code: UploadErrorCode, details: UploadErrorDetails = {}): UploadError {
  return new UploadError(code, `test ${code}`, details);
}

function failure(code: UploadErrorCode, overrides: Partial<PutFailure> = {}): PutFailure {
  return {
    error: error(code),
    putAttempts: 1,
    urlRefreshes: 0,
    now: NOW,
    urlExpiry: NOW + 10 * 60 * SECOND,
    bytesToSend: 10_000,
    random: zero,
    ...overrides,
  };
}

const TIME_LEFT = {
  plenty: NOW + 10 * 60 * SECOND,
  'too little for the transfer': NOW + 20 * SECOND,
  'already past': NOW - SECOND,
} as const;
type TimeLeft = keyof typeof TIME_LEFT;

const TRANSIENT: UploadErrorCode[] = ['network', 'timeout', 'stalled', 'server', 'throttled'];
const NEVER_RETRIED: UploadErrorCode[] = [
  'validation',
  'quota-exceeded',
  'access-denied',
  'conflict',
  'signature-mismatch',
  'upload-failed',
  'cancelled',
  'bad-response',
  'file-empty',
  'file-too-large',
  'name-invalid',
  'type-not-allowed',
  'type-mismatch',
];

const RETRY: PutDecision = { phase: 'retrying', delayMs: 0 };
const REFRESH: PutDecision = { phase: 'refreshing', delayMs: 0 };
const GIVE_UP = undefined;

describe('decidePutRetry: failure kind × time left × attempts left', () => {
  const rows: [UploadErrorCode, TimeLeft, 'attempts left' | 'PUT attempts exhausted' | 'refreshes exhausted', PutDecision | undefined][] = [];
  for (const code of TRANSIENT) {
    rows.push(
      [code, 'plenty', 'attempts left', RETRY],
      [code, 'too little for the transfer', 'attempts left', REFRESH],
      [code, 'already past', 'attempts left', REFRESH],
      [code, 'plenty', 'PUT attempts exhausted', GIVE_UP],
      [code, 'too little for the transfer', 'PUT attempts exhausted', GIVE_UP],
      [code, 'plenty', 'refreshes exhausted', RETRY],
      [code, 'too little for the transfer', 'refreshes exhausted', GIVE_UP],
      [code, 'already past', 'refreshes exhausted', GIVE_UP],
    );
  }
  rows.push(
    ['url-expired', 'plenty', 'attempts left', REFRESH],
    ['url-expired', 'too little for the transfer', 'attempts left', REFRESH],
    ['url-expired', 'already past', 'attempts left', REFRESH],
    ['url-expired', 'already past', 'PUT attempts exhausted', GIVE_UP],
    ['url-expired', 'plenty', 'refreshes exhausted', GIVE_UP],
  );
  for (const code of NEVER_RETRIED) {
    for (const timeLeft of Object.keys(TIME_LEFT) as TimeLeft[]) rows.push([code, timeLeft, 'attempts left', GIVE_UP]);
  }

  it.each(rows)('%s, %s, %s', (code, timeLeft, budget, expected) => {
    const decision = decidePutRetry(
      failure(code, {
        urlExpiry: TIME_LEFT[timeLeft],
        putAttempts: budget === 'PUT attempts exhausted' ? POLICY.maxPutAttempts : 2,
        urlRefreshes: budget === 'refreshes exhausted' ? POLICY.maxUrlRefreshes : 1,
      }),
      POLICY,
    );
    expect(decision).toEqual(expected);
  });
});

describe('decidePutRetry: how long the attempt is expected to take', () => {
  it('uses measured throughput when there is one, the assumed rate otherwise', () => {
    // 100 000 bytes: 100 s at the assumed 1000 B/s, 1 s at a measured 100 000 B/s; the URL has 60 s left.
    const base = failure('network', { bytesToSend: 100_000, urlExpiry: NOW + 60 * SECOND });
    expect(decidePutRetry(base, POLICY)?.phase).toBe('refreshing');
    expect(decidePutRetry({ ...base, measuredBytesPerSecond: 100_000 }, POLICY)?.phase).toBe('retrying');
  });

  it('falls back to the assumed rate when the measurement is useless', () => {
    const base = failure('network', { bytesToSend: 100_000, urlExpiry: NOW + 60 * SECOND });
    for (const measured of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(decidePutRetry({ ...base, measuredBytesPerSecond: measured }, POLICY)?.phase).toBe('refreshing');
    }
  });

  it('counts the backoff delay against the URL', () => {
    // 26 s left, the attempt needs 25 s: fine without a pause, not after a 3996 ms one (attempt 3, random 0.999).
    const base = failure('server', { urlExpiry: NOW + 26 * SECOND, putAttempts: 3 });
    expect(decidePutRetry(base, POLICY)).toEqual({ phase: 'retrying', delayMs: 0 });
    expect(decidePutRetry({ ...base, random: almostOne }, POLICY)).toEqual({ phase: 'refreshing', delayMs: 3996 });
  });

  it('keeps the pause when a transient failure leads to a fresh URL, but not for an expired one', () => {
    const short = { urlExpiry: NOW + 5 * SECOND, putAttempts: 2, random: almostOne };
    expect(decidePutRetry(failure('throttled', short), POLICY)).toEqual({ phase: 'refreshing', delayMs: 1998 });
    expect(decidePutRetry(failure('url-expired', short), POLICY)).toEqual({ phase: 'refreshing', delayMs: 0 });
  });
});

describe('backoff with full jitter', () => {
  it.each([
    // [failed attempts, random, expected delay]: ceiling = min(30 000, 1000 · 2^(n-1))
    [1, zero, 0],
    [1, almostOne, 999],
    [2, almostOne, 1998],
    [3, almostOne, 3996],
    [5, almostOne, 15_984],
    [6, zero, 0],
    [6, almostOne, 29_970],
    [40, almostOne, 29_970],
  ] as const)('attempt %i → delay within [0, ceiling)', (attempts, random, expected) => {
    const policy = { ...POLICY, maxPutAttempts: 100, maxApiAttempts: 100 };
    const put = decidePutRetry(failure('network', { putAttempts: attempts, random }), policy);
    expect(put).toEqual({ phase: 'retrying', delayMs: expected });
    expect(decideApiRetry(error('network'), attempts, random, policy)).toBe(expected);
  });

  it('spreads delays over the whole range for random values in [0, 1)', () => {
    const delays = [0, 0.25, 0.5, 0.75, 0.999].map((value) => decideApiRetry(error('throttled'), 3, () => value, POLICY));
    expect(delays).toEqual([0, 1000, 2000, 3000, 3996]);
  });
});

describe('Retry-After', () => {
  it('is a floor under the jittered delay', () => {
    const throttled = error('throttled', { status: 429, retryAfterSeconds: 5 });
    expect(decidePutRetry({ ...failure('throttled'), error: throttled }, POLICY)).toEqual({ phase: 'retrying', delayMs: 5000 });
    expect(decideApiRetry(throttled, 1, zero, POLICY)).toBe(5000);
    // The jitter wins when it is longer than what the server asked for.
    const brief = error('throttled', { retryAfterSeconds: 1 });
    expect(decideApiRetry(brief, 3, almostOne, POLICY)).toBe(3996);
  });

  it('is capped at maxDelayMs', () => {
    const hour = error('server', { status: 503, retryAfterSeconds: 3600 });
    expect(decideApiRetry(hour, 1, zero, POLICY)).toBe(30_000);
    expect(decidePutRetry({ ...failure('server'), error: hour }, POLICY)).toEqual({ phase: 'retrying', delayMs: 30_000 });
  });

  it('counts against the URL: a long pause leads to a fresh URL instead', () => {
    const wait = error('throttled', { retryAfterSeconds: 20 });
    // 40 s left: a retry after 20 s would need 45 s.
    expect(decidePutRetry({ ...failure('throttled'), error: wait, urlExpiry: NOW + 40 * SECOND }, POLICY)).toEqual({
      phase: 'refreshing',
      delayMs: 20_000,
    });
  });
});

describe('decideApiRetry', () => {
  it.each(TRANSIENT)('%s: retried until maxApiAttempts, then given up', (code) => {
    for (let attempts = 1; attempts < POLICY.maxApiAttempts; attempts++) {
      expect(decideApiRetry(error(code), attempts, zero, POLICY)).toBeTypeOf('number');
    }
    expect(decideApiRetry(error(code), POLICY.maxApiAttempts, zero, POLICY)).toBeUndefined();
  });

  it.each([...NEVER_RETRIED, 'url-expired'] as UploadErrorCode[])('%s: never retried', (code) => {
    expect(decideApiRetry(error(code), 1, zero, POLICY)).toBeUndefined();
  });

  it('a conflict answering a repeat (the lost try still at work) is asked again, until maxApiAttempts', () => {
    for (let attempts = 2; attempts < POLICY.maxApiAttempts; attempts++) {
      expect(decideApiRetry(error('conflict'), attempts, almostOne, POLICY)).toBe(Math.floor(0.999 * 1000 * 2 ** (attempts - 1)));
    }
    expect(decideApiRetry(error('conflict'), POLICY.maxApiAttempts, zero, POLICY)).toBeUndefined();
  });
});

describe('urlValidForAttempt', () => {
  const input = { now: NOW, bytesToSend: 10_000 };

  it('needs the transfer time plus margin and skew before the expiry', () => {
    expect(urlValidForAttempt({ ...input, urlExpiry: NOW + 25 * SECOND }, POLICY)).toBe(true);
    expect(urlValidForAttempt({ ...input, urlExpiry: NOW + 25 * SECOND - 1 }, POLICY)).toBe(false);
    expect(urlValidForAttempt({ ...input, urlExpiry: NOW - SECOND }, POLICY)).toBe(false);
  });

  it('uses measured throughput when given', () => {
    // 15 s of margin and skew and 0.1 s of transfer at 100 000 B/s.
    expect(urlValidForAttempt({ ...input, urlExpiry: NOW + 16 * SECOND }, POLICY)).toBe(false);
    expect(urlValidForAttempt({ ...input, urlExpiry: NOW + 16 * SECOND, measuredBytesPerSecond: 100_000 }, POLICY)).toBe(true);
  });
});

describe('DEFAULT_RETRY_POLICY', () => {
  it('is what the functions use when no policy is given', () => {
    const fiveMinutes = NOW + 5 * 60 * SECOND;
    // 1 MiB at the assumed 64 KiB/s is 16 s; with 45 s of margin and skew a five-minute URL is fine.
    const oneMiB = { now: NOW, urlExpiry: fiveMinutes, bytesToSend: 1024 * 1024 };
    expect(urlValidForAttempt(oneMiB)).toBe(true);
    // 20 MB at 64 KiB/s would take about 5 minutes: not without a measured throughput.
    expect(urlValidForAttempt({ ...oneMiB, bytesToSend: 20_000_000 })).toBe(false);
    expect(urlValidForAttempt({ ...oneMiB, bytesToSend: 20_000_000, measuredBytesPerSecond: 1_000_000 })).toBe(true);
    expect(decidePutRetry({ ...failure('network', oneMiB), putAttempts: DEFAULT_RETRY_POLICY.maxPutAttempts })).toBeUndefined();
    expect(decideApiRetry(error('throttled'), DEFAULT_RETRY_POLICY.maxApiAttempts - 1, almostOne)).toBe(
      Math.floor(0.999 * DEFAULT_RETRY_POLICY.baseDelayMs * 2 ** (DEFAULT_RETRY_POLICY.maxApiAttempts - 2)),
    );
  });
});
