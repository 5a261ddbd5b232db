import { UploadError } from './errors';
import { putFile, type PutFunction } from './put';
import {
  DEFAULT_RETRY_POLICY,
  decideApiRetry,
  decidePutRetry,
  urlValidForAttempt,
  type RetryPolicy,
} from './retry-policy';
import { abortable, cancelledError, nextTask, sleep, systemClock, type Clock, type Random } from './time';
import type {
  AttachmentClient,
  ClientToken,
  CompleteUploadRequest,
  RequestOptions,
  StartUploadRequest,
  UploadedAttachment,
  UploadTarget,
} from './types';
import { checkFile, resolveRules, validateFile, type CheckedFile, type ResolvedRules } from './validate';

export type UploadPhase = 'checking' | 'starting' | 'uploading' | 'retrying' | 'refreshing' | 'completing';

/**
 * What the pipeline reports while it works. `attempt` is the 1-based try of the step in progress: Start tries
 * while starting, PUT tries (counted across URLs) while uploading or refreshing, Complete tries while completing;
 * while retrying, the try about to be made. `retryAt` (epoch ms, injected clock) is set while waiting before a
 * retry or a refresh, and `error` is the failure that caused the wait.
 */
export type UploadEvent =
  | { type: 'phase'; phase: UploadPhase; attempt: number; retryAt?: number; error?: UploadError }
  | { type: 'checked'; file: CheckedFile };

/** The two Connect calls, replaceable so the React layer can route them through react-query mutations. */
export interface UploadOperations {
  startUpload(client: AttachmentClient, request: StartUploadRequest, options: RequestOptions): Promise<UploadTarget>;
  completeUpload(client: AttachmentClient, request: CompleteUploadRequest, options: RequestOptions): Promise<void>;
}

export interface UploadAttachmentOptions {
  client: AttachmentClient;
  /** Default: `resolveRules()` (Connect's allow-list and default size limit). */
  rules?: ResolvedRules;
  signal?: AbortSignal;
  clock?: Clock;
  random?: Random;
  retryPolicy?: Partial<RetryPolicy>;
  /** Default: `putFile` (axios PUT to the presigned URL). */
  put?: PutFunction;
  /** Default: call the client directly. */
  operations?: Partial<UploadOperations>;
  /** Default: `crypto.randomUUID()`. */
  createClientToken?: () => ClientToken;
  onEvent?: (event: UploadEvent) => void;
  /**
   * Bytes of the file known to be sent by the current PUT; back to 0 when a new PUT starts. A plain number, not
   * an event object: it comes many times a second. Must be cheap.
   */
  onProgress?: (bytesSent: number) => void;
}

/**
 * Checks a file, starts an attachment upload, PUTs the file to the presigned URL and completes the upload.
 * Transient failures are retried as the retry policy decides: Start and Complete with the same ClientToken, the
 * PUT on the same URL while it stays valid, else with a fresh URL from a new Start (new ClientToken; the
 * abandoned attachment is simply never completed). Complete is only ever called after a successful PUT.
 * Always rejects with an `UploadError`; with code `cancelled` as soon as `signal` aborts.
 */
