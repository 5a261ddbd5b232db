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
import { systemClock, type Clock, type Random } from '../core/time';
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
  /** The latest milestone or outcome in words, for one polite live region. */
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
  /** Spread on the `<input type="file">` (kept hidden: the button is the control). */
  getInputProps(): InputProps;
  /** Spread on the `<button>` that opens the picker. */
  getButtonProps(): ButtonProps;
}

type EngineOptions = Omit<UploadQueueOptions, 'onUploaded' | 'onError' | 'onScanned'>;
type Override = AttachmentUploaderMessagesOverride | undefined;
type AnyHandler = (event: never) => void;

const ROOT_EVENTS = ['onDragEnter', 'onDragOver', 'onDragLeave', 'onDrop', 'onPaste'] as const;

/**
 * The headless uploader: a queue created once per component instance and bound with `useSyncExternalStore`,
 * Start/Complete as react-query mutations, and prop getters for a drop zone, a hidden file input and the button
 * that opens it (react-dropzone style), so hosts can draw their own UI.
 */
export function useAttachmentUploader(options: UseAttachmentUploaderOptions): UseAttachmentUploaderResult {
  const { accept, maxFileSizeBytes, multiple = true, disabled = false, preventDropOnDocument = true, clock = systemClock } = options;

  const messages = useStableMessages(options.messages);
  const acceptKey = accept?.join('\n');
  const rules = useMemo(
    () => resolveRules({ accept: acceptKey?.split('\n'), maxFileSizeBytes }),
    [acceptKey, maxFileSizeBytes],
  );
  const operations = useMutationOperations(options.queryClient);
  const { client, retryPolicy, maxConcurrentUploads, put, random, createClientToken, progressIntervalMs, awaitScan } = options;
  // A new object only when an option changed, so the queue is not re-configured after every progress render.
  const engine = useMemo<EngineOptions>(
    () => ({
      client,
      rules,
      operations,
      retryPolicy,
      maxConcurrentUploads,
      put,
      clock: options.clock,
      random,
      createClientToken,
      progressIntervalMs,
      awaitScan,
    }),
    [client, rules, operations, retryPolicy, maxConcurrentUploads, put, options.clock, random, createClientToken, progressIntervalMs, awaitScan],
  );

  // The latest callbacks and values, read when events happen (the queue keeps stable wrappers).
  const latest = useRef({ options, engine, messages, multiple, disabled });
  useEffect(() => {
    latest.current = { options, engine, messages, multiple, disabled };
  });

  const queue = useQueue(() =>
    createUploadQueue({
      ...latest.current.engine,
      onUploaded: (attachment, item) => latest.current.options.onUploaded?.(attachment, item),
      onError: (error, item) => latest.current.options.onError?.(error, item.file, item),
      onScanned: (item) => latest.current.options.onScanned?.(item),
    }),
  );
  // Options from new props reach the queue after commit; uploads already running keep theirs.
  useEffect(() => queue.setOptions(engine), [queue, engine]);

  // The queue's methods are closures, stable for its lifetime.
  const state = useSyncExternalStore(queue.subscribe, queue.getState, queue.getState);

  const [announcement, setAnnouncement] = useAnnouncement(state.items, rules, messages);
  const now = useCountdownClock(state.items, clock);

  const [isDragActive, setDragActive] = useState(false);
  const rootNode = useRef<HTMLElement | null>(null);
  const inputNode = useRef<HTMLInputElement | null>(null);
  const dragTargets = useRef<EventTarget[]>([]);

  /** Files from a person's gesture: ignored while disabled; only the first when `multiple` is false. */
  const addGestureFiles = useCallback(
    (files: readonly File[]) => {
      const { multiple: several, disabled: off, messages: words } = latest.current;
      if (off || !files.length) return;
      if (!several && files.length > 1) setAnnouncement(words.onlyOneFile({ ignored: files.length - 1 }));
      queue.add(several ? files : files.slice(0, 1));
    },
    [queue, setAnnouncement],
  );

  useEffect(() => {
    if (!preventDropOnDocument) return undefined;
    const guard = (event: globalThis.DragEvent) => {
      const target = event.target instanceof Node ? event.target : null;
      if (hasFiles(event.dataTransfer) && !rootNode.current?.contains(target)) event.preventDefault();
    };
    for (const type of ['dragover', 'drop']) document.addEventListener(type, guard as EventListener);
    return () => {
      for (const type of ['dragover', 'drop']) document.removeEventListener(type, guard as EventListener);
    };
  }, [preventDropOnDocument]);

  const getRootProps = useMemo(() => {
    const own: Required<RootHandlers> = {
      onDragEnter: (event) => {
        if (!hasFiles(event.dataTransfer)) return;
        event.preventDefault();
        if (latest.current.disabled) return;
        if (!dragTargets.current.includes(event.target)) dragTargets.current.push(event.target);
        setDragActive(true);
      },
      onDragOver: (event) => {
        if (!hasFiles(event.dataTransfer)) return;
        // Handled even while disabled ('none'), or the browser would open the dropped file in place of the page.
        event.preventDefault();
        event.dataTransfer.dropEffect = latest.current.disabled ? 'none' : 'copy';
      },
      onDragLeave: (event) => {
        if (!hasFiles(event.dataTransfer)) return;
        // Entering a child fires enter(child) before leave(parent): the zone is left when no target remains.
        dragTargets.current = dragTargets.current.filter(
          (target) => target !== event.target && target instanceof Node && rootNode.current?.contains(target) === true,
        );
        if (!dragTargets.current.length) setDragActive(false);
      },
      onDrop: (event) => {
        if (!hasFiles(event.dataTransfer)) return;
        event.preventDefault();
        dragTargets.current = [];
        setDragActive(false);
        addGestureFiles(transferredFiles(event.dataTransfer));
      },
      onPaste: (event) => {
        const files = transferredFiles(event.clipboardData);
        if (!files.length || latest.current.disabled) return;
        // Files only: pasted text keeps its normal behaviour.
        event.preventDefault();
        addGestureFiles(files);
      },
    };
    const ref = (node: HTMLElement | null) => {
      rootNode.current = node;
    };
    // The host's handlers run first, then ours.
    return <P extends RootHandlers>(props?: P): Omit<P, keyof RootProps> & RootProps => {
      const merged: Record<string, unknown> = { ...props, ref };
      for (const key of ROOT_EVENTS) {
        const theirs = props?.[key] as AnyHandler | undefined;
        const ours = own[key] as AnyHandler;
        merged[key] = theirs ? (event: never) => (theirs(event), ours(event)) : ours;
      }
      return merged as Omit<P, keyof RootProps> & RootProps;
    };
  }, [addGestureFiles]);

  const acceptValue = useMemo(() => acceptAttribute(rules), [rules]);

  const openFilePicker = useCallback(() => {
    if (!latest.current.disabled) inputNode.current?.click();
  }, []);

  const getInputProps = useCallback(
    (): InputProps => ({
      ref: (node) => {
        inputNode.current = node;
      },
      type: 'file',
      hidden: true,
      tabIndex: -1,
      accept: acceptValue,
      multiple,
      disabled,
      onChange: (event) => {
        const input = event.currentTarget;
        const files = Array.from(input.files ?? []);
        // Cleared so that choosing the same file again is a change too.
        input.value = '';
        addGestureFiles(files);
      },
    }),
    [acceptValue, addGestureFiles, disabled, multiple],
  );

  const getButtonProps = useCallback(
    (): ButtonProps => ({ type: 'button', disabled, onClick: openFilePicker }),
    [disabled, openFilePicker],
  );

  return {
    ...state,
    isUploading: state.items.some((item) => isInProgress(item.status)),
    isDragActive,
    rules,
    accept: acceptValue,
    messages,
    announcement,
    now,
    addFiles: queue.add,
    cancel: queue.cancel,
    retry: queue.retry,
    remove: queue.remove,
    openFilePicker,
    getRootProps,
    getInputProps,
    getButtonProps,
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
    // `create` reads the latest options through a ref: only a new queue matters here.
  }, [queue]);
  return queue;
}

