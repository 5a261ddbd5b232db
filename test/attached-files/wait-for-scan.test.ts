import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../emulator/server';
import { connectClient } from '../../emulator/test-support';
import { createAttachedFileClient, waitForScan, type AttachedFileClient } from '../../src/attached-files';
import { UploadError } from '../../src/core/errors';
import { putFile } from '../../src/core/put';
import type { AttachmentClient, AttachmentDownload, AttachmentStatus } from '../../src/core/types';
import { FakeClock } from '../helpers/fake-clock';

type Step = AttachmentStatus | AttachmentDownload | UploadError;

/** A client whose GetAttachment answers `steps` in turn (the last one repeats), noting when it was called. */
function scripted(clock: FakeClock, steps: Step[]): AttachmentClient & { calls: number[] } {
  const calls: number[] = [];
  const started = clock.now();
  return {
    kind: 'scripted',
    calls,
    startUpload: () => Promise.reject(new Error('not used')),
    completeUpload: () => Promise.reject(new Error('not used')),
    getAttachment: async () => {
      const step = steps[Math.min(calls.length, steps.length - 1)];
      calls.push(clock.now() - started);
      if (step instanceof UploadError) throw step;
      return typeof step === 'string' ? { status: step, ...(step === 'APPROVED' && { url: 'https://example.com/f' }) } : (step ?? {});
    },
  };
}

/** Moves the fake clock on in small steps until `promise` settles; resolves with its outcome. */
async function settle<T>(clock: FakeClock, promise: Promise<T>): Promise<{ value?: T; error?: unknown; at: number }> {
  const started = clock.now();
  let outcome: { value?: T; error?: unknown } | undefined;
  promise.then(
    (value) => (outcome = { value }),
    (error: unknown) => (outcome = { error }),
  );
  for (let i = 0; outcome === undefined && i < 10_000; i++) await clock.advance(100);
  if (outcome === undefined) throw new Error('never settled');
  return { ...outcome, at: clock.now() - started };
}

describe('waitForScan with a fake clock', () => {
  it('polls at once, then with a doubling delay capped at 5 s, until the verdict', async () => {
    const clock = new FakeClock();
    const client = scripted(clock, ['PROCESSING', 'PROCESSING', 'PROCESSING', 'PROCESSING', 'PROCESSING', 'PROCESSING', 'APPROVED']);
    const seen: string[] = [];
    const { value } = await settle(clock, waitForScan(client, 'f1', { clock, onStatus: (status) => seen.push(status) }));
    expect(client.calls).toEqual([0, 500, 1500, 3500, 7500, 12500, 17500]);
    expect(seen).toEqual(['PROCESSING', 'APPROVED']);
    expect(value).toEqual({ status: 'APPROVED', url: 'https://example.com/f' });
  });

  it.each(['REJECTED', 'FAILED'] as const)('ends on %s, with no URL', async (outcome) => {
    const clock = new FakeClock();
    const client = scripted(clock, ['PROCESSING', outcome]);
    const { value } = await settle(clock, waitForScan(client, 'f1', { clock, initialDelayMs: 200 }));
    expect(value).toEqual({ status: outcome });
    expect(client.calls).toEqual([0, 200]);
  });

  it('takes a URL without a status (the chat side) as approved', async () => {
    const clock = new FakeClock();
    const client = scripted(clock, [{ url: 'https://example.com/c', sizeInBytes: 4 }]);
    await expect(waitForScan(client, 'c1', { clock })).resolves.toEqual({ status: 'APPROVED', url: 'https://example.com/c', sizeInBytes: 4 });
  });

  it('polls on through transient errors, waiting as long as Retry-After asks', async () => {
    const clock = new FakeClock();
    const throttled = new UploadError('throttled', 'slow down', { retryAfterSeconds: 3 });
    const client = scripted(clock, ['PROCESSING', throttled, new UploadError('network', 'gone'), 'APPROVED']);
    const { value } = await settle(clock, waitForScan(client, 'f1', { clock }));
    expect(value?.status).toBe('APPROVED');
    expect(client.calls).toEqual([0, 500, 3500, 5500]);
  });

  it('gives up after five transient errors in a row, with the last one', async () => {
    const clock = new FakeClock();
    const client = scripted(clock, [new UploadError('server', 'down')]);
    const { error } = await settle(clock, waitForScan(client, 'f1', { clock }));
    expect(error).toMatchObject({ code: 'server' });
    expect(client.calls).toHaveLength(5);
  });

  it('stops at once on an error that polling cannot fix', async () => {
    const clock = new FakeClock();
    const client = scripted(clock, ['PROCESSING', new UploadError('validation', 'no such file')]);
    const { error } = await settle(clock, waitForScan(client, 'f1', { clock }));
    expect(error).toMatchObject({ code: 'validation' });
    expect(client.calls).toHaveLength(2);
  });

  it('times out rather than wait past timeoutMs', async () => {
    const clock = new FakeClock();
    const client = scripted(clock, ['PROCESSING']);
    const { error, at } = await settle(clock, waitForScan(client, 'f1', { clock, timeoutMs: 4000 }));
    expect(error).toMatchObject({ code: 'timeout', message: expect.stringContaining('within 4 s') });
    expect(client.calls).toEqual([0, 500, 1500, 3500]);
    expect(at).toBeLessThan(4000);
  });

  it('is cancelled by its signal while waiting, and polls no more', async () => {
    const clock = new FakeClock();
    const client = scripted(clock, ['PROCESSING']);
    const controller = new AbortController();
    const waiting = waitForScan(client, 'f1', { clock, signal: controller.signal });
    await clock.advance(700);
    controller.abort();
    const { error } = await settle(clock, waiting);
    expect(error).toMatchObject({ code: 'cancelled' });
    expect(client.calls).toEqual([0, 500]);
    expect(clock.pending).toBe(0);
  });
});

describe('waitForScan against the emulator with a scan that takes a moment', () => {
  let emulator: Emulator;
  let client: AttachedFileClient;
  beforeAll(async () => {
    emulator = await startEmulator({ scanDelayMs: 300 });
    client = createAttachedFileClient({ instanceId: emulator.instanceId, associatedResourceArn: emulator.newCaseArn(), connect: connectClient(emulator) });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it.each([
    ['a clean file', 'APPROVED', Buffer.from('plain notes\n')],
    ['an EICAR file', 'REJECTED', readFileSync(new URL('../fixtures/samples/hostile/eicar.txt', import.meta.url))],
  ])('sees %s go from PROCESSING to %s', async (_label, outcome, bytes) => {
    const target = await client.startUpload({ name: 'notes.txt', sizeInBytes: bytes.length, contentType: 'text/plain', clientToken: randomUUID() });
    await putFile(target, new Blob([Uint8Array.from(bytes)]));
    await client.completeUpload({ attachmentId: target.attachmentId, clientToken: randomUUID() });
    const seen: string[] = [];
    const scanned = await waitForScan(client, target.attachmentId, { initialDelayMs: 50, onStatus: (status) => seen.push(status) });
    expect(seen).toEqual(['PROCESSING', outcome]);
    expect(scanned.status).toBe(outcome);
    expect(scanned.url === undefined).toBe(outcome !== 'APPROVED');
  });
});
