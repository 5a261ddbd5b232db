import { UploadError } from './errors';
import type { ScanOutcome, waitForScan } from './scan';
import { systemClock } from './time';
import type { UploadedAttachment } from './types';
import { uploadAttachment, type UploadAttachmentOptions } from './upload';
import { checkFile, resolveRules } from './validate';

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
  /**
   * At most one notification (status or progress) per interval. Default 250 ms (≤ 4 renders a second): each render
   * of a long list costs the browser a frame (style, layout, paint), which shows in a batch's time.
   */
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
  /** Stops an item that is queued, being checked, started or uploaded, or waiting to retry; not once it is completing. */
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

/** Not finished yet: queued, or being checked, uploaded or waited on. */
export const isInProgress = (status: UploadStatus): boolean => !/^(done|failed|rejected|cancelled)$/.test(status);
/** Waiting before another try or a fresh URL. */
export const isWaiting = (status: UploadStatus): status is 'retrying' | 'refreshing' => /^re(trying|freshing)$/.test(status);
/** Holding a slot: in progress, no longer queued, and not just polling for a scan result (no bandwidth used). */
const isActive = (status: UploadStatus): boolean => !/^(queued|scanning|done|failed|rejected|cancelled)$/.test(status);

/** Progress noted that the item does not show yet. */
const moved = (entry: Entry): boolean => entry.bytesSent !== entry.item.bytesSent;
/** A new item: the patch, and the latest progress. */
const renew = (entry: Entry, patch?: Partial<UploadItem>): void => {
  entry.item = { ...entry.item, ...patch, bytesSent: entry.bytesSent };
};

interface Entry {
  item: UploadItem;
  /** Of the latest run; aborted by cancel, remove and destroy, which also silences that run's callbacks. */
  controller?: AbortController;
  /**
   * The latest progress (the source of truth for `item.bytesSent`); it reaches `item` (a new object) only when a
   * snapshot is built or the item changes anyway, not on every event.
   */
  bytesSent: number;
}

