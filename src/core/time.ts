import { UploadError } from './errors';

/** Time, injected so retry and coalescing logic can be tested without sleeping. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

// Date.now needs no `this`; the timer functions do (a browser throws "Illegal invocation" without it).
export const systemClock: Clock = {
  now: Date.now,
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Randomness, injected for jitter: returns a number in [0, 1). */
export type Random = () => number;

export function cancelledError(): UploadError {
  return new UploadError('cancelled', 'The upload was cancelled.');
}

/** Waits `ms` on `clock`; rejects with a `cancelled` UploadError as soon as `signal` aborts (and clears the timer). */
export function sleep(ms: number, clock: Clock, signal?: AbortSignal): Promise<void> {
  let handle: unknown;
  const elapsed = new Promise<void>((resolve) => (handle = clock.setTimeout(resolve, ms)));
  return abortable(elapsed, signal).finally(() => clock.clearTimeout(handle));
}

/** Settles with `promise`, or rejects with `cancelled` the moment `signal` aborts, whichever comes first. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelledError());
    signal.addEventListener('abort', onAbort);
    if (signal.aborted) onAbort();
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Resolves in a later task: the current one, and the microtasks it queued (a request a few promise steps from being
 * sent), run first. A message, not a timer: background tabs throttle timers to one a second, messages they do not.
 */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(undefined);
  });
}
