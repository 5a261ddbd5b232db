import { describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../test/helpers/fake-clock';
import { UploadError } from './errors';
import { createMemoryBackend, type MemoryBackendOptions, type MemoryFault } from './memory-backend';
import { createUploadQueue, type UploadItem, type UploadQueueOptions, type UploadStatus } from './queue';
import { waitForScan } from './scan';
import type { UploadedAttachment } from './types';

const KiB = 1024;
const ACTIVE: readonly UploadStatus[] = ['checking', 'starting', 'uploading', 'retrying', 'refreshing', 'completing'];

function textFile(sizeInBytes: number, name: string): File {
  return new File(['a'.repeat(sizeInBytes)], name, { type: 'text/plain' });
}

function setup(options: Partial<UploadQueueOptions> = {}, backendOptions: MemoryBackendOptions = {}, faults: MemoryFault[] = []) {
  const clock = new FakeClock();
  const backend = createMemoryBackend({ clock, latencyMs: 50, bytesPerSecond: 64 * KiB, ...backendOptions });
  for (const fault of faults) backend.inject(fault);
  const onUploaded = vi.fn<(attachment: UploadedAttachment, item: UploadItem) => void>();
  const onError = vi.fn<(error: UploadError, item: UploadItem) => void>();
  let tokens = 0;
  const queue = createUploadQueue({
    client: backend.client,
    put: backend.put,
    clock,
    random: () => 0,
    createClientToken: () => `token-${++tokens}`,
    onUploaded,
    onError,
    ...options,
  });
  const notifications = { count: 0 };
  queue.subscribe(() => notifications.count++);
  /** Lets file reads in validation (real I/O) finish, then moves the fake clock. */
  const advance = async (ms: number) => {
    await new Promise((resolve) => setTimeout(resolve, 0));
    await clock.advance(ms);
  };
  const item = (id: string) => queue.getState().items.find((candidate) => candidate.id === id);
  const statuses = () => queue.getState().items.map((candidate) => candidate.status);
  const activeCount = () => statuses().filter((status) => ACTIVE.includes(status)).length;
  const until = async (condition: () => boolean, stepMs = 10, limitMs = 30 * 60_000) => {
    for (let waited = 0; !condition(); waited += stepMs) {
      if (waited > limitMs) throw new Error(`condition not met; statuses: ${statuses().join(', ')}`);
      await advance(stepMs);
    }
  };
  return { clock, backend, queue, onUploaded, onError, notifications, advance, item, statuses, activeCount, until };
}

describe('createUploadQueue', () => {
  it('never runs more than maxConcurrentUploads at once, and starts files in order', async () => {
    const t = setup({ maxConcurrentUploads: 2 });
    t.queue.add(Array.from({ length: 6 }, (_, i) => textFile((i + 1) * 8 * KiB, `file-${i}.txt`)));
    let peak = 0;
    await t.until(() => {
      peak = Math.max(peak, t.activeCount());
      return t.statuses().every((status) => status === 'done');
    });

    expect(peak).toBe(2);
    expect(t.backend.attachments().map((a) => a.name)).toEqual(['file-0.txt', 'file-1.txt', 'file-2.txt', 'file-3.txt', 'file-4.txt', 'file-5.txt']);
    expect(t.backend.attachments().every((a) => a.completed)).toBe(true);
  });

  it('runs 3 at once by default, and more when the limit is raised', async () => {
    const t = setup();
    t.queue.add(Array.from({ length: 5 }, (_, i) => textFile(64 * KiB, `file-${i}.txt`)));
    await t.advance(10);
    expect(t.activeCount()).toBe(3);
    expect(t.statuses().filter((status) => status === 'queued')).toHaveLength(2);

    t.queue.setOptions({ maxConcurrentUploads: 5 });
    expect(t.activeCount()).toBe(5);
  });

  it('keeps byte-weighted totals over items that are neither rejected nor cancelled', async () => {
    const t = setup({ maxConcurrentUploads: 1 });
    const [first, , , fourth] = t.queue.add([
      textFile(100 * KiB, 'a.txt'),
      textFile(300 * KiB, 'b.txt'),
      new File([], 'empty.txt'),
      textFile(50 * KiB, 'c.txt'),
    ]);
    t.queue.cancel(fourth?.id ?? '');
    expect(t.queue.getState()).toMatchObject({ totalBytes: 400 * KiB, bytesSent: 0 });

    await t.until(() => t.item(first?.id ?? '')?.status === 'uploading' && (t.item(first?.id ?? '')?.bytesSent ?? 0) > 0);
    await t.advance(500);
    const state = t.queue.getState();
    const sent = state.items.reduce((sum, candidate) => sum + (candidate.status === 'rejected' || candidate.status === 'cancelled' ? 0 : candidate.bytesSent), 0);
    expect(state.bytesSent).toBe(sent);
    expect(state.bytesSent).toBeGreaterThan(0);
    expect(state.bytesSent).toBeLessThan(100 * KiB);

    await t.until(() => t.statuses().filter((status) => status === 'done').length === 2);
    expect(t.queue.getState()).toMatchObject({ totalBytes: 400 * KiB, bytesSent: 400 * KiB });
  });

  it('coalesces progress into at most one notification per interval, without rebuilding in between', async () => {
    // 640 KiB at 64 KiB/s with progress every 10 ms: 100 progress events a second.
    const t = setup({ progressIntervalMs: 100 }, { progressIntervalMs: 10 });
    const [added] = t.queue.add([textFile(640 * KiB, 'big.txt')]);
    await t.until(() => (t.item(added?.id ?? '')?.bytesSent ?? 0) > 0);
    const before = t.queue.getState();
    await t.advance(10);
    // Progress arrived, but the snapshot waits for the coalescing timer.
    expect(t.queue.getState()).toBe(before);

    const notificationsBefore = t.notifications.count;
    let snapshots = 0;
    let last = t.queue.getState();
    for (let i = 0; i < 100; i++) {
      await t.advance(10);
      if (t.queue.getState() !== last) snapshots += 1;
      last = t.queue.getState();
    }
    expect(t.item(added?.id ?? '')?.status).toBe('uploading');
    const notifications = t.notifications.count - notificationsBefore;
    expect(notifications).toBeGreaterThanOrEqual(9);
    expect(notifications).toBeLessThanOrEqual(10);
    // Every new snapshot was announced, and none came between the announcements.
    expect(snapshots).toBe(notifications);
  });

  it('batches the status changes of one tick into one notification', async () => {
    const t = setup();
    t.queue.add([textFile(KiB, 'a.txt'), textFile(KiB, 'b.txt'), new File([], 'empty.txt')]);
    expect(t.notifications.count).toBe(0);
    await Promise.resolve();
    expect(t.notifications.count).toBe(1);
  });

  it('notifies the first change at once, then at most once per interval, the latest state on the trailing edge', async () => {
    const t = setup({ progressIntervalMs: 100 });
    const seen: string[][] = [];
    t.queue.subscribe(() => seen.push(t.statuses()));
    t.queue.add([new File([], 'a.txt')]);
    await Promise.resolve();
    expect(seen).toEqual([['rejected']]);

    // A quiet interval later, a change is told at once again (no timer involved).
    await t.advance(150);
    t.queue.add([new File([], 'b.txt')]);
    await Promise.resolve();
    expect(seen).toHaveLength(2);

    // Within the interval: held back, then one notification with everything that happened meanwhile.
    t.queue.add([new File([], 'c.txt')]);
    await t.advance(50);
    t.queue.add([new File([], 'd.txt')]);
    await t.advance(49);
    expect(seen).toHaveLength(2);
    await t.advance(1);
    expect(seen).toEqual([['rejected'], ['rejected', 'rejected'], ['rejected', 'rejected', 'rejected', 'rejected']]);
    await t.advance(1000);
    expect(seen).toHaveLength(3);
    expect(t.clock.pending).toBe(0);
  });

  it('coalesces the status changes of a fast batch: one notification per interval (250 ms by default), whatever the file count', async () => {
    // 30 small files on a fast backend: each goes queued → checking → starting → uploading → completing → done in ~10 ms.
    const t = setup({}, { latencyMs: 2, bytesPerSecond: 1024 * KiB, progressIntervalMs: 1 });
    const times: number[] = [];
    let lastSeen = t.queue.getState();
    t.queue.subscribe(() => {
      times.push(t.clock.now());
      lastSeen = t.queue.getState();
    });
    const changes = { count: 0 };
    let previous = t.queue.getState();
    t.queue.add(Array.from({ length: 30 }, (_, i) => textFile(KiB, `file-${i}.txt`)));
    await t.until(() => {
      const current = t.queue.getState();
      if (current !== previous) changes.count += 1;
      previous = current;
      return t.statuses().every((status) => status === 'done');
    }, 1);
    await t.advance(250);

    // Far fewer notifications than snapshots, never two within an interval, and the last one shows the end.
    expect(changes.count).toBeGreaterThan(times.length * 3);
    const gaps = times.slice(1).map((time, i) => time - (times[i] ?? 0));
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(250);
    expect(times.length).toBeLessThanOrEqual(Math.floor(((times.at(-1) ?? 0) - (times[0] ?? 0)) / 250) + 1);
    expect(lastSeen.items.map((item) => item.status)).toEqual(Array.from({ length: 30 }, () => 'done'));
    expect(lastSeen).toBe(t.queue.getState());
  });

  it('tells listeners at once when a wait to retry begins, so a wait shorter than the interval is still seen', async () => {
    // random 0: the retry after the lost connection waits 0 ms, well inside the 250 ms interval.
    const t = setup({}, {}, [{ kind: 'fail', operation: 'put', error: 'network', afterBytes: 512 }]);
    const seen: Array<{ status: string; cause?: string }> = [];
    t.queue.subscribe(() => {
      const [item] = t.queue.getState().items;
      if (item) seen.push({ status: item.status, cause: item.error?.code });
    });
    t.queue.add([textFile(KiB, 'notes.txt')]);
    await t.until(() => t.statuses()[0] === 'done');
    await t.advance(250);

    expect(seen).toContainEqual({ status: 'retrying', cause: 'network' });
    expect(seen.at(-1)?.status).toBe('done');
    expect(t.backend.calls().filter((call) => call.operation === 'put')).toHaveLength(2);
  });

  it('returns the same state until something changes, and keeps unchanged items', async () => {
    const t = setup({ maxConcurrentUploads: 1 });
    const [a, b] = t.queue.add([textFile(KiB, 'a.txt'), textFile(KiB, 'b.txt')]);
    const first = t.queue.getState();
    expect(t.queue.getState()).toBe(first);
    await t.until(() => t.item(a?.id ?? '')?.status === 'uploading');
    const during = t.queue.getState();
    expect(during).not.toBe(first);
    // b is still queued and untouched: the very same object.
    expect(during.items[1]).toBe(first.items[1]);
    expect(during.items[1]).toBe(b);

    await t.until(() => t.statuses().every((status) => status === 'done'));
    const done = t.queue.getState();
    await t.advance(60_000);
    expect(t.queue.getState()).toBe(done);
  });

  it('retries a failed item from scratch with new ClientTokens', async () => {
    const t = setup({}, {}, [{ kind: 'fail', operation: 'start', error: 'quota-exceeded' }]);
    const [added] = t.queue.add([textFile(KiB, 'a.txt')]);
    const id = added?.id ?? '';
    await t.until(() => t.item(id)?.status === 'failed');
    expect(t.item(id)?.error?.code).toBe('quota-exceeded');
    expect(t.onError).toHaveBeenCalledTimes(1);

    t.queue.retry(id);
    expect(t.item(id)).toMatchObject({ status: 'starting', bytesSent: 0, attempt: 1 });
    expect(t.item(id)?.error).toBeUndefined();
    await t.until(() => t.item(id)?.status === 'done');
    const starts = t.backend.calls().filter((call) => call.operation === 'start');
    expect(starts.map((call) => call.clientToken)).toEqual(['token-1', 'token-2']);
    expect(t.onUploaded).toHaveBeenCalledTimes(1);
  });

  it('retries a cancelled item, but not a rejected or finished one', async () => {
    const t = setup({ maxConcurrentUploads: 1 });
    const [a, empty] = t.queue.add([textFile(KiB, 'a.txt'), new File([], 'empty.txt')]);
    t.queue.cancel(a?.id ?? '');
    t.queue.retry(empty?.id ?? '');
    expect(t.statuses()).toEqual(['cancelled', 'rejected']);

    t.queue.retry(a?.id ?? '');
    await t.until(() => t.item(a?.id ?? '')?.status === 'done');
    const done = t.queue.getState();
    t.queue.retry(a?.id ?? '');
    expect(t.queue.getState()).toBe(done);
    expect(t.backend.attachments().filter((attachment) => attachment.completed)).toHaveLength(1);
  });

  it('removes items, cancelling an active one first and freeing its slot', async () => {
    const t = setup({ maxConcurrentUploads: 1 });
    const [a, b, c] = t.queue.add([textFile(64 * KiB, 'a.txt'), textFile(KiB, 'b.txt'), textFile(KiB, 'c.txt')]);
    await t.until(() => t.item(a?.id ?? '')?.status === 'uploading');
    t.queue.remove(a?.id ?? '');
    t.queue.remove(c?.id ?? '');
    expect(t.queue.getState().items.map((candidate) => candidate.id)).toEqual([b?.id]);
    expect(t.item(b?.id ?? '')?.status).toBe('starting');

    await t.until(() => t.item(b?.id ?? '')?.status === 'done');
    await t.advance(60_000);
    expect(t.backend.attachments().map((attachment) => [attachment.name, attachment.completed])).toEqual([
      ['a.txt', false],
      ['b.txt', true],
    ]);
    expect(t.onError).not.toHaveBeenCalled();
  });

  it('rejects unacceptable files without blocking the others', async () => {
    const t = setup({ maxConcurrentUploads: 1 });
    // The empty file is refused on sight; the PNG that is really text only once its bytes were read.
    const added = t.queue.add([
      new File([], 'empty.txt'),
      new File(['not a picture at all'], 'photo.png', { type: 'image/png' }),
      textFile(KiB, 'ok.txt'),
    ]);
    expect(added.map((candidate) => candidate.status)).toEqual(['rejected', 'starting', 'queued']);
    expect(t.onError).toHaveBeenCalledTimes(1);

    await t.until(() => t.statuses()[2] === 'done');
    expect(t.statuses()).toEqual(['rejected', 'rejected', 'done']);
    expect(t.onError.mock.calls.map(([error, item]) => [error.code, item.name, item.status])).toEqual([
      ['file-empty', 'empty.txt', 'rejected'],
      ['type-mismatch', 'photo.png', 'rejected'],
    ]);
    expect(t.backend.attachments().map((attachment) => attachment.name)).toEqual(['ok.txt']);
  });

  it('calls onUploaded and onError once per item, with the final item', async () => {
    const t = setup({}, {}, [{ kind: 'fail', operation: 'put', error: 'signature-mismatch' }]);
    const [bad, good] = t.queue.add([textFile(KiB, 'bad.txt'), textFile(KiB, 'good.txt')]);
    await t.until(() => t.statuses().every((status) => status === 'done' || status === 'failed'));
    await t.advance(60_000);

    expect(t.onError).toHaveBeenCalledTimes(1);
    expect(t.onError.mock.calls[0]?.[0].code).toBe('signature-mismatch');
    expect(t.onError.mock.calls[0]?.[1]).toBe(t.item(bad?.id ?? ''));
    expect(t.item(bad?.id ?? '')?.status).toBe('failed');
    expect(t.onUploaded).toHaveBeenCalledTimes(1);
    const [attachment, item] = t.onUploaded.mock.calls[0] ?? [];
    expect(item).toBe(t.item(good?.id ?? ''));
    expect(item).toMatchObject({ status: 'done', attachment, bytesSent: KiB, contentType: 'text/plain' });
    expect(attachment).toEqual({ attachmentId: 'memory-attachment-2', name: 'good.txt', sizeInBytes: KiB, contentType: 'text/plain' });
  });

  it('uses the latest callbacks given with setOptions', async () => {
    const t = setup();
    const onUploaded = vi.fn();
    t.queue.setOptions({ onUploaded });
    t.queue.add([textFile(KiB, 'a.txt')]);
    await t.until(() => t.statuses()[0] === 'done');
    expect(onUploaded).toHaveBeenCalledTimes(1);
    expect(t.onUploaded).not.toHaveBeenCalled();
  });

  it('cancels queued and active items without calling onError', async () => {
    const t = setup({ maxConcurrentUploads: 1 });
    const [a, b] = t.queue.add([textFile(64 * KiB, 'a.txt'), textFile(KiB, 'b.txt')]);
    await t.until(() => (t.item(a?.id ?? '')?.bytesSent ?? 0) > 0);
    t.queue.cancel(b?.id ?? '');
    t.queue.cancel(a?.id ?? '');
    expect(t.statuses()).toEqual(['cancelled', 'cancelled']);
    await t.advance(60_000);

    expect(t.statuses()).toEqual(['cancelled', 'cancelled']);
    expect(t.queue.getState().totalBytes).toBe(0);
    expect(t.backend.calls().filter((call) => call.operation === 'complete')).toHaveLength(0);
    expect(t.onError).not.toHaveBeenCalled();
  });

  it('keeps a completing file out of cancel: the file may already be attached', async () => {
    const t = setup();
    const [item] = t.queue.add([textFile(8 * KiB, 'a.txt')]);
    await t.until(() => t.item(item!.id)?.status === 'completing', 1);
    t.queue.cancel(item!.id);
    expect(t.item(item!.id)?.status).toBe('completing');
    await t.until(() => t.item(item!.id)?.status === 'done');
    expect(t.onUploaded).toHaveBeenCalledTimes(1);
    expect(t.backend.attachments().map((a) => a.completed)).toEqual([true]);
  });

  it("starts the accepted files of a batch even when the host's onError throws for a refused one", async () => {
    const t = setup({
      onError: () => {
        throw new Error('host bug');
      },
    });
    expect(() => t.queue.add([textFile(0, 'empty.txt'), textFile(KiB, 'ok.txt')])).toThrow('host bug');
    const [rejected, accepted] = t.statuses();
    expect(rejected).toBe('rejected');
    expect(accepted).not.toBe('queued');
    await t.until(() => t.statuses()[1] === 'done');
  });

  it('destroy cancels everything and stays silent afterwards', async () => {
    const t = setup();
    t.queue.add([textFile(64 * KiB, 'a.txt'), textFile(64 * KiB, 'b.txt')]);
    await t.until(() => t.statuses().every((status) => status === 'uploading'));
    await t.advance(20);
    const calls = t.backend.calls().length;
    const notifications = t.notifications.count;

    t.queue.destroy();
    await t.advance(0);
    expect(t.clock.pending).toBe(0);
    await t.advance(60_000);

    expect(t.backend.calls()).toHaveLength(calls);
    expect(t.backend.attachments().some((attachment) => attachment.completed)).toBe(false);
    expect(t.notifications.count).toBe(notifications);
    expect(t.onUploaded).not.toHaveBeenCalled();
    expect(t.onError).not.toHaveBeenCalled();
    expect(t.queue.add([textFile(KiB, 'late.txt')])).toEqual([]);
  });
});

describe('createUploadQueue with awaitScan', () => {
  const scanning = { scanMs: 3_000, scanOutcome: ({ name }: { name: string }) => (name.startsWith('eicar') ? 'REJECTED' : 'APPROVED') } as const;

  it('shows a completed file as scanning (onUploaded already told), frees its slot, then done with the outcome', async () => {
    const onScanned = vi.fn<(item: UploadItem) => void>();
    const t = setup({ awaitScan: waitForScan, onScanned, maxConcurrentUploads: 1 }, scanning);
    const [first, second] = t.queue.add([textFile(8 * KiB, 'a.txt'), textFile(8 * KiB, 'b.txt')]);
    await t.until(() => t.item(first!.id)?.status === 'scanning');

    expect(t.onUploaded).toHaveBeenCalledTimes(1);
    expect(t.onUploaded.mock.calls[0]![1]).toMatchObject({ status: 'scanning' });
    // Polling is not uploading: the next file starts while the first one is scanned.
    await t.advance(10);
    expect(t.item(second!.id)?.status).not.toBe('queued');
    expect(onScanned).not.toHaveBeenCalled();

    await t.until(() => t.statuses().every((status) => status === 'done'));
    expect(t.item(first!.id)).toMatchObject({ status: 'done', scanStatus: 'APPROVED' });
    expect(onScanned.mock.calls.map(([item]) => [item.name, item.scanStatus])).toEqual([
      ['a.txt', 'APPROVED'],
      ['b.txt', 'APPROVED'],
    ]);
    expect(t.onError).not.toHaveBeenCalled();
  });

  it('ends a file the scan refuses as done with scanStatus REJECTED', async () => {
    const t = setup({ awaitScan: waitForScan }, scanning);
    const [item] = t.queue.add([textFile(8 * KiB, 'eicar.txt')]);
    await t.until(() => t.item(item!.id)?.status === 'done');
    expect(t.item(item!.id)).toMatchObject({ scanStatus: 'REJECTED' });
    expect(t.onUploaded).toHaveBeenCalledTimes(1);
  });

  it('never asks for the scan without awaitScan', async () => {
    const t = setup({}, scanning);
    const getAttachment = vi.spyOn(t.backend.client, 'getAttachment');
    const [item] = t.queue.add([textFile(8 * KiB, 'eicar.txt')]);
    await t.until(() => t.item(item!.id)?.status === 'done');
    await t.advance(10_000);
    expect(getAttachment).not.toHaveBeenCalled();
    expect(t.item(item!.id)?.scanStatus).toBeUndefined();
  });

  it('keeps a scanning file out of cancel; remove stops the polling', async () => {
    const t = setup({ awaitScan: waitForScan }, { ...scanning, scanMs: 60_000 });
    const getAttachment = vi.spyOn(t.backend.client, 'getAttachment');
    const [item] = t.queue.add([textFile(8 * KiB, 'a.txt')]);
    await t.until(() => t.item(item!.id)?.status === 'scanning');
    t.queue.cancel(item!.id);
    expect(t.item(item!.id)?.status).toBe('scanning');

    t.queue.remove(item!.id);
    const polls = getAttachment.mock.calls.length;
    await t.advance(120_000);
    expect(getAttachment).toHaveBeenCalledTimes(polls);
    expect(t.queue.getState().items).toEqual([]);
  });

  it('leaves the file done without a scanStatus, and reports the error, when the wait gives up', async () => {
    const t = setup({ awaitScan: waitForScan });
    const denied = new UploadError('access-denied', 'Denied.', { status: 403 });
    vi.spyOn(t.backend.client, 'getAttachment').mockRejectedValue(denied);
    const [item] = t.queue.add([textFile(8 * KiB, 'a.txt')]);
    await t.until(() => t.item(item!.id)?.status === 'done');
    expect(t.item(item!.id)).toMatchObject({ status: 'done', error: denied });
    expect(t.item(item!.id)?.scanStatus).toBeUndefined();
    expect(t.onError).toHaveBeenCalledWith(denied, expect.objectContaining({ status: 'done' }));
  });
});
