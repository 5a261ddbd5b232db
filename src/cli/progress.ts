/**
 * Progress on stderr: on a terminal one line rewritten in place; otherwise (a pipe, a CI log) a plain line
 * whenever a file's step changes, never one per progress event.
 */
import type { UploadItem, UploadQueueState, UploadStatus } from '../core/queue';

export interface TextSink {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface ProgressReporter {
  update(state: UploadQueueState): void;
  /** Takes the live line away, so what follows starts on a clean line. */
  finish(): void;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB'] as const;

/**
 * Sizes for a terminal and its logs: IEC units and a fixed decimal, not locale-aware. Deliberately not the
 * component's formatBytes (src/react/format.ts), which writes "MB" as Connect's documentation does, in the
 * reader's locale.
 */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${UNITS[unit] ?? 'B'}`;
}

// C0 and C1 controls (ESC starts terminal escape sequences) and bidi marks, overrides and isolates, which can make a
// file name read as another on screen (the same set as the component's displayName).
// File names and server messages are shown, never obeyed.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, '\uFFFD');
}

function seconds(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
}

/** One file's current step in words, or undefined for steps not worth a line of their own. */
function describe(item: UploadItem, now: number): string | undefined {
  const reason = item.error ? `: ${item.error.message}` : '';
  const wait = item.retryAt === undefined ? '' : ` in ${seconds(item.retryAt - now)}`;
  switch (item.status) {
    case 'starting':
    case 'completing':
      return item.status;
    case 'uploading':
      return item.attempt > 1 ? `uploading (attempt ${item.attempt})` : 'uploading';
    case 'retrying':
      return `retrying${wait} (attempt ${item.attempt})${reason}`;
    case 'refreshing':
      return `asking for a fresh upload URL${wait}${reason}`;
    case 'done':
      return `uploaded as ${item.attachment?.attachmentId ?? '?'}`;
    default:
      // queued and checking say nothing new; failures are reported once, at the end, by the caller.
      return undefined;
  }
}

export function createProgressReporter(sink: TextSink, now: () => number = Date.now): ProgressReporter {
  return sink.isTTY ? liveLine(sink, now) : plainLines(sink, now);
}

function plainLines(sink: TextSink, now: () => number): ProgressReporter {
  const said = new Map<string, string>();
  return {
    update(state) {
      for (const item of state.items) {
        const text = describe(item, now());
        // Keyed by step, not text: a countdown that moved on is not a new step.
        const step = `${item.status}/${item.attempt}/${item.error?.message ?? ''}`;
        if (text === undefined || said.get(item.id) === step) continue;
        said.set(item.id, step);
        sink.write(`${terminalSafe(`${item.name}: ${text}`)}\n`);
      }
    },
    finish() {},
  };
}

const ACTIVE: ReadonlySet<UploadStatus> = new Set<UploadStatus>(['checking', 'starting', 'uploading', 'retrying', 'refreshing', 'completing']);
const CLEAR_LINE = '\r\x1b[2K';

function liveLine(sink: TextSink, now: () => number): ProgressReporter {
  let shown = '';
  return {
    update(state) {
      const files = state.items.filter((item) => item.status !== 'rejected' && item.status !== 'cancelled');
      const done = files.filter((item) => item.status === 'done').length;
      const percent = state.totalBytes === 0 ? 100 : Math.floor((state.bytesSent * 100) / state.totalBytes);
      const active = state.items.find((item) => ACTIVE.has(item.status));
      const step = active === undefined ? undefined : (describe(active, now()) ?? active.status);
      const summary = `Uploading: ${done} of ${files.length} files, ${formatBytes(state.bytesSent)} of ${formatBytes(state.totalBytes)} (${percent}%)`;
      const line = terminalSafe(active === undefined ? summary : `${summary} · ${active.name}: ${step}`);
      // Longer than the terminal is wide, the line would wrap and \r would no longer reach its start.
      const width = Math.max(20, (sink.columns || 80) - 1);
      const fitted = [...line].length > width ? `${[...line].slice(0, width - 1).join('')}…` : line;
      if (fitted === shown) return;
      shown = fitted;
      sink.write(`${CLEAR_LINE}${fitted}`);
    },
    finish() {
      if (shown !== '') sink.write(CLEAR_LINE);
      shown = '';
    },
  };
}
