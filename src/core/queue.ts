import { UploadError, type UploadErrorCode } from './errors';
import type { ScanOutcome, waitForScan } from './scan';
import { systemClock } from './time';
import type { UploadedAttachment } from './types';
import { uploadAttachment, type UploadAttachmentOptions, type UploadEvent } from './upload';
import { checkFile, resolveRules, type ResolvedRules } from './validate';

export type UploadStatus =
  | 'queued'
  | 'checking'
  | 'starting'
  | 'uploading'
  | 'retrying'
  | 'refreshing'
  | 'completing'
  | 'scanning'
  | 'done'
  | 'failed'
  | 'rejected'
  | 'cancelled';

/** An immutable snapshot: a changed item is a new object, an unchanged one keeps its identity. */
export interface UploadItem {
  readonly id: string;
  readonly file: File;
  readonly name: string;
  readonly sizeInBytes: number;
  /**
   * `rejected`: refused by validation (retrying cannot help); `failed`: the engine gave up, `retry` may work;
   * `scanning`: completed, waiting for the malware scan (`awaitScan`); `done` with a `scanStatus` other than
   * APPROVED means the scan refused the file.
   */
  readonly status: UploadStatus;
  /** Canonical MIME type, once the file was checked. */
  readonly contentType?: string;
  readonly bytesSent: number;
  /** See `UploadEvent`: the try of the step in progress. */
  readonly attempt: number;
  /** While retrying/refreshing: when the next try happens (epoch ms). */
  readonly retryAt?: number;
  /** The final error (failed/rejected), or the cause of the current wait (retrying/refreshing). */
  readonly error?: UploadError;
  readonly attachment?: UploadedAttachment;
  /** With `awaitScan`: the scan's outcome, once known. Absent on a `done` item whose wait gave up (see `error`). */
  readonly scanStatus?: ScanOutcome;
}

/** Totals are byte-weighted over the items that are neither rejected nor cancelled. */
export interface UploadQueueState {
  readonly items: readonly UploadItem[];
  readonly totalBytes: number;
  readonly bytesSent: number;
}

export interface UploadQueueOptions extends Omit<UploadAttachmentOptions, 'signal' | 'onEvent' | 'onProgress'> {
  /** Default 3. */
  maxConcurrentUploads?: number;
  /** At most one notification (status or progress) per interval. Default 100 ms (≤ 10 renders a second). */
  progressIntervalMs?: number;
  /**
   * After CompleteAttachmentUpload succeeded: the file is attached, but with `awaitScan` not yet scanned (the item
   * is `scanning`); `onScanned` tells the outcome.
   */
  onUploaded?: (attachment: UploadedAttachment, item: UploadItem) => void;
  /**
   * Final failures and rejections (not cancellations); with `awaitScan`, also a scan wait that gave up (the item
   * stays `done`, without `scanStatus`: the file is attached, its scan result unknown).
   */
  onError?: (error: UploadError, item: UploadItem) => void;
  /**
   * `waitForScan`, to poll GetAttachment after Complete until the malware scan decides (the item is `scanning`
   * meanwhile, then `done` with `scanStatus`). Opt-in, and passed in rather than switched on: only the host knows
   * whether its instance scans attachments, and a host that does not pays nothing for the polling code.
   */
  awaitScan?: typeof waitForScan;
  /** With `awaitScan`: the scan decided; `item.scanStatus` is APPROVED, REJECTED or FAILED. */
  onScanned?: (item: UploadItem) => void;
}

export interface UploadQueue {
  /** The same object until something changes (what `useSyncExternalStore` needs). */
  getState(): UploadQueueState;
  subscribe(listener: () => void): () => void;
  /** Returns the new items as they are after adding: refused at once (`rejected`), started, or `queued`. */
  add(files: Iterable<File> | ArrayLike<File>): readonly UploadItem[];
  cancel(id: string): void;
  /** Restarts a failed or cancelled item from scratch (new ClientTokens). */
  retry(id: string): void;
  /** Cancels the item first if it is still active. */
  remove(id: string): void;
  /**
   * Uploads already running keep the client and rules they started with; callbacks are always the latest. The
   * clock is the one given at creation (timers set on one clock are cleared on it).
   */
  setOptions(options: Partial<UploadQueueOptions>): void;
  /** Cancels everything and drops listeners and timers; the queue does nothing afterwards. */
  destroy(): void;
}

/*
 * Three parallel uploads: browsers open at most 6 connections per host and the Start/Complete calls (and the chat
 * itself) need some; Connect throttles bursts of Start calls per contact; and more parallel PUTs do not make one
 * uplink faster — they only delay every file's completion. Uppy uses 6 for plain S3 uploads without API calls.
 */
const DEFAULT_MAX_CONCURRENT_UPLOADS = 3;
const DEFAULT_PROGRESS_INTERVAL_MS = 100;

