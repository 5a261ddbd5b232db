import type { QueryClient } from '@tanstack/react-query';
import {
  useCallback,
  useEffect,
  useMemo,
  useReducer,
  useRef,
  useState,
  useSyncExternalStore,
  type ChangeEvent,
  type ClipboardEvent,
  type DragEvent,
  type MouseEvent,
} from 'react';
import type { UploadError } from '../core/errors';
import type { PutFunction } from '../core/put';
import {
  createUploadQueue,
  isInProgress,
  isWaiting,
  type UploadItem,
  type UploadQueue,
  type UploadQueueOptions,
  type UploadStatus,
} from '../core/queue';
import type { RetryPolicy } from '../core/retry-policy';
import { nextTask, systemClock, type Clock, type Random } from '../core/time';
import type { AttachmentClient, ClientToken, UploadedAttachment } from '../core/types';
import { acceptAttribute, resolveRules, type FileRules, type ResolvedRules } from '../core/validate';
import { folderPlaceholder } from './folders';
import { displayName } from './format';
import {
  describeItemError,
  describeScan,
  mergeMessages,
  type AttachmentUploaderMessages,
  type AttachmentUploaderMessagesOverride,
} from './messages';
import { useMutationOperations } from './mutations';

export interface UseAttachmentUploaderOptions extends FileRules {
  client: AttachmentClient;
  /** Several files per drop, paste or pick. Default true; when false only the first file is taken. */
  multiple?: boolean;
  /** Default 3 (see the queue). */
  maxConcurrentUploads?: number;
  /** Overrides of the engine's retry/expiry policy, e.g. `{ maxPutAttempts: 3 }`. */
  retryPolicy?: Partial<RetryPolicy>;
  /** Ignores drops, pastes and the picker; uploads already running go on. */
  disabled?: boolean;
  messages?: AttachmentUploaderMessagesOverride;
  /** After CompleteAttachmentUpload succeeded, once per file (with `awaitScan`, before the scan decided). */
  onUploaded?: (attachment: UploadedAttachment, item: UploadItem) => void;
  /**
   * `waitForScan`, to wait for Connect's malware scan after Complete: the row shows "scanning", then the outcome;
   * a file the scan refuses is shown as refused. Only for instances that scan attachments (see the queue).
   */
  awaitScan?: UploadQueueOptions['awaitScan'];
  /** With `awaitScan`: the scan decided, once per file; `item.scanStatus` is APPROVED, REJECTED or FAILED. */
  onScanned?: (item: UploadItem) => void;
  /** Final failures and rejections (not cancellations), once per file; `error.code` is stable. */
  onError?: (error: UploadError, file: File, item: UploadItem) => void;
  /** Default: the host's QueryClientProvider, else a QueryClient of the uploader's own. */
  queryClient?: QueryClient;
  /** Keeps a file dropped beside the zone from making the browser open it (and leave the page). Default true. */
  preventDropOnDocument?: boolean;
  /** Engine parts, for tests, stories and the in-memory backend. */
  put?: PutFunction;
  clock?: Clock;
  random?: Random;
  createClientToken?: () => ClientToken;
  progressIntervalMs?: number;
}

type Handler<E> = ((event: E) => void) | undefined;

export interface RootHandlers<E extends HTMLElement = HTMLElement> {
  onDragEnter?: Handler<DragEvent<E>>;
  onDragOver?: Handler<DragEvent<E>>;
  onDragLeave?: Handler<DragEvent<E>>;
  onDrop?: Handler<DragEvent<E>>;
  onPaste?: Handler<ClipboardEvent<E>>;
}

export interface RootProps extends Required<RootHandlers> {
  ref: (node: HTMLElement | null) => void;
}

export interface InputProps {
  ref: (node: HTMLInputElement | null) => void;
  type: 'file';
  hidden: true;
  tabIndex: -1;
  accept: string;
  multiple: boolean;
  disabled: boolean;
  onChange: (event: ChangeEvent<HTMLInputElement>) => void;
}