export async function uploadAttachment(
  file: Blob & { name: string },
  options: UploadAttachmentOptions,
): Promise<UploadedAttachment> {
  const {
    client,
    signal,
    clock = systemClock,
    random = Math.random,
    put = putFile,
    createClientToken = () => crypto.randomUUID(),
    onEvent,
    onProgress: report,
  } = options;
  const {
    startUpload = (client, request, requestOptions) => client.startUpload(request, requestOptions),
    completeUpload = (client, request, requestOptions) => client.completeUpload(request, requestOptions),
  }: Partial<UploadOperations> = options.operations ?? {};
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retryPolicy };
  /**
   * Once the signal aborted, any failure is the cancellation. Foreign errors are wrapped without their `cause`:
   * it may be an axios error, which holds the request headers (and with them the ConnectionToken).
   */
  const failure = (caught: unknown): UploadError =>
    signal?.aborted
      ? cancelledError()
      : caught instanceof UploadError
        ? caught
        : new UploadError('upload-failed', `Unexpected failure (${caught instanceof Error ? caught.name : typeof caught}).`);
  const emit = (phase: UploadPhase, attempt: number, retryAt?: number, error?: UploadError) =>
    onEvent?.({ type: 'phase', phase, attempt, retryAt, error });
  /** Tells when the next try happens and why, then waits for it. */
  const pause = (phase: UploadPhase, attempt: number, delayMs: number, error: UploadError, pauseSignal = signal) => {
    emit(phase, attempt, clock.now() + delayMs, error);
    return sleep(delayMs, clock, pauseSignal);
  };

  /**
   * Runs a Start or Complete request, retrying it with the same ClientToken while the policy allows. A refresh
   * reports the PUT attempt it fetches a URL for, waits included: to the person watching, it is still the refresh.
   */
  const callApi = async <R, T>(
    phase: UploadPhase,
    operation: (client: AttachmentClient, request: R, requestOptions: RequestOptions) => Promise<T>,
    request: R,
    refreshFor?: number,
    callSignal = signal,
  ): Promise<T> => {
    for (let tries = 1; ; tries++) {
      emit(phase, refreshFor ?? tries);
      try {
        return await abortable(operation(client, request, { signal: callSignal }), callSignal);
      } catch (caught) {
        const error = failure(caught);
        const delayMs = decideApiRetry(error, tries, random, policy);
        if (delayMs === undefined) throw error;
        await pause(refreshFor ? phase : 'retrying', refreshFor ?? tries + 1, delayMs, error, callSignal);
      }
    }
  };

  try {
    // Reported before the first await: the queue shows `checking` as soon as it starts an upload.
    emit('checking', 1);
    const rules = options.rules ?? resolveRules();
    // The cheap checks (size, name, extension) throw here, before any request.
    const checked = checkFile(file, rules);
    // Start and the result carry the file's name, size and type; the extension was only for the checks.
    const { extension, ...described } = checked;
    const start = (refreshFor?: number, startSignal?: AbortSignal): Promise<UploadTarget> => {
      const request: StartUploadRequest = { ...described, clientToken: createClientToken() };
      return callApi(refreshFor ? 'refreshing' : 'starting', startUpload, request, refreshFor, startSignal);
    };

    // The content check (reading the file's head takes a few ms) runs while the first Start is in flight: the
    // extension already gives Start its ContentType. Not a byte of the file is sent before both succeeded; a
    // mismatch stops the Start, and an upload it may have begun is never completed (so never attached). It begins
    // in the next task: starting the read (~1 ms on a slow machine) would otherwise hold back the Start request.
    const mismatch = new AbortController();
    const contentChecked = abortable(nextTask(), signal)
      .then(() => validateFile(file, rules, { signal }))
      .then(
        (file) => onEvent?.({ type: 'checked', file }),
        (error: unknown) => {
          mismatch.abort();
          throw error;
        },
      );
    let [, target] = await Promise.all([
      contentChecked,
      start(undefined, AbortSignal.any([mismatch.signal, ...(signal ? [signal] : [])])),
    ]);
    let urlRefreshes = 0;
    let measuredBytesPerSecond: number | undefined;

    for (let putAttempts = 1; ; putAttempts++) {
      emit('uploading', putAttempts);
      const startedAt = clock.now();
      let sent = 0;
      let lastProgressAt = startedAt;
      let live = true;
      const onProgress = (bytes: number) => {
        // A PUT that was given up on may still report; only the current attempt speaks.
        if (live && bytes !== sent) {
          sent = bytes;
          lastProgressAt = clock.now();
          report?.(bytes);
        }
      };
      report?.(0);
      // The failure, or nothing after a good PUT (its last bytes reported, if the PUT did not).
      const error = await abortable(put(target, file, { signal, onProgress, clock }), signal).then(
        () => onProgress(described.sizeInBytes),
        failure,
      );
      live = false;
      if (!error) break;

      // Time to the last progress, not to the failure: a stall says nothing about the link's speed. Windows under
      // 500 ms say more about event timing than about the link.
      const elapsedMs = lastProgressAt - startedAt;
      if (elapsedMs >= 500) measuredBytesPerSecond = (sent * 1000) / elapsedMs;
      const url = { urlExpiry: target.urlExpiry, bytesToSend: described.sizeInBytes, measuredBytesPerSecond };
      const decision = decidePutRetry({ ...url, error, putAttempts, urlRefreshes, now: clock.now(), random }, policy);
      if (!decision) throw error;
      await pause(decision.phase, putAttempts + 1, decision.delayMs, error);
      // A retry checks the URL again: the wait may have outlived it (a suspended device, a late timer). A refresh
      // decided by the policy is within its bound; one forced by that check may not be.
      if (decision.phase === 'refreshing' || !urlValidForAttempt({ ...url, now: clock.now() }, policy)) {
        if (urlRefreshes++ >= policy.maxUrlRefreshes) throw error;
        target = await start(putAttempts + 1);
      }
    }

    const { attachmentId } = target;
    await callApi('completing', completeUpload, { attachmentId, clientToken: createClientToken() });
    return { attachmentId, ...described };
  } catch (caught) {
    throw failure(caught);
  }
}