/** The merged messages, kept identical while the override's entries are, so memoized rows skip re-rendering. */
function useStableMessages(override: Override): AttachmentUploaderMessages {
  const cache = useRef<{ override: Override; merged: AttachmentUploaderMessages }>(null);
  const parts = (o: Override = {}) => [{ ...o, status: undefined, errors: undefined }, o.status ?? {}, o.errors ?? {}];
  const previous = cache.current && parts(cache.current.override);
  if (!previous || !parts(override).every((part, i) => shallowEqual(part, previous[i] ?? {}))) {
    cache.current = { override, merged: mergeMessages(override) };
  }
  return cache.current!.merged;
}

type Seen = { status: UploadStatus; started: boolean; halfway: boolean; error: UploadError | undefined };

interface Announced {
  items: readonly UploadItem[];
  seen: ReadonlyMap<string, Seen>;
  text: string;
}

/**
 * Milestones and outcomes in words for the live region: started, half uploaded, waiting to retry, done, failed,
 * rejected, cancelled — never every percent. Worked out while rendering the new items (React's "information from
 * previous renders" pattern), not in an effect: an effect's state update would cost a second commit per milestone.
 */
function useAnnouncement(
  items: readonly UploadItem[],
  rules: ResolvedRules,
  messages: AttachmentUploaderMessages,
): [string, (text: string) => void] {
  const [announced, setAnnounced] = useState<Announced>(() => ({ items, seen: new Map(), text: '' }));
  const announce = useCallback((text: string) => setAnnounced((previous) => ({ ...previous, text })), []);
  if (announced.items === items) return [announced.text, announce];

  const lines: string[] = [];
  const seen = new Map<string, Seen>();
  for (const item of items) {
    const { status } = item;
    const previous = announced.seen.get(item.id);
    // A retried item starts over: its milestones may be announced again.
    const fresh = status === 'queued';
    let started = !fresh && !!previous?.started;
    let halfway = !fresh && !!previous?.halfway;
    const name = displayName(item.name);
    // Notifications are throttled, so a fast step may never be seen: "started" is told once bytes have moved, even
    // if the item is already past uploading, and every new cause of a wait is told, even from one wait to another.
    if (/^(uploading|completing|scanning|done)$/.test(status) && !started) {
      lines.push(messages.announceStarted({ name }));
      started = true;
    }
    if (isWaiting(status) && item.error !== undefined && item.error !== previous?.error) {
      lines.push(messages.announceRetrying({ name, reason: messages.retryReason(item.error.code) }));
    } else if (previous?.status !== status) {
      const reason = describeItemError(item, rules, messages) ?? '';
      const result = describeScan(item, messages);
      if (result !== undefined) lines.push(messages.announceScanned({ name, result }));
      else if (status === 'scanning') lines.push(messages.announceScanning({ name }));
      else if (status === 'done') lines.push(messages.announceDone({ name }));
      else if (status === 'failed') lines.push(messages.announceFailed({ reason }));
      else if (status === 'rejected') lines.push(messages.announceRejected({ reason }));
      else if (status === 'cancelled') lines.push(messages.announceCancelled({ name }));
    }
    if (status === 'uploading' && !halfway && item.bytesSent * 2 >= item.sizeInBytes) {
      lines.push(messages.announceHalfway({ name }));
      halfway = true;
    }
    seen.set(item.id, { status, started, halfway, error: item.error });
  }
  const text = lines.length ? lines.join(' ') : announced.text;
  setAnnounced({ items, seen, text });
  return [text, announce];
}