export interface ButtonProps {
  type: 'button';
  disabled: boolean;
  onClick: (event: MouseEvent<HTMLButtonElement>) => void;
}

export interface UseAttachmentUploaderResult {
  items: readonly UploadItem[];
  /** Byte-weighted totals over the items neither rejected nor cancelled. */
  totalBytes: number;
  bytesSent: number;
  /** Some file is being checked, uploaded or waiting for its turn. */
  isUploading: boolean;
  /** Files are being dragged over the root (drags carrying no files are ignored). */
  isDragActive: boolean;
  rules: ResolvedRules;
  /** For `<input type="file" accept>`. */
  accept: string;
  messages: AttachmentUploaderMessages;
  /**
   * How many files the latest gesture (or `addFiles`) brought beyond the one that `multiple: false` lets in; 0 when
   * none. It is also announced; show it too (the component does, with `messages.onlyOneFile`) until the next one.
   */
  leftOut: number;
  /** The latest milestones and outcomes in words, for one polite live region (the same words again end with a no-break space, so the region changes). */
  announcement: string;
  /** The clock's time at this render, for countdowns to `item.retryAt`; the hook re-renders when one changes. */
  now: number;
  addFiles(files: Iterable<File> | ArrayLike<File>): readonly UploadItem[];
  cancel(id: string): void;
  retry(id: string): void;
  remove(id: string): void;
  openFilePicker(): void;
  /** Spread on the drop zone: drag and drop and paste. Your handlers run first. */
  getRootProps<P extends RootHandlers>(props?: P): Omit<P, keyof RootProps> & RootProps;
  /**
   * Spread on the `<input type="file">` (kept hidden: the button is the control). The same object until one of
   * its values changes: an element memoized on it is not updated on progress renders.
   */
  getInputProps(): InputProps;
  /** Spread on the `<button>` that opens the picker. */
  getButtonProps(): ButtonProps;
}

type Override = AttachmentUploaderMessagesOverride | undefined;
type Entries = Record<string, unknown> | undefined;
type AnyHandler = (event: never) => void;

const ROOT_EVENTS = ['onDragEnter', 'onDragOver', 'onDragLeave', 'onDrop', 'onPaste'] as const;
const DOCUMENT_EVENTS = ['dragover', 'drop'];

/**
 * The headless uploader: a queue created once per component instance and bound with `useSyncExternalStore`,
 * Start/Complete as react-query mutations, and prop getters for a drop zone, a hidden file input and the button
 * that opens it (react-dropzone style), so hosts can draw their own UI.
 */