export function createUploadQueue(initialOptions: UploadQueueOptions): UploadQueue {
  let options = initialOptions;
  const clock = options.clock ?? systemClock;
  let entries: Entry[] = [];
  const listeners = new Set<() => void>();
  let nextId = 1;
  let destroyed = false;

  /** The snapshot; dropped on a change (not on progress alone, which waits for the throttle), rebuilt on demand. */
  let state: UploadQueueState | undefined;
  let notified: UploadQueueState | undefined;
  /** The one throttle: a microtask (leading edge) or a timer (trailing edge) is pending. */
  let flushScheduled = false;
  let flushTimer: unknown;
  let lastNotifiedAt = -Infinity;

  const getState = (): UploadQueueState => {
    if (!state) {
      let totalBytes = 0;
      let bytesSent = 0;
      const items = entries.map((entry) => {
        if (moved(entry)) renew(entry);
        const { item } = entry;
        // Totals leave out rejected and cancelled files.
        if (!/^(rejected|cancelled)$/.test(item.status)) {
          totalBytes += item.sizeInBytes;
          bytesSent += item.bytesSent;
        }
        return item;
      });
      state = { items, totalBytes, bytesSent };
    }
    return state;
  };

  const flush = () => {
    flushScheduled = false;
    if (destroyed) return;
    // Progress noted since the last snapshot makes a new one now.
    if (entries.some(moved)) state = undefined;
    if (getState() === notified) return;
    notified = state;
    lastNotifiedAt = clock.now();
    for (const listener of [...listeners]) listener();
  };

  /**
   * Every change (status or progress) reaches listeners through one throttle: at once (in a microtask, so one
   * tick's changes make one notification) when the last notification is an interval old, else when the interval
   * is over — at most one per interval (default 250 ms), and the latest state always arrives. `urgent` (the start
   * of a wait to retry, rare) goes at once regardless: a wait shorter than the interval would otherwise never be seen
   * or announced.
   */
  const schedule = (urgent?: boolean) => {
    if (urgent) {
      clock.clearTimeout(flushTimer);
      flushScheduled = false;
    }
    if (flushScheduled) return;
    flushScheduled = true;
    const wait = urgent ? 0 : lastNotifiedAt + (options.progressIntervalMs ?? 250) - clock.now();
    if (wait > 0) flushTimer = clock.setTimeout(flush, wait);
    else queueMicrotask(flush);
  };

  /** Status changes: the snapshot is rebuilt on demand (getState is always current), listeners told by the throttle. */
  const changed = (urgent?: boolean) => {
    state = undefined;
    schedule(urgent);
  };

  const update = (entry: Entry, patch: Partial<UploadItem>) => {
    // Progress noted before a status change belongs in the same new item.
    renew(entry, patch);
    changed(patch.status !== undefined && isWaiting(patch.status));
  };

  /** Starts queued items, oldest first, while there are free slots. */
  const pump = () => {
    if (destroyed) return;
    /*
     * Three parallel uploads by default: browsers open at most 6 connections per host and the Start/Complete
     * calls (and the chat itself) need some; Connect throttles bursts of Start calls per contact; and more
     * parallel PUTs do not make one uplink faster — they only delay every file's completion. Uppy uses 6 for
     * plain S3 uploads without API calls.
     */
    const limit = Math.max(1, options.maxConcurrentUploads ?? 3);
    // Counted once: pump runs after every outcome and every options update (each commit), over up to hundreds of items.
    let active = entries.filter(({ item }) => isActive(item.status)).length;
    for (const entry of entries) {
      if (active >= limit) break;
      if (entry.item.status !== 'queued') continue;
      run(entry);
      active += 1;
    }
  };

  /**
   * A new state from a run's outcome (or a cancel or retry, which have no callback), then the host's callback for
   * it. The slot is handed on (and a scan wait started) before the callback runs, so a throwing callback cannot
   * stall the queue.
   */
  const settle = (entry: Entry, patch: Partial<UploadItem>) => {
    update(entry, patch);
    pump();
    const { item } = entry;
    const { error, scanStatus, attachment } = patch;
    if (error) options.onError?.(error, item);
    else if (scanStatus) options.onScanned?.(item);
    else if (attachment) options.onUploaded?.(attachment, item);
  };

  const run = (entry: Entry) => {
    const controller = new AbortController();
    const { signal } = controller;
    // Fixed for this run (as the client and rules uploadAttachment takes from options): a later setOptions changes
    // the next runs only.
    const { client, awaitScan } = options;
    entry.controller = controller;
    /**
     * Wraps a callback of this run: ignored once the run was aborted. A run is only replaced (retry) after it
     * failed or was cancelled, so no callback of an older run can arrive unaborted.
     */
    const current =
      <T>(callback: (value: T) => void) =>
      (value: T) => {
        if (!signal.aborted) callback(value);
      };

    // uploadAttachment reports `checking` at once, so the item leaves `queued` before this returns. The item's
    // contentType is already known from add (the same check): only the phases are news.
    uploadAttachment(entry.item.file, {
      ...options,
      clock,
      signal,
      onEvent: current((event) => {
        if (event.type === 'phase') {
          update(entry, { status: event.phase, attempt: event.attempt, retryAt: event.retryAt, error: event.error });
        }
      }),
      onProgress: current((bytesSent) => {
        // Only noted (no snapshot, however often it comes); the throttle's flush makes one.
        entry.bytesSent = bytesSent;
        schedule();
      }),
    }).then(
      current((attachment) => {
        // The item keeps its controller while the scan is polled, so `remove` and `destroy` stop the polling.
        awaitScan?.(client, attachment.attachmentId, { signal, clock }).then(
          current(({ status }) => settle(entry, { status: 'done', scanStatus: status })),
          current((error: UploadError) => settle(entry, { status: 'done', error })),
        );
        settle(entry, { status: awaitScan ? 'scanning' : 'done', attachment });
      }),
      current((error: UploadError) => {
        // A refusal of the file itself (validation codes: file-*, name-*, type-*): retrying cannot help. (A
        // `cancelled` rejection only comes from an abort, which `current` already silenced.)
        settle(entry, { status: /^(file|name|type)-/.test(error.code) ? 'rejected' : 'failed', error, retryAt: undefined });
      }),
    );
  };

  const find = (id: string) => entries.find((entry) => entry.item.id === id);
  const stop = (entry: Entry) => entry.controller?.abort();

  return {
    getState,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    add(files) {
      if (destroyed) return [];
      const rules = options.rules ?? resolveRules();
      const added = Array.from(files, (file): Entry => {
        // The cheap checks right away, so an obviously unacceptable file never waits for (or takes) a slot.
        let checked: Pick<UploadItem, 'status' | 'contentType' | 'error'>;
        try {
          checked = { status: 'queued', contentType: checkFile(file, rules).contentType };
        } catch (error) {
          if (!(error instanceof UploadError)) throw error;
          checked = { status: 'rejected', error };
        }
        const item: UploadItem = { id: `upload-${nextId++}`, file, name: file.name, sizeInBytes: file.size, bytesSent: 0, attempt: 0, ...checked };
        return { item, bytesSent: 0 };
      });
      entries.push(...added);
      changed();
      // Slots first, as in settle: a throwing callback cannot leave the accepted files queued.
      pump();
      for (const { item } of added) if (item.error) options.onError?.(item.error, item);
      return added.map((entry) => entry.item);
    },
    cancel(id) {
      const entry = find(id);
      // Once Complete is sent the file may already be attached, and a scanning one is: nothing left to cancel, and
      // "cancelled" could be untrue (remove still stops the run).
      if (entry && !/^(completing|scanning|done|failed|rejected|cancelled)$/.test(entry.item.status)) {
        stop(entry);
        settle(entry, { status: 'cancelled', retryAt: undefined });
      }
    },
    retry(id) {
      const entry = find(id);
      // Failed and cancelled items have no attachment and no retryAt left to clear.
      if (entry && /^(failed|cancelled)$/.test(entry.item.status)) {
        entry.bytesSent = 0;
        settle(entry, { status: 'queued', attempt: 0, error: undefined });
      }
    },
    remove(id) {
      const entry = find(id);
      if (!entry) return;
      stop(entry);
      entries = entries.filter((candidate) => candidate !== entry);
      changed();
      pump();
    },
    setOptions(patch) {
      options = { ...options, ...patch };
      pump();
    },
    destroy() {
      destroyed = true;
      entries.forEach(stop);
      listeners.clear();
      clock.clearTimeout(flushTimer);
    },
  };
}