/**
 * The time for countdowns ("retrying in 3 s"): one timer for the whole list, set for the moment the first
 * displayed second changes, and only while some item waits for a retry.
 */
function useCountdownClock(items: readonly UploadItem[], clock: Clock): number {
  const [tick, forceRender] = useReducer((count: number) => count + 1, 0);
  const now = clock.now();
  let delay = Infinity;
  for (const { status, retryAt } of items) {
    if (isWaiting(status) && retryAt !== undefined && retryAt > now) delay = Math.min(delay, (retryAt - now) % 1000 || 1000);
  }
  useEffect(() => {
    if (delay === Infinity) return undefined;
    const handle = clock.setTimeout(forceRender, delay);
    return () => clock.clearTimeout(handle);
  }, [clock, delay, items, tick]);
  return now;
}

function hasFiles(transfer: DataTransfer | null): transfer is DataTransfer {
  // `types` is a DOMStringList in old browsers: Array.from reads both.
  return Array.from(transfer?.types ?? []).includes('Files');
}

/** The files of a drop or paste; a folder becomes a placeholder that is refused with a clear message. */
function transferredFiles(transfer: DataTransfer | null): File[] {
  const entries = Array.from(transfer?.items ?? []).filter((item) => item.kind === 'file');
  if (!entries.length) return Array.from(transfer?.files ?? []);
  const files: File[] = [];
  for (const entry of entries) {
    const file = entry.getAsFile();
    const fsEntry = entry.webkitGetAsEntry?.();
    if (fsEntry?.isDirectory) files.push(folderPlaceholder(file?.name ?? fsEntry.name));
    else if (file) files.push(file);
  }
  return files;
}

function shallowEqual(a: object, b: object): boolean {
  const left = Object.entries(a).filter(([, value]) => value !== undefined);
  const right = new Map(Object.entries(b).filter(([, value]) => value !== undefined));
  return left.length === right.size && left.every(([key, value]) => Object.is(value, right.get(key)));
}