export function useAttachmentUploader(options: UseAttachmentUploaderOptions): UseAttachmentUploaderResult {
  const { accept, maxFileSizeBytes, multiple = true, disabled = false, preventDropOnDocument = true, clock = systemClock } = options;

  const messages = useStableMessages(options.messages);
  // By content: a host passing a new array literal on each render must not get new rules (and a re-run queue).
  const rules = useMemo(() => resolveRules({ accept, maxFileSizeBytes }), [accept?.join(), maxFileSizeBytes]);
  const acceptValue = useMemo(() => acceptAttribute(rules), [rules]);
  const operations = useMutationOperations(options.queryClient);
  // The queue picks what it needs from the hook's options; only onError has a different shape.
  const engine: UploadQueueOptions = {
    ...options,
    rules,
    operations,
    onError: (error, item) => options.onError?.(error, item.file, item),
  };

  const queue = useQueue(() => createUploadQueue(engine));
  // New options and the latest callbacks reach the queue after commit; uploads already running keep theirs.
  useEffect(() => queue.setOptions(engine));

  // The queue's methods are closures, stable for its lifetime.
  const state = useSyncExternalStore(queue.subscribe, queue.getState, queue.getState);

  const [announcement, setAnnouncement] = useAnnouncement(state.items, rules, messages);
  const now = useCountdownClock(state.items, clock);

  const [isDragActive, setDragActive] = useState(false);
  const [leftOut, setLeftOut] = useState(0);
  const rootNode = useRef<HTMLElement | null>(null);
  const inputNode = useRef<HTMLInputElement | null>(null);
  // The elements the drag has entered and not left yet: entering a child fires enter(child) before leave(parent).
  const [dragTargets] = useState(() => new Set<EventTarget>());
  const setRoot = useCallback((node: HTMLElement | null) => void (rootNode.current = node), []);

  /**
   * Files from a person's gesture: ignored while disabled; only the first when `multiple` is false. Ten at a time,
   * one task each: the queue reads each file's size, for a picked or dropped file a synchronous call to the browser
   * (~0.3 ms), and a hundred in one go would hold back the first Start requests and the handling of their replies.
   */
  const addGestureFiles = (files: readonly File[]) => {
    if (disabled || !files.length) return;
    const add = (rest: readonly File[]): void => {
      queue.add(rest.slice(0, 10));
      if (rest[10]) void nextTask().then(() => add(rest.slice(10)));
    };
    add(allowed(files));
  };

  /** The files `multiple` lets in; the others are counted and announced as left out. */
  const allowed = (files: readonly File[]): readonly File[] => {
    const kept = multiple ? files : files.slice(0, 1);
    const ignored = files.length - kept.length;
    setLeftOut(ignored);
    if (ignored) setAnnouncement(messages.onlyOneFile({ ignored }));
    return kept;
  };

  // Files the host hands over (a drop or paste on its own chat input) are a person's gesture too: the same rules.
  const addFiles = useCallback(
    (files: Iterable<File> | ArrayLike<File>) => (disabled ? [] : queue.add(allowed(Array.from(files)))),
    [disabled, multiple, messages, queue],
  );

  /**
   * The same object until one of its values changes (what addGestureFiles reads included): a component that
   * memoizes its <input> on it spares React re-applying the input's type and name on every progress render.
   */
  const inputProps = useMemo(
    (): InputProps => ({
      ref: (node) => void (inputNode.current = node),
      type: 'file',
      hidden: true,
      tabIndex: -1,
      accept: acceptValue,
      multiple,
      disabled,
      onChange: ({ currentTarget: input }) => {
        const files = Array.from(input.files ?? []);
        // Cleared so that choosing the same file again is a change too.
        input.value = '';
        addGestureFiles(files);
      },
    }),
    [acceptValue, multiple, disabled, messages, queue],
  );

  useEffect(() => {
    if (!preventDropOnDocument) return undefined;
    // A drop target that took the event (our zone, or one of the page's own: it cancelled it) and a native file
    // input keep their drops; anywhere else the file is refused, with a "no drop" cursor, not opened in place of the page.
    const guard = (event: Event) => {
      const { dataTransfer, target } = event as globalThis.DragEvent;
      if (!hasFiles(dataTransfer) || event.defaultPrevented || (target instanceof HTMLInputElement && target.type === 'file')) return;
      event.preventDefault();
      dataTransfer.dropEffect = 'none';
    };
    for (const type of DOCUMENT_EVENTS) document.addEventListener(type, guard);
    return () => {
      for (const type of DOCUMENT_EVENTS) document.removeEventListener(type, guard);
    };
  }, [preventDropOnDocument]);

  const onDrag = (event: DragEvent<HTMLElement>) => {
    const { type, target, dataTransfer } = event;
    if (!hasFiles(dataTransfer)) return;
    if (type === 'dragleave') {
      dragTargets.delete(target);
      // A target removed from the zone meanwhile never sends its own leave.
      for (const entered of dragTargets) if (!rootNode.current?.contains(entered as Node)) dragTargets.delete(entered);
    } else {
      // Handled even while disabled, or the browser would open the dropped file in place of the page.
      event.preventDefault();
      if (type === 'dragover') {
        dataTransfer.dropEffect = disabled ? 'none' : 'copy';
        return;
      }
      if (type === 'drop') {
        dragTargets.clear();
        addGestureFiles(transferredFiles(dataTransfer));
      } else if (!disabled) dragTargets.add(target);
    }
    setDragActive(dragTargets.size > 0);
  };

  const onPaste = (event: ClipboardEvent<HTMLElement>) => {
    const { clipboardData, target } = event;
    const files = transferredFiles(clipboardData);
    // Files only: pasted text keeps its normal behaviour, even with a picture of itself (cells copied from a
    // spreadsheet come as text and a PNG) when it goes into a text field.
    if (!files.length || disabled || (clipboardData.types.includes('text/plain') && isTextField(target))) return;
    event.preventDefault();
    addGestureFiles(files);
  };

  const openFilePicker = useCallback(() => {
    if (!disabled) inputNode.current?.click();
  }, [disabled]);

  return {
    ...state,
    isUploading: state.items.some((item) => isInProgress(item.status)),
    isDragActive,
    leftOut,
    rules,
    accept: acceptValue,
    messages,
    announcement,
    now,
    addFiles,
    cancel: queue.cancel,
    retry: queue.retry,
    remove: queue.remove,
    openFilePicker,
    getRootProps: <P extends RootHandlers>(props?: P) => {
      const merged: Record<string, unknown> = { ...props, ref: setRoot };
      for (const key of ROOT_EVENTS) {
        const theirs = props?.[key] as AnyHandler | undefined;
        const ours: AnyHandler = key === 'onPaste' ? onPaste : onDrag;
        // The host's handler runs first.
        merged[key] = (event: never) => (theirs?.(event), ours(event));
      }
      return merged as Omit<P, keyof RootProps> & RootProps;
    },
    getInputProps: () => inputProps,
    getButtonProps: () => ({ type: 'button', disabled, onClick: openFilePicker }),
  };
}