/** Local refusals (validation codes: file-*, name-*, type-*): the file itself is not acceptable, so retrying cannot help. */
const isRejection = (code: UploadErrorCode): boolean => /^(file|name|type)-/.test(code);

/** Not finished yet: queued, or being checked, uploaded or waited on. */
export const isInProgress = (status: UploadStatus): boolean => !/^(done|failed|rejected|cancelled)$/.test(status);
/** Holding a slot: in progress, no longer queued, and not just polling for a scan result (no bandwidth used). */
const isActive = (status: UploadStatus): boolean => status !== 'queued' && status !== 'scanning' && isInProgress(status);
/** Waiting before another try or a fresh URL. */
export const isWaiting = (status: UploadStatus): boolean => status === 'retrying' || status === 'refreshing';

interface Entry {
  item: UploadItem;
  /** Set while the item runs; a settled or progress callback of another run is ignored. */
  controller?: AbortController;
  /** Latest progress not yet in a snapshot. */
  pendingBytes?: number;
}

export function createUploadQueue(initialOptions: UploadQueueOptions): UploadQueue {
  let options = initialOptions;
  let rules: ResolvedRules = options.rules ?? resolveRules();
  const clock = options.clock ?? systemClock;
  const entries: Entry[] = [];
  const listeners = new Set<() => void>();
  const withPendingBytes = new Set<Entry>();
  let nextId = 1;
  let destroyed = false;

  let state: UploadQueueState = { items: [], totalBytes: 0, bytesSent: 0 };
  let stale = false;
  let notified = state;
  /** The one throttle: a microtask (leading edge) or a timer (trailing edge) is pending. */
  let flushScheduled = false;
  let flushTimer: unknown;
  let lastNotifiedAt = Number.NEGATIVE_INFINITY;

  /** Moves noted progress into new item objects; tells whether any item changed. */
  const applyPendingBytes = (): boolean => {
    let any = false;
    for (const entry of withPendingBytes) {
      if (entry.pendingBytes !== undefined && entry.pendingBytes !== entry.item.bytesSent) {
        entry.item = { ...entry.item, bytesSent: entry.pendingBytes };
        any = true;
      }
      entry.pendingBytes = undefined;
    }
    withPendingBytes.clear();
    return any;
  };

  const getState = (): UploadQueueState => {
    if (stale) {
      applyPendingBytes();
      let totalBytes = 0;
      let bytesSent = 0;
      for (const { item } of entries) {
        if (item.status === 'rejected' || item.status === 'cancelled') continue;
        totalBytes += item.sizeInBytes;
        bytesSent += item.bytesSent;
      }
      state = { items: entries.map((entry) => entry.item), totalBytes, bytesSent };
      stale = false;
    }
    return state;
  };

  const flush = () => {
    flushScheduled = false;
    flushTimer = undefined;
    if (destroyed) return;
    if (applyPendingBytes()) stale = true;
    if (getState() === notified) return;
    notified = state;
    lastNotifiedAt = clock.now();
    for (const listener of [...listeners]) listener();
  };

  /**
   * Every change (status or progress) reaches listeners through one throttle: at once (in a microtask, so one
   * tick's changes make one notification) when the last notification is an interval old, else when the interval
   * is over — at most one per interval, and the latest state always arrives.
   */
  const schedule = () => {
    if (flushScheduled) return;
    flushScheduled = true;
    const wait = lastNotifiedAt + (options.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS) - clock.now();
    if (wait > 0) flushTimer = clock.setTimeout(flush, wait);
    else queueMicrotask(flush);
  };

  /** Status changes: the snapshot is rebuilt on demand (getState is always current), listeners told by the throttle. */
  const changed = () => {
    stale = true;
    schedule();
  };

  const update = (entry: Entry, patch: Partial<UploadItem>) => {
    // Progress that arrived before a status change belongs in the same new snapshot.
    if (entry.pendingBytes !== undefined) patch = { bytesSent: entry.pendingBytes, ...patch };
    entry.pendingBytes = undefined;
    withPendingBytes.delete(entry);
    entry.item = { ...entry.item, ...patch };
    changed();
  };

  /** Progress: only noted here (no snapshot in between, however often it comes); the throttle's flush applies it. */
  const progressed = (entry: Entry, bytesSent: number) => {
    entry.pendingBytes = bytesSent;
    withPendingBytes.add(entry);
    schedule();
  };

  const find = (id: string) => entries.find((entry) => entry.item.id === id);

  const onEvent = (entry: Entry, event: UploadEvent) => {
    if (event.type === 'checked') {
      update(entry, { contentType: event.file.contentType });
    } else {
      const waiting = isWaiting(event.phase);
      update(entry, {
        status: event.phase,
        attempt: event.attempt,
        retryAt: waiting ? event.retryAt : undefined,
        error: waiting ? event.error : undefined,
      });
    }
  };

  const run = (entry: Entry) => {
    const controller = new AbortController();
    entry.controller = controller;
    const {
      maxConcurrentUploads: _max,
      progressIntervalMs: _interval,
      onUploaded: _up,
      onError: _err,
      awaitScan,
      onScanned: _scanned,
      ...upload
    } = options;
    update(entry, { status: 'checking', attempt: 1 });
    uploadAttachment(entry.item.file, {
      ...upload,
      rules,
      clock,
      signal: controller.signal,
      onEvent: (event) => {
        if (entry.controller === controller) onEvent(entry, event);
      },
      onProgress: (bytesSent) => {
        if (entry.controller === controller) progressed(entry, bytesSent);
      },
    }).then(
      (attachment) => {
        if (entry.controller !== controller) return;
        if (!awaitScan) entry.controller = undefined;
        const status = awaitScan ? 'scanning' : 'done';
        update(entry, { status, attachment, bytesSent: entry.item.sizeInBytes, retryAt: undefined, error: undefined });
        if (awaitScan) scan(entry, controller, awaitScan(upload.client, attachment.attachmentId, { signal: controller.signal, clock }));
        // The slot is handed on (and the scan wait started) before the host's callback runs, so a throwing callback
        // cannot stall the queue.
        pump();
        options.onUploaded?.(attachment, entry.item);
      },
      (error: UploadError) => {
        if (entry.controller !== controller) return;
        entry.controller = undefined;
        const status = isRejection(error.code) ? 'rejected' : error.code === 'cancelled' ? 'cancelled' : 'failed';
        update(entry, { status, error, retryAt: undefined });
        pump();
        if (status !== 'cancelled') options.onError?.(error, entry.item);
      },
    );
  };

  /** Polls until the scan decides; the item keeps its controller, so `remove` and `destroy` stop the polling. */
  const scan = (entry: Entry, controller: AbortController, scanned: ReturnType<typeof waitForScan>) => {
    scanned.then(
      ({ status }) => {
        if (entry.controller !== controller) return;
        entry.controller = undefined;
        update(entry, { status: 'done', scanStatus: status });
        options.onScanned?.(entry.item);
      },
      (error: UploadError) => {
        if (entry.controller !== controller) return;
        entry.controller = undefined;
        update(entry, { status: 'done', error });
        options.onError?.(error, entry.item);
      },
    );
  };

  /** Starts queued items, oldest first, while there are free slots. */
  const pump = () => {
    if (destroyed) return;
    const limit = Math.max(1, options.maxConcurrentUploads ?? DEFAULT_MAX_CONCURRENT_UPLOADS);
    let active = entries.filter((entry) => isActive(entry.item.status)).length;
    for (const entry of entries) {
      if (active >= limit) break;
      if (entry.item.status !== 'queued') continue;
      run(entry);
      active += 1;
    }
  };

  const stop = (entry: Entry) => {
    entry.controller?.abort();
    entry.controller = undefined;
  };

  return {
    getState,
    subscribe(listener) {
      if (destroyed) return () => undefined;
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    add(files) {
      if (destroyed) return [];
      const added: Entry[] = [];
      for (const file of Array.from(files)) {
        const base = { id: `upload-${nextId++}`, file, name: file.name, sizeInBytes: file.size, bytesSent: 0, attempt: 0 };
        // The cheap checks right away, so an obviously unacceptable file never waits for (or takes) a slot.
        let item: UploadItem;
        try {
          item = { ...base, status: 'queued', contentType: checkFile(file, rules).contentType };
        } catch (error) {
          if (!(error instanceof UploadError)) throw error;
          item = { ...base, status: 'rejected', error };
        }
        added.push({ item });
      }
      entries.push(...added);
      changed();
      for (const { item } of added) if (item.error) options.onError?.(item.error, item);
      pump();
      return added.map((entry) => entry.item);
    },
    cancel(id) {
      const entry = find(id);
      // A scanning file is already attached: there is no upload left to cancel (remove stops the polling).
      if (!entry || !isInProgress(entry.item.status) || entry.item.status === 'scanning') return;
      stop(entry);
      update(entry, { status: 'cancelled', retryAt: undefined });
      pump();
    },
    retry(id) {
      const entry = find(id);
      if (destroyed || !entry || (entry.item.status !== 'failed' && entry.item.status !== 'cancelled')) return;
      update(entry, {
        status: 'queued',
        bytesSent: 0,
        attempt: 0,
        retryAt: undefined,
        error: undefined,
        attachment: undefined,
      });
      pump();
    },
    remove(id) {
      const entry = find(id);
      if (!entry) return;
      stop(entry);
      entries.splice(entries.indexOf(entry), 1);
      withPendingBytes.delete(entry);
      changed();
      pump();
    },
    setOptions(patch) {
      options = { ...options, ...patch };
      if ('rules' in patch) rules = options.rules ?? resolveRules();
      pump();
    },
    destroy() {
      destroyed = true;
      for (const entry of entries) stop(entry);
      listeners.clear();
      if (flushTimer !== undefined) clock.clearTimeout(flushTimer);
      flushTimer = undefined;
    },
  };
}
