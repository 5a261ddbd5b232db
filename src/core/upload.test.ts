import { describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../test/helpers/fake-clock';
import { UploadError, type UploadErrorCode } from './errors';
import { createMemoryBackend, type MemoryBackendOptions, type MemoryFault } from './memory-backend';
import type { RetryPolicy } from './retry-policy';
import type { Clock } from './time';
import type { UploadedAttachment } from './types';
import { uploadAttachment, type UploadAttachmentOptions, type UploadEvent, type UploadPhase } from './upload';

const KiB = 1024;

function textFile(sizeInBytes: number, name = 'notes.txt'): File {
  return new File(['a'.repeat(sizeInBytes)], name, { type: 'text/plain' });
}

type Outcome = { value: UploadedAttachment } | { error: unknown };

interface SetupOptions {
  backend?: MemoryBackendOptions;
  retryPolicy?: Partial<RetryPolicy>;
  faults?: MemoryFault[];
  random?: number;
  options?: Partial<UploadAttachmentOptions>;
}

function setup({ backend: backendOptions, retryPolicy, faults = [], random = 0, options }: SetupOptions = {}) {
  const fake = new FakeClock();
  // Wall time can jump ahead of the timers, as on a device that was suspended (see `jump`).
  let offset = 0;
  const clock: Clock = {
    now: () => fake.now() + offset,
    setTimeout: (callback, ms) => fake.setTimeout(callback, ms),
    clearTimeout: (handle) => fake.clearTimeout(handle),
  };
  const backend = createMemoryBackend({ clock, latencyMs: 50, bytesPerSecond: 64 * KiB, ...backendOptions });
  for (const fault of faults) backend.inject(fault);
  const events: UploadEvent[] = [];
  const progress: number[] = [];
  let tokens = 0;
  const controller = new AbortController();
  let outcome: Outcome | undefined;

  const run = (file: File) => {
    uploadAttachment(file, {
      client: backend.client,
      put: backend.put,
      clock,
      random: () => random,
      createClientToken: () => `token-${++tokens}`,
      signal: controller.signal,
      onEvent: (event) => events.push(event),
      onProgress: (bytesSent) => progress.push(bytesSent),
      ...(retryPolicy ? { retryPolicy } : {}),
      ...options,
    }).then(
      (value) => (outcome = { value }),
      (error: unknown) => (outcome = { error }),
    );
  };

  /** Lets the file read in validation (real I/O, not on the fake clock) finish, then advances the clock. */
  const advance = async (ms: number) => {
    await new Promise((resolve) => setTimeout(resolve, 0));
    await fake.advance(ms);
  };
  const phases = () =>
    events.flatMap((event) => (event.type === 'phase' ? [[event.phase, event.attempt] as [UploadPhase, number]] : []));
  const phaseEvents = (phase: UploadPhase) =>
    events.filter((event): event is Extract<UploadEvent, { type: 'phase' }> => event.type === 'phase' && event.phase === phase);
  const calls = (operation: 'start' | 'put' | 'complete') => backend.calls().filter((call) => call.operation === operation);
  /** Runs the clock (up to 30 simulated minutes) until the upload settles. */
  const finish = async () => {
    for (let minutes = 0; !outcome && minutes < 30; minutes++) await advance(60_000);
  };
  const result = async (): Promise<UploadedAttachment> => {
    await finish();
    if (!outcome) throw new Error('the upload never settled');
    if ('error' in outcome) throw outcome.error;
    return outcome.value;
  };
  const failure = async (): Promise<UploadError> => {
    await finish();
    if (!outcome || !('error' in outcome)) throw new Error(`expected a failure, got ${JSON.stringify(outcome)}`);
    expect(outcome.error).toBeInstanceOf(UploadError);
    return outcome.error as UploadError;
  };
  return {
    clock: fake, jump: (ms: number) => (offset += ms), backend, events, progress, controller, run, advance, phases, phaseEvents, calls, result, failure,
    settled: () => outcome !== undefined, outcome: () => outcome,
  };
}

describe('uploadAttachment', () => {
  it('checks the content while Start is in flight: a mismatch stops Start, sends no byte and completes nothing', async () => {
    // Start is held (never answers until aborted): only the content check can end this upload.
    const t = setup({ faults: [{ kind: 'hold', operation: 'start' }] });
    t.run(new File(['<html><script>alert(1)</script></html>'], 'report.txt', { type: 'text/plain' }));
    const error = await t.failure();
    expect(error.code).toBe('type-mismatch');
    expect(error.details).toMatchObject({ extension: '.txt', detectedType: 'text/html' });
    expect(t.calls('start')).toHaveLength(1);
    expect(t.calls('put')).toHaveLength(0);
    expect(t.calls('complete')).toHaveLength(0);
    expect(t.backend.attachments().filter((attachment) => attachment.completed)).toEqual([]);
  });

  it('begins reading the file only once Start was requested: starting the read would hold the request back', async () => {
    const t = setup();
    const file = textFile(KiB);
    let startsWhenRead: number | undefined;
    const slice = file.slice.bind(file);
    file.slice = (...args) => {
      startsWhenRead ??= t.calls('start').length;
      return slice(...args);
    };
    t.run(file);
    await t.result();
    expect(startsWhenRead).toBe(1);
  });

  it('does not PUT before the content check passed, even when Start answered first', async () => {
    const t = setup();
    t.run(textFile(KiB));
    await t.result();
    const kinds = t.events.map((event) => (event.type === 'phase' ? event.phase : event.type));
    expect(kinds.indexOf('checked')).toBeGreaterThan(-1);
    expect(kinds.indexOf('checked')).toBeLessThan(kinds.indexOf('uploading'));
  });

  it('checks, starts, uploads and completes, reporting each step in order', async () => {
    const t = setup();
    t.run(textFile(200 * KiB));
    const attachment = await t.result();

    expect(attachment).toEqual({
      attachmentId: 'memory-attachment-1',
      name: 'notes.txt',
      sizeInBytes: 200 * KiB,
      contentType: 'text/plain',
    });
    expect(t.phases()).toEqual([
      ['checking', 1],
      ['starting', 1],
      ['uploading', 1],
      ['completing', 1],
    ]);
    const kinds = t.events.map((event) => (event.type === 'phase' ? event.phase : event.type));
    // The content check runs while Start is in flight: it is reported before the PUT, after Start was sent.
    expect(kinds.slice(0, 4)).toEqual(['checking', 'starting', 'checked', 'uploading']);
    expect(kinds.at(-1)).toBe('completing');
    expect(t.events[2]).toEqual({
      type: 'checked',
      file: { name: 'notes.txt', sizeInBytes: 200 * KiB, extension: '.txt', contentType: 'text/plain' },
    });
    const { progress } = t;
    expect(progress[0]).toBe(0);
    expect(progress.length).toBeGreaterThan(10);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(200 * KiB);
    expect(t.backend.attachments()).toEqual([
      { attachmentId: 'memory-attachment-1', name: 'notes.txt', sizeInBytes: 200 * KiB, contentType: 'text/plain', uploaded: true, completed: true },
    ]);
    // Start and Complete are separate requests with their own ClientTokens.
    expect(t.calls('start').map((call) => call.clientToken)).toEqual(['token-1']);
    expect(t.calls('complete').map((call) => call.clientToken)).toEqual(['token-2']);
  });

  it('retries a throttled Start with the same ClientToken, at the announced time', async () => {
    const t = setup({ random: 0.5, faults: [{ kind: 'fail', operation: 'start', error: 'throttled', count: 2 }] });
    t.run(textFile(10 * KiB));
    await t.result();

    const starts = t.calls('start');
    expect(starts.map((call) => call.clientToken)).toEqual(['token-1', 'token-1', 'token-1']);
    expect(t.phases().slice(0, 6)).toEqual([
      ['checking', 1],
      ['starting', 1],
      ['retrying', 2],
      ['starting', 2],
      ['retrying', 3],
      ['starting', 3],
    ]);
    const retries = t.phaseEvents('retrying');
    expect(retries.map((event) => event.error?.code)).toEqual(['throttled', 'throttled']);
    // Each retry went out exactly when the event said it would.
    expect(retries.map((event) => event.retryAt)).toEqual([starts[1]?.at, starts[2]?.at]);
    expect(t.backend.attachments()).toHaveLength(1);
    expect(t.backend.attachments()[0]?.completed).toBe(true);
  });

  it('retries a PUT that got a 503 on the same URL, progress starting again from 0', async () => {
    const slowDown = new UploadError('throttled', 'Please reduce your request rate.', { status: 503, serverCode: 'SlowDown' });
    const t = setup({ faults: [{ kind: 'fail', operation: 'put', error: slowDown, afterBytes: 32 * KiB }] });
    t.run(textFile(100 * KiB));
    await t.result();

    expect(t.calls('start')).toHaveLength(1);
    const puts = t.calls('put');
    expect(puts.map((call) => call.attachmentId)).toEqual(['memory-attachment-1', 'memory-attachment-1']);
    expect(t.phases()).toEqual([
      ['checking', 1],
      ['starting', 1],
      ['uploading', 1],
      ['retrying', 2],
      ['uploading', 2],
      ['completing', 1],
    ]);
    expect(t.phaseEvents('retrying')[0]?.error).toBe(slowDown);
    const { progress } = t;
    const reset = progress.indexOf(0, 1);
    expect(progress[reset - 1]).toBe(32 * KiB);
    expect(progress.at(-1)).toBe(100 * KiB);
    expect(t.calls('complete')).toHaveLength(1);
  });

  it('asks for a fresh URL with a new ClientToken when the URL expired, and completes only that one', async () => {
    const t = setup({ faults: [{ kind: 'expire' }] });
    t.run(textFile(10 * KiB));
    const attachment = await t.result();

    expect(t.calls('start').map((call) => call.clientToken)).toEqual(['token-1', 'token-2']);
    expect(t.phases()).toEqual([
      ['checking', 1],
      ['starting', 1],
      ['uploading', 1],
      ['refreshing', 2],
      ['refreshing', 2],
      ['uploading', 2],
      ['completing', 1],
    ]);
    const [waiting, requesting] = t.phaseEvents('refreshing');
    expect(waiting?.error?.code).toBe('url-expired');
    expect(waiting?.retryAt).toBe(t.calls('start')[1]?.at);
    expect(requesting?.retryAt).toBeUndefined();
    expect(attachment.attachmentId).toBe('memory-attachment-2');
    expect(t.calls('complete').map((call) => call.attachmentId)).toEqual(['memory-attachment-2']);
    // The abandoned attachment is simply never completed.
    expect(t.backend.attachments().map((a) => [a.attachmentId, a.completed])).toEqual([
      ['memory-attachment-1', false],
      ['memory-attachment-2', true],
    ]);
  });

  // 200 KiB at 10 KiB/s, failing halfway: with the default policy a retry needs 20 s of transfer (measured, not the
  // assumed 64 KiB/s) + 45 s of margin and skew: a 300 s URL has that left, a 70 s one does not.
  it.each([
    { urlExpirySeconds: 300, expected: 'retrying', starts: 1 },
    { urlExpirySeconds: 70, expected: 'refreshing', starts: 2 },
  ] as const)('after a network failure with a $urlExpirySeconds s URL: $expected', async ({ urlExpirySeconds, expected, starts }) => {
    const t = setup({
      backend: { bytesPerSecond: 10 * KiB, urlExpirySeconds },
      faults: [{ kind: 'fail', operation: 'put', error: 'network', afterBytes: 100 * KiB }],
    });
    t.run(textFile(200 * KiB));
    await t.result();

    expect(t.phases()[3]).toEqual([expected, 2]);
    expect(t.calls('start')).toHaveLength(starts);
    expect(t.backend.attachments().filter((a) => a.completed)).toHaveLength(1);
  });

  it('refreshes instead of retrying when the URL expired during the backoff', async () => {
    // The retry was decided with time to spare, but the device slept through the wait: the check before the
    // retry catches that the URL is gone.
    const t = setup({
      random: 0.999,
      retryPolicy: { baseDelayMs: 10_000, safetyMarginMs: 0, clockSkewToleranceMs: 0 },
      backend: { urlExpirySeconds: 20 },
      faults: [{ kind: 'fail', operation: 'put', error: 'server' }],
    });
    t.run(textFile(1 * KiB));
    await t.advance(0);
    while (t.phaseEvents('retrying').length === 0) await t.advance(10);
    t.jump(15_000);
    await t.result();

    expect(t.phases().slice(2, 6)).toEqual([
      ['uploading', 1],
      ['retrying', 2],
      ['refreshing', 2],
      ['uploading', 2],
    ]);
    expect(t.calls('start').map((call) => call.clientToken)).toEqual(['token-1', 'token-2']);
    expect(t.calls('put').map((call) => call.attachmentId)).toEqual(['memory-attachment-1', 'memory-attachment-2']);
  });

  it('gives up after the PUT attempt bound with the last cause, and never completes', async () => {
    const t = setup({
      retryPolicy: { maxPutAttempts: 3 },
      faults: [
        { kind: 'fail', operation: 'put', error: 'network', count: 2 },
        { kind: 'fail', operation: 'put', error: 'timeout' },
        { kind: 'fail', operation: 'put', error: 'network' },
      ],
    });
    t.run(textFile(10 * KiB));
    const error = await t.failure();

    expect(error.code).toBe('timeout');
    expect(t.calls('put')).toHaveLength(3);
    expect(t.calls('complete')).toHaveLength(0);
  });

  it('gives up after the URL refresh bound', async () => {
    const t = setup({ retryPolicy: { maxUrlRefreshes: 2 }, faults: [{ kind: 'expire', count: Infinity }] });
    t.run(textFile(10 * KiB));
    const error = await t.failure();

    expect(error.code).toBe('url-expired');
    expect(t.calls('start').map((call) => call.clientToken)).toEqual(['token-1', 'token-2', 'token-3']);
    expect(t.calls('complete')).toHaveLength(0);
  });

  it('gives up on Start and on Complete after the API attempt bound', async () => {
    const start = setup({ retryPolicy: { maxApiAttempts: 3 }, faults: [{ kind: 'fail', operation: 'start', error: 'throttled', count: Infinity }] });
    start.run(textFile(10 * KiB));
    expect((await start.failure()).code).toBe('throttled');
    expect(start.calls('start')).toHaveLength(3);
    expect(start.calls('put')).toHaveLength(0);

    const complete = setup({ retryPolicy: { maxApiAttempts: 2 }, faults: [{ kind: 'fail', operation: 'complete', error: 'server', count: Infinity }] });
    complete.run(textFile(10 * KiB));
    expect((await complete.failure()).code).toBe('server');
    expect(complete.calls('complete').map((call) => call.clientToken)).toEqual(['token-2', 'token-2']);
  });

  // The last column: how many requests the backend saw (Start, then PUT, then Complete), none of them repeated.
  it.each<[string, MemoryFault, UploadErrorCode, number]>([
    ['Start: quota exceeded', { kind: 'fail', operation: 'start', error: 'quota-exceeded' }, 'quota-exceeded', 1],
    ['Start: access denied', { kind: 'fail', operation: 'start', error: 'access-denied' }, 'access-denied', 1],
    ['PUT: signature mismatch', { kind: 'fail', operation: 'put', error: 'signature-mismatch' }, 'signature-mismatch', 2],
    ['PUT: 4xx', { kind: 'fail', operation: 'put', error: 'upload-failed', afterBytes: 10 * KiB }, 'upload-failed', 2],
    ['Complete: validation', { kind: 'fail', operation: 'complete', error: 'validation' }, 'validation', 3],
  ])('fails at once on a non-retryable error (%s)', async (_, fault, code, requests) => {
    const t = setup({ faults: [fault] });
    t.run(textFile(10 * KiB));
    const error = await t.failure();

    expect(error.code).toBe(code);
    expect(t.phaseEvents('retrying')).toHaveLength(0);
    expect(t.phaseEvents('refreshing')).toHaveLength(0);
    expect(t.backend.calls()).toHaveLength(requests);
    expect(t.backend.attachments().filter((a) => a.completed)).toHaveLength(0);
  });

  it('never completes a PUT that sent every byte but got no 2xx; the retried one is completed once', async () => {
    const t = setup({ faults: [{ kind: 'fail', operation: 'put', error: 'network', afterBytes: 10 * KiB }] });
    t.run(textFile(10 * KiB));
    await t.result();

    expect(t.backend.calls().map((call) => call.operation)).toEqual(['start', 'put', 'put', 'complete']);
  });

  it('refuses an unacceptable file before any request', async () => {
    const t = setup();
    t.run(new File([], 'empty.txt'));
    const error = await t.failure();

    expect(error.code).toBe('file-empty');
    expect(t.backend.calls()).toHaveLength(0);
  });

  it('wraps foreign errors in an UploadError without their message or cause', async () => {
    const t = setup({
      options: {
        operations: {
          startUpload: () => Promise.reject(new TypeError('secret-connection-token exploded')),
        },
      },
    });
    t.run(textFile(10 * KiB));
    const error = await t.failure();

    expect(error.code).toBe('upload-failed');
    expect(error.cause).toBeUndefined();
    expect(`${error.message} ${JSON.stringify(error)}`).not.toContain('secret-connection-token');
  });

  it('routes Start and Complete through the given operations, with the abort signal', async () => {
    const startUpload = vi.fn<NonNullable<NonNullable<UploadAttachmentOptions['operations']>['startUpload']>>((client, request, options) =>
      client.startUpload(request, options),
    );
    const t = setup({ options: { operations: { startUpload } } });
    t.run(textFile(1 * KiB));
    await t.result();

    expect(startUpload).toHaveBeenCalledTimes(1);
    const [client, request, options] = startUpload.mock.calls[0] ?? [];
    expect(client?.kind).toBe('memory');
    expect(request).toEqual({ name: 'notes.txt', sizeInBytes: 1 * KiB, contentType: 'text/plain', clientToken: 'token-1' });
    expect(options?.signal).toBeInstanceOf(AbortSignal);
    expect(t.calls('start')).toHaveLength(1);
  });

  describe('cancel', () => {
    // Each case brings the upload into one phase and aborts there.
    const cases: { phase: UploadPhase; faults: MemoryFault[]; retryPolicy?: Partial<RetryPolicy> }[] = [
      { phase: 'checking', faults: [] },
      { phase: 'starting', faults: [{ kind: 'hold', operation: 'start' }] },
      { phase: 'uploading', faults: [] },
      { phase: 'retrying', faults: [{ kind: 'fail', operation: 'put', error: 'network', afterBytes: 5 * KiB }], retryPolicy: { baseDelayMs: 20_000 } },
      { phase: 'refreshing', faults: [{ kind: 'expire' }] },
      { phase: 'completing', faults: [{ kind: 'hold', operation: 'complete' }] },
    ];

    it.each(cases)('while $phase: rejects with cancelled at once and completes nothing', async ({ phase, faults, retryPolicy }) => {
      const t = setup({ random: 0.5, faults, ...(retryPolicy ? { retryPolicy } : {}) });
      t.run(textFile(64 * KiB));
      while (t.phaseEvents(phase).length === 0) await t.advance(10);
      if (phase === 'uploading') {
        while (!t.progress.some((bytes) => bytes > 0)) await t.advance(10);
      }
      const callsBefore = t.backend.calls().length;
      const eventsBefore = t.events.length;
      const progressBefore = t.progress.length;

      t.controller.abort();
      for (let i = 0; i < 10; i++) await Promise.resolve();
      expect(t.settled()).toBe(true);
      expect(t.clock.pending).toBe(0);
      const error = await t.failure();

      expect(error.code).toBe('cancelled');
      expect(t.backend.calls()).toHaveLength(callsBefore);
      expect(t.events).toHaveLength(eventsBefore);
      expect(t.progress).toHaveLength(progressBefore);
      expect(t.backend.attachments().filter((a) => a.completed)).toHaveLength(0);
    });
  });
});