/**
 * One queue per component instance, destroyed on unmount. StrictMode (and offscreen trees) run the unmount
 * cleanup and mount again with the same state: a queue destroyed that way is replaced, never reused.
 */
function useQueue(create: () => UploadQueue): UploadQueue {
  const [queue, setQueue] = useState(create);
  const destroyed = useRef<UploadQueue | null>(null);
  useEffect(() => {
    if (destroyed.current === queue) {
      setQueue(create());
      return undefined;
    }
    return () => {
      destroyed.current = queue;
      queue.destroy();
    };
    // Only a new queue matters here: the latest options reach it through setOptions.
  }, [queue]);
  return queue;
}

/** The merged messages, kept identical while the override's entries are, so memoized rows skip re-rendering. */
function useStableMessages(override: Override): AttachmentUploaderMessages {
  const cache = useRef<[Override, AttachmentUploaderMessages]>(null);
  if (!cache.current || !sameEntries(cache.current[0], override)) cache.current = [override, mergeMessages(override)];
  return cache.current[1];
}

/** Equal overrides: the same entries, `status` and `errors` compared by their own entries (undefined = absent). */
function sameEntries(a: Entries = {}, b: Entries = {}): boolean {
  return Object.keys({ ...a, ...b }).every(
    (key) => Object.is(a[key], b[key]) || (/^(status|errors)$/.test(key) && sameEntries(a[key] as Entries, b[key] as Entries)),
  );
}

/** The live region's words when an item reaches a status (a `done` item whose scan decided tells its result). */
const OUTCOMES: Partial<
  Record<UploadStatus, 'announceScanning' | 'announceDone' | 'announceFailed' | 'announceRejected' | 'announceCancelled'>
> = {
  scanning: 'announceScanning',
  done: 'announceDone',
  failed: 'announceFailed',
  rejected: 'announceRejected',
  cancelled: 'announceCancelled',
};

interface Announced {
  items: readonly UploadItem[];
  /** Per item id, the milestones already told: names, statuses, and the errors that caused a wait. */
  told: ReadonlyMap<string, ReadonlySet<unknown>>;
  text: string;
}

/**
 * Milestones and outcomes in words for the live region: started, half uploaded (a file uploading alone), waiting
 * to retry, done, failed, rejected, cancelled — each once per run, never every percent. Worked out while rendering the new items (React's
 * "information from previous renders" pattern), not in an effect: an effect's state update would cost a second
 * commit per milestone.
 */
