import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/helpers/fake-clock';
import { UploadError } from './errors';
import { createMemoryBackend } from './memory-backend';
import type { StartUploadRequest } from './types';

const request: StartUploadRequest = { name: 'a.txt', sizeInBytes: 1000, contentType: 'text/plain', clientToken: 't-1' };

function setup() {
  const clock = new FakeClock();
  const backend = createMemoryBackend({ clock, latencyMs: 50, bytesPerSecond: 10_000, urlExpirySeconds: 3600 });
  /** Runs `promise` to completion on the fake clock; resolves to its value or its UploadError. */
  const settle = async <T>(promise: Promise<T>, ms = 5_000): Promise<T | UploadError> => {
    let outcome: { value: T } | { error: unknown } | undefined;
    promise.then((value) => (outcome = { value }), (error: unknown) => (outcome = { error }));
    await clock.advance(ms);
    if (!outcome) return Promise.reject(new Error('still pending'));
    if ('value' in outcome) return outcome.value;
    if (outcome.error instanceof UploadError) return outcome.error;
    throw outcome.error;
  };
  const code = (value: unknown) => (value instanceof UploadError ? value.code : 'ok');
  return { clock, backend, settle, code };
}

describe('createMemoryBackend', () => {
  it('answers a repeated ClientToken with the same reply, and refuses it with other parameters', async () => {
    const { backend, settle, code } = setup();
    const first = await settle(backend.client.startUpload(request));
    const again = await settle(backend.client.startUpload({ ...request }));
    expect(again).toEqual(first);
    expect(backend.attachments()).toHaveLength(1);
    expect(code(await settle(backend.client.startUpload({ ...request, sizeInBytes: 999 })))).toBe('validation');
    expect(code(await settle(backend.client.startUpload({ ...request, clientToken: 't-2' })))).toBe('ok');
    expect(backend.attachments()).toHaveLength(2);
  });

  it('refuses Start requests Connect refuses', async () => {
    const { backend, settle, code } = setup();
    for (const bad of [
      { ...request, contentType: 'application/x-msdownload' },
      { ...request, sizeInBytes: 0 },
      { ...request, sizeInBytes: 20 * 1024 * 1024 + 1 },
      { ...request, name: '' },
      { ...request, name: '😀'.repeat(257) },
    ]) {
      expect(code(await settle(backend.client.startUpload(bad))), JSON.stringify(bad).slice(0, 80)).toBe('validation');
    }
    expect(code(await settle(backend.client.startUpload({ ...request, name: '😀'.repeat(256) })))).toBe('ok');
  });

  it('completes only after a PUT of the full announced size; Complete is idempotent per ClientToken', async () => {
    const { backend, settle, code } = setup();
    const target = await settle(backend.client.startUpload(request));
    if (target instanceof UploadError) throw target;
    const complete = (clientToken: string) => settle(backend.client.completeUpload({ attachmentId: target.attachmentId, clientToken }));

    expect(code(await complete('c-1'))).toBe('validation');
    expect(code(await settle(backend.put(target, new Blob(['x'.repeat(999)]))))).toBe('signature-mismatch');
    expect(code(await complete('c-1'))).toBe('validation');

    const progress: number[] = [];
    expect(code(await settle(backend.put(target, new Blob(['x'.repeat(1000)]), { onProgress: (bytes) => progress.push(bytes) })))).toBe('ok');
    expect(progress).toEqual([1000]);
    expect(code(await complete('c-1'))).toBe('ok');
    expect(code(await complete('c-1'))).toBe('ok');
    expect(code(await complete('c-2'))).toBe('conflict');
    expect(backend.attachments()[0]).toMatchObject({ uploaded: true, completed: true });

    const download = await settle(backend.client.getAttachment(target.attachmentId));
    expect(download).toMatchObject({ status: 'APPROVED', sizeInBytes: 1000 });
  });

  it('refuses a PUT once the URL has expired on its clock', async () => {
    const { backend, settle, code, clock } = setup();
    const target = await settle(backend.client.startUpload(request));
    if (target instanceof UploadError) throw target;
    await clock.advance(3_600_000);
    const error = await settle(backend.put(target, new Blob(['x'.repeat(1000)])));
    expect(code(error)).toBe('url-expired');
    expect(error).toMatchObject({ details: { status: 403, serverCode: 'AccessDenied' } });
  });

  it('reports progress on the clock, stops at once when aborted, and ends a stalled PUT after its stall timeout', async () => {
    const { backend, settle, code, clock } = setup();
    const target = await settle(backend.client.startUpload({ ...request, sizeInBytes: 10_000 }));
    if (target instanceof UploadError) throw target;
    const body = new Blob(['x'.repeat(10_000)]);

    const progress: number[] = [];
    const controller = new AbortController();
    const aborted = backend.put(target, body, { signal: controller.signal, onProgress: (bytes) => progress.push(bytes) });
    await clock.advance(300);
    controller.abort();
    expect(code(await settle(aborted))).toBe('cancelled');
    expect(progress).toEqual([1000, 2000, 3000]);
    expect(clock.pending).toBe(0);

    backend.inject({ kind: 'stall', afterBytes: 4000 });
    const stalled = backend.put(target, body, { stallTimeoutMs: 5_000 });
    let ended = false;
    stalled.catch(() => (ended = true));
    // 4000 bytes take 400 ms; then 5 s of silence.
    await clock.advance(400 + 4_999);
    expect(ended).toBe(false);
    expect(code(await settle(stalled, 1))).toBe('stalled');
    expect(backend.attachments()[0]?.uploaded).toBe(false);
  });

  it('plays scripted failures in order and holds a phase until aborted', async () => {
    const { backend, settle, code, clock } = setup();
    backend.inject({ kind: 'fail', operation: 'start', error: 'throttled', count: 2 });
    backend.inject({ kind: 'hold', operation: 'start' });
    expect(code(await settle(backend.client.startUpload(request)))).toBe('throttled');
    expect(code(await settle(backend.client.startUpload(request)))).toBe('throttled');

    const controller = new AbortController();
    const held = backend.client.startUpload(request, { signal: controller.signal });
    await clock.advance(24 * 3600_000);
    controller.abort();
    expect(code(await settle(held))).toBe('cancelled');
    expect(code(await settle(backend.client.startUpload(request)))).toBe('ok');
    expect(backend.calls().map((call) => call.clientToken)).toEqual(['t-1', 't-1', 't-1', 't-1']);
  });

  it('keeps a completed file PROCESSING for scanMs, then gives the scan outcome, with a URL only when approved', async () => {
    const clock = new FakeClock();
    const backend = createMemoryBackend({
      clock,
      latencyMs: 0,
      scanMs: 1_000,
      scanOutcome: ({ name }) => (name.startsWith('eicar') ? 'REJECTED' : 'APPROVED'),
    });
    const run = async <T>(promise: Promise<T>, ms = 0): Promise<T> => {
      const settled = promise.then((value) => ({ value }));
      await clock.advance(ms);
      return (await settled).value;
    };
    const upload = async (name: string) => {
      const target = await run(backend.client.startUpload({ ...request, name, clientToken: name }));
      await run(backend.put(target, new Blob(['a'.repeat(request.sizeInBytes)])), 60_000);
      await run(backend.client.completeUpload({ attachmentId: target.attachmentId, clientToken: `${name}-complete` }));
      return target.attachmentId;
    };
    const clean = await upload('clean.txt');
    const infected = await upload('eicar.txt');

    const early = await run(backend.client.getAttachment(infected));
    expect(early).toEqual({ sizeInBytes: 1000, status: 'PROCESSING' });
    await clock.advance(1_000);
    expect(await run(backend.client.getAttachment(infected))).toEqual({ sizeInBytes: 1000, status: 'REJECTED' });
    expect(await run(backend.client.getAttachment(clean))).toMatchObject({ status: 'APPROVED', url: expect.stringContaining(clean) });
  });
});
