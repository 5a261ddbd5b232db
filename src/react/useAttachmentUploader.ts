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
  /** After CompleteAttachmentUpload succeeded, once per file. */
  onUploaded?: (attachment: UploadedAttachment, item: UploadItem) => void;
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

const WAITING: ReadonlySet<UploadStatus> = new Set<UploadStatus>(['retrying', 'refreshing']);
const IN_PROGRESS: ReadonlySet<UploadStatus> = new Set<UploadStatus>([
  'queued',
  'checking',
  'starting',
  'uploading',
  'retrying',
  'refreshing',
  'completing',
]);

type EngineOptions = Omit<UploadQueueOptions, 'onUploaded' | 'onError'>;

/**
 * The headless uploader: a queue created once per component instance and bound with `useSyncExternalStore`,
 * Start/Complete as react-query mutations, and prop getters for a drop zone, a hidden file input and the button
 * that opens it (react-dropzone style), so hosts can draw their own UI.
 */
export function useAttachmentUploader(options: UseAttachmentUploaderOptions): UseAttachmentUploaderResult {
  const {
    client,
    accept,
    maxFileSizeBytes,
    multiple = true,
    disabled = false,
    preventDropOnDocument = true,
    clock = systemClock,
  } = options;

  const messages = useStableMessages(options.messages);
  const acceptKey = accept?.join('\n');
  const rules = useMemo(
    () => resolveRules({ accept: acceptKey ? acceptKey.split('\n') : undefined, maxFileSizeBytes }),
    [acceptKey, maxFileSizeBytes],
  );
  const operations = useMutationOperations(options.queryClient);
  const engine = definedOnly<EngineOptions>({
    client,
    rules,
    operations,
    retryPolicy: options.retryPolicy,
    maxConcurrentUploads: options.maxConcurrentUploads,
    put: options.put,
    clock: options.clock,
    random: options.random,
    createClientToken: options.createClientToken,
    progressIntervalMs: options.progressIntervalMs,
  });

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
    }),
  );

  // Options from new props go to the queue after commit, and only those that changed.
  const applied = useRef<{ queue: UploadQueue; engine: EngineOptions } | null>(null);
  useEffect(() => {
    if (applied.current?.queue === queue) {
      const patch = changedOptions(applied.current.engine, engine);
      if (patch) queue.setOptions(patch);
    }
    applied.current = { queue, engine };
  });

  const subscribe = useCallback((listener: () => void) => queue.subscribe(listener), [queue]);
  const getState = useCallback(() => queue.getState(), [queue]);
  const state = useSyncExternalStore(subscribe, getState, getState);

  const [announcement, setAnnouncement] = useState('');
  useAnnouncements(state.items, rules, messages, setAnnouncement);
  const now = useCountdownClock(state.items, clock);

  const [isDragActive, setDragActive] = useState(false);
  const rootNode = useRef<HTMLElement | null>(null);
  const inputNode = useRef<HTMLInputElement | null>(null);
  const dragTargets = useRef<EventTarget[]>([]);

  /** Files from a person's gesture: ignored while disabled; only the first when `multiple` is false. */
  const addGestureFiles = useCallback(
    (files: readonly File[]) => {
      const { multiple: several, disabled: off, messages: words } = latest.current;
      if (off || files.length === 0) return;
      if (!several && files.length > 1) setAnnouncement(words.onlyOneFile({ ignored: files.length - 1 }));
      queue.add(several ? files : files.slice(0, 1));
    },
    [queue],
  );

  useEffect(() => {
    if (!preventDropOnDocument) return undefined;
    const guard = (event: globalThis.DragEvent) => {
      const target = event.target instanceof Node ? event.target : null;
      if (!hasFiles(event.dataTransfer) || rootNode.current?.contains(target)) return;
      event.preventDefault();
    };
    document.addEventListener('dragover', guard);
    document.addEventListener('drop', guard);
    return () => {
      document.removeEventListener('dragover', guard);
      document.removeEventListener('drop', guard);
    };
  }, [preventDropOnDocument]);

  const ownRootHandlers = useMemo<Required<RootHandlers>>(
    () => ({
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
        const root = rootNode.current;
        dragTargets.current = dragTargets.current.filter(
          (target) => target !== event.target && target instanceof Node && root?.contains(target) === true,
        );
        if (dragTargets.current.length === 0) setDragActive(false);
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
        if (files.length === 0 || latest.current.disabled) return;
        // Files only: pasted text keeps its normal behaviour.
        event.preventDefault();
        addGestureFiles(files);
      },
    }),
    [addGestureFiles],
  );

  const setRootNode = useCallback((node: HTMLElement | null) => {
    rootNode.current = node;
  }, []);
  const setInputNode = useCallback((node: HTMLInputElement | null) => {
    inputNode.current = node;
  }, []);

  const openFilePicker = useCallback(() => {
    if (!latest.current.disabled) inputNode.current?.click();
  }, []);

  const getRootProps = useCallback(
    <P extends RootHandlers>(props?: P): Omit<P, keyof RootProps> & RootProps => {
      const own = ownRootHandlers;
      return {
        ...(props as P),
        ref: setRootNode,
        onDragEnter: chain(props?.onDragEnter, own.onDragEnter),
        onDragOver: chain(props?.onDragOver, own.onDragOver),
        onDragLeave: chain(props?.onDragLeave, own.onDragLeave),
        onDrop: chain(props?.onDrop, own.onDrop),
        onPaste: chain(props?.onPaste, own.onPaste),
      };
    },
    [ownRootHandlers, setRootNode],
  );

  const acceptValue = useMemo(() => acceptAttribute(rules), [rules]);

  const getInputProps = useCallback(
    (): InputProps => ({
      ref: setInputNode,
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
    [acceptValue, addGestureFiles, disabled, multiple, setInputNode],
  );

  const getButtonProps = useCallback(
    (): ButtonProps => ({ type: 'button', disabled, onClick: openFilePicker }),
    [disabled, openFilePicker],
  );

  const addFiles = useCallback((files: Iterable<File> | ArrayLike<File>) => queue.add(files), [queue]);
  const cancel = useCallback((id: string) => queue.cancel(id), [queue]);
  const retry = useCallback((id: string) => queue.retry(id), [queue]);
  const remove = useCallback((id: string) => queue.remove(id), [queue]);

  return {
    items: state.items,
    totalBytes: state.totalBytes,
    bytesSent: state.bytesSent,
    isUploading: state.items.some((item) => IN_PROGRESS.has(item.status)),
    isDragActive,
    rules,
    accept: acceptValue,
    messages,
    announcement,
    now,
    addFiles,
    cancel,
    retry,
    remove,
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
function useStableMessages(override: AttachmentUploaderMessagesOverride | undefined): AttachmentUploaderMessages {
  const cache = useRef<{ override: AttachmentUploaderMessagesOverride | undefined; merged: AttachmentUploaderMessages }>(
    null,
  );
  if (!cache.current || !sameOverride(cache.current.override, override)) {
    cache.current = { override, merged: mergeMessages(override) };
  }
  return cache.current.merged;
}

function sameOverride(a: AttachmentUploaderMessagesOverride | undefined, b: AttachmentUploaderMessagesOverride | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return (
    shallowEqual({ ...a, status: undefined, errors: undefined }, { ...b, status: undefined, errors: undefined }) &&
    shallowEqual(a.status ?? {}, b.status ?? {}) &&
    shallowEqual(a.errors ?? {}, b.errors ?? {})
  );
}

/**
 * Milestones and outcomes in words for the live region: started, half uploaded, waiting to retry, done, failed,
 * rejected, cancelled — never every percent.
 */
function useAnnouncements(
  items: readonly UploadItem[],
  rules: ResolvedRules,
  messages: AttachmentUploaderMessages,
  announce: (text: string) => void,
): void {
  const seen = useRef(new Map<string, { status: UploadStatus; started: boolean; halfway: boolean }>());
  useEffect(() => {
    const lines: string[] = [];
    const next = new Map<string, { status: UploadStatus; started: boolean; halfway: boolean }>();
    for (const item of items) {
      const previous = seen.current.get(item.id);
      // A retried item starts over: its milestones may be announced again.
      const fresh = item.status === 'queued';
      let started = !fresh && (previous?.started ?? false);
      let halfway = !fresh && (previous?.halfway ?? false);
      const name = displayName(item.name);
      if (previous?.status !== item.status) {
        const reason = describeItemError(item, rules, messages) ?? '';
        if (item.status === 'uploading' && !started) {
          lines.push(messages.announceStarted({ name }));
          started = true;
        } else if (WAITING.has(item.status) && !(previous && WAITING.has(previous.status))) {
          lines.push(messages.announceRetrying({ name, reason: messages.retryReason(item.error?.code) }));
        } else if (item.status === 'done') {
          lines.push(messages.announceDone({ name }));
        } else if (item.status === 'failed') {
          lines.push(messages.announceFailed({ reason }));
        } else if (item.status === 'rejected') {
          lines.push(messages.announceRejected({ reason }));
        } else if (item.status === 'cancelled') {
          lines.push(messages.announceCancelled({ name }));
        }
      }
      if (item.status === 'uploading' && !halfway && item.bytesSent * 2 >= item.sizeInBytes) {
        lines.push(messages.announceHalfway({ name }));
        halfway = true;
      }
      next.set(item.id, { status: item.status, started, halfway });
    }
    seen.current = next;
    if (lines.length > 0) announce(lines.join(' '));
  }, [items, rules, messages, announce]);
}

/**
 * The time for countdowns ("retrying in 3 s"): one timer for the whole list, set for the moment the first
 * displayed second changes, and only while some item waits for a retry.
 */
function useCountdownClock(items: readonly UploadItem[], clock: Clock): number {
  const [tick, forceRender] = useReducer((count: number) => count + 1, 0);
  const now = clock.now();
  let delay: number | undefined;
  for (const item of items) {
    if (!WAITING.has(item.status) || item.retryAt === undefined || item.retryAt <= now) continue;
    const untilNextSecond = (item.retryAt - now) % 1000 || 1000;
    delay = delay === undefined ? untilNextSecond : Math.min(delay, untilNextSecond);
  }
  useEffect(() => {
    if (delay === undefined) return undefined;
    const handle = clock.setTimeout(forceRender, delay);
    return () => clock.clearTimeout(handle);
  }, [clock, delay, items, tick]);
  return now;
}

function hasFiles(transfer: DataTransfer | null): transfer is DataTransfer {
  // `types` is a DOMStringList in old browsers: Array.from reads both.
  return transfer !== null && Array.from(transfer.types ?? []).includes('Files');
}

/** The files of a drop or paste; a folder becomes a placeholder that is refused with a clear message. */
function transferredFiles(transfer: DataTransfer | null): File[] {
  if (!transfer) return [];
  const entries = Array.from(transfer.items ?? []).filter((item) => item.kind === 'file');
  if (entries.length === 0) return Array.from(transfer.files ?? []);
  const files: File[] = [];
  for (const entry of entries) {
    const file = entry.getAsFile();
    const fsEntry = typeof entry.webkitGetAsEntry === 'function' ? entry.webkitGetAsEntry() : null;
    if (fsEntry?.isDirectory) files.push(folderPlaceholder(file?.name ?? fsEntry.name));
    else if (file) files.push(file);
  }
  return files;
}

function chain<E>(first: Handler<E>, second: (event: E) => void): (event: E) => void {
  if (!first) return second;
  return (event) => {
    first(event);
    second(event);
  };
}

function definedOnly<T extends object>(values: T): T {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as T;
}

/** The entries of `next` that differ from `previous` (retry policies compared by value), or undefined. */
function changedOptions(previous: EngineOptions, next: EngineOptions): Partial<EngineOptions> | undefined {
  const patch: Record<string, unknown> = {};
  let any = false;
  const keys = new Set([...Object.keys(previous), ...Object.keys(next)]) as Set<keyof EngineOptions>;
  for (const key of keys) {
    const [before, after] = [previous[key], next[key]];
    const same =
      key === 'retryPolicy'
        ? shallowEqual(previous.retryPolicy ?? {}, next.retryPolicy ?? {})
        : Object.is(before, after);
    if (!same) {
      patch[key] = after;
      any = true;
    }
  }
  return any ? (patch as Partial<EngineOptions>) : undefined;
}

function shallowEqual(a: object, b: object): boolean {
  const left = Object.entries(a).filter(([, value]) => value !== undefined);
  const right = new Map(Object.entries(b).filter(([, value]) => value !== undefined));
  return left.length === right.size && left.every(([key, value]) => Object.is(value, right.get(key)));
}