function useAnnouncement(
  items: readonly UploadItem[],
  rules: ResolvedRules,
  messages: AttachmentUploaderMessages,
): [string, (text: string) => void] {
  const [announced, setAnnounced] = useState<Announced>(() => ({ items, told: new Map(), text: '' }));
  const announce = useCallback((text: string) => setAnnounced((previous) => ({ ...previous, text })), []);
  if (announced.items === items) return [announced.text, announce];

  const lines: string[] = [];
  const told = new Map<string, Set<unknown>>();
  const before = new Map(announced.items.map((item) => [item.id, item]));
  // "Half uploaded" is news for a file that uploads alone; said for each of several at once, it only drowns the rest.
  const alone = items.filter((item) => item.status === 'uploading').length < 2;
  for (const item of items) {
    const { status, error } = item;
    const name = displayName(item.name);
    // A retried item starts over: its milestones may be told again. It may be past `queued` by its first render (a
    // retry starts it at once), but a failed or cancelled item only changes by being retried.
    const last = before.get(item.id);
    const rerun = last !== item && /^(failed|cancelled)$/.test(last?.status ?? '');
    const said = new Set(rerun ? [] : announced.told.get(item.id));
    const tell = (milestone: unknown, text: () => string) => {
      if (!said.has(milestone)) lines.push(text());
      said.add(milestone);
    };
    // Notifications are throttled, so a fast step may never be seen: "started" is told once bytes have moved, even
    // if the item is already past uploading, and every new cause of a wait is told, even from one wait to another.
    if (/^(uploading|completing|scanning|done)$/.test(status)) tell('started', () => messages.announceStarted({ name }));
    if (status === 'uploading' && alone && item.bytesSent * 2 >= item.sizeInBytes) {
      tell('halfway', () => messages.announceHalfway({ name }));
    }
    if (isWaiting(status) && error) {
      tell(error, () => messages.announceRetrying({ name, reason: messages.retryReason(error.code) }));
    }
    const result = describeScan(item, messages);
    const outcome = OUTCOMES[status];
    if (result !== undefined) tell('scanned', () => messages.announceScanned({ name, result }));
    else if (outcome) tell(status, () => messages[outcome]({ name, reason: describeItemError(item, rules, messages) ?? '' }));
    told.set(item.id, said);
  }
  // The same words again (a retry failing alike) would not change the region, and would go unheard.
  const news = lines.join(' ');
  const text = news ? (news === announced.text ? `${news}\u00a0` : news) : announced.text;
  setAnnounced({ items, told, text });
  return [text, announce];
}

/**
 * The time for countdowns ("retrying in 3 s"): one timer for the whole list, set for the moment the first
 * displayed second changes, and only while some item waits for a retry.
 */
function useCountdownClock(items: readonly UploadItem[], clock: Clock): number {
  const [, forceRender] = useReducer((count: number) => count + 1, 0);
  const now = clock.now();
  let delay = Infinity;
  for (const { status, retryAt = 0 } of items) {
    if (isWaiting(status) && retryAt > now) delay = Math.min(delay, (retryAt - now) % 1000 || 1000);
  }
  // Set again after every render (each has its own `now`), so a fired timer is followed by the next.
  useEffect(() => {
    if (delay === Infinity) return undefined;
    const handle = clock.setTimeout(forceRender, delay);
    return () => clock.clearTimeout(handle);
  }, [clock, delay, now]);
  return now;
}

function isTextField(target: EventTarget): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA)$/.test(target.tagName));
}

function hasFiles(transfer: DataTransfer | null): transfer is DataTransfer {
  return !!transfer?.types.includes('Files');
}

/** The files of a drop or paste; a folder becomes a placeholder that is refused with a clear message. */
function transferredFiles(transfer: DataTransfer | null): File[] {
  return Array.from(transfer?.items ?? []).flatMap((entry) => {
    if (entry.kind !== 'file') return [];
    const file = entry.getAsFile();
    const fsEntry = entry.webkitGetAsEntry?.();
    return fsEntry?.isDirectory ? folderPlaceholder(file?.name ?? fsEntry.name) : (file ?? []);
  });
}
