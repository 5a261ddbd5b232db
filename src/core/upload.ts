import { UploadError } from './errors';
import { putFile, type PutFunction } from './put';
import {
  DEFAULT_RETRY_POLICY,
  decideApiRetry,
  decidePutRetry,
  urlValidForAttempt,
  type RetryPolicy,
} from './retry-policy';
import { abortable, cancelledError, sleep, systemClock, type Clock, type Random } from './time';
import type {
  AttachmentClient,
  ClientToken,
  CompleteUploadRequest,
  RequestOptions,
  StartUploadRequest,
  UploadedAttachment,
  UploadTarget,
} from './types';
import { resolveRules, validateFile, type CheckedFile, type ResolvedRules } from './validate';

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

const directOperations: UploadOperations = {
  startUpload: (client, request, options) => client.startUpload(request, options),
  completeUpload: (client, request, options) => client.completeUpload(request, options),
};

/** Progress windows shorter than this say more about event timing than about the link's speed. */
const MIN_THROUGHPUT_SAMPLE_MS = 500;

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
  const { signal } = options;
  try {
    return await runUpload(file, options);
  } catch (error) {
    throw signal?.aborted ? cancelledError() : toUploadError(error);
  }
}

async function runUpload(file: Blob & { name: string }, options: UploadAttachmentOptions): Promise<UploadedAttachment> {
  const { client, signal } = options;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retryPolicy };
  const put = options.put ?? putFile;
  const operations: UploadOperations = { ...directOperations, ...options.operations };
  const createClientToken = options.createClientToken ?? (() => crypto.randomUUID());
  const emit = options.onEvent ?? (() => undefined);
  const report = options.onProgress ?? (() => undefined);
  const requestOptions: RequestOptions = signal ? { signal } : {};

  /** Runs a Start or Complete request, retrying it with the same ClientToken while the policy allows. */
  const callApi = async <T>(
    phase: 'starting' | 'refreshing' | 'completing',
    putAttempt: number, // what a refresh reports as its attempt: the PUT it fetches a URL for
    send: () => Promise<T>,
  ): Promise<T> => {
    for (let tries = 1; ; tries++) {
      emit({ type: 'phase', phase, attempt: phase === 'refreshing' ? putAttempt : tries });
      try {
        return await abortable(send(), signal);
      } catch (caught) {
        const error = signal?.aborted ? cancelledError() : toUploadError(caught);
        const decision = decideApiRetry(error, tries, random, policy);
        if (decision.action === 'give-up') throw error;
        const retryAt = clock.now() + decision.delayMs;
        // Waiting inside a refresh is still the refresh, as far as the person watching is concerned.
        emit(
          phase === 'refreshing'
            ? { type: 'phase', phase, attempt: putAttempt, retryAt, error }
            : { type: 'phase', phase: 'retrying', attempt: tries + 1, retryAt, error },
        );
        await sleep(decision.delayMs, clock, signal);
      }
    }
  };

  emit({ type: 'phase', phase: 'checking', attempt: 1 });
  const checked = await abortable(validateFile(file, options.rules ?? resolveRules(), requestOptions), signal);
  emit({ type: 'checked', file: checked });

  const start = (phase: 'starting' | 'refreshing', putAttempt: number): Promise<UploadTarget> => {
    const request: StartUploadRequest = {
      name: checked.name,
      sizeInBytes: checked.sizeInBytes,
      contentType: checked.contentType,
      clientToken: createClientToken(),
    };
    return callApi(phase, putAttempt, () => operations.startUpload(client, request, requestOptions));
  };

  let target = await start('starting', 1);
  let putAttempts = 0;
  let urlRefreshes = 0;
  let measuredBytesPerSecond: number | undefined;

  for (;;) {
    putAttempts += 1;
    emit({ type: 'phase', phase: 'uploading', attempt: putAttempts });
    const attempt = { startedAt: clock.now(), bytesSent: 0, lastProgressAt: clock.now(), live: true };
    report(0);
    const onProgress = (bytesSent: number) => {
      // A PUT that was given up on may still report; only the current attempt speaks.
      if (!attempt.live || bytesSent === attempt.bytesSent) return;
      attempt.bytesSent = bytesSent;
      attempt.lastProgressAt = clock.now();
      report(bytesSent);
    };
    try {
      await abortable(put(target, file, { signal, onProgress, clock }), signal);
      attempt.live = false;
      if (attempt.bytesSent < checked.sizeInBytes) report(checked.sizeInBytes);
      break;
    } catch (caught) {
      attempt.live = false;
      const error = signal?.aborted ? cancelledError() : toUploadError(caught);
      // Time to the last progress, not to the failure: a stall says nothing about the link's speed.
      const elapsedMs = attempt.lastProgressAt - attempt.startedAt;
      if (attempt.bytesSent > 0 && elapsedMs >= MIN_THROUGHPUT_SAMPLE_MS) {
        measuredBytesPerSecond = (attempt.bytesSent * 1000) / elapsedMs;
      }
      const throughput = measuredBytesPerSecond === undefined ? {} : { measuredBytesPerSecond };
      const decision = decidePutRetry(
        {
          error,
          putAttempts,
          urlRefreshes,
          now: clock.now(),
          urlExpiry: target.urlExpiry,
          bytesToSend: checked.sizeInBytes,
          random,
          ...throughput,
        },
        policy,
      );
      if (decision.action === 'give-up') throw error;
      const retryAt = clock.now() + decision.delayMs;
      if (decision.action === 'retry') {
        emit({ type: 'phase', phase: 'retrying', attempt: putAttempts + 1, retryAt, error });
        await sleep(decision.delayMs, clock, signal);
        const stillValid = urlValidForAttempt(
          { now: clock.now(), urlExpiry: target.urlExpiry, bytesToSend: checked.sizeInBytes, ...throughput },
          policy,
        );
        if (stillValid) continue;
        // The wait outlived the URL (a suspended device, a late timer): a fresh one, if the bound allows.
        if (urlRefreshes >= policy.maxUrlRefreshes) throw error;
        urlRefreshes += 1;
      } else {
        urlRefreshes += 1;
        emit({ type: 'phase', phase: 'refreshing', attempt: putAttempts + 1, retryAt, error });
        await sleep(decision.delayMs, clock, signal);
      }
      target = await start('refreshing', putAttempts + 1);
    }
  }

  const complete: CompleteUploadRequest = { attachmentId: target.attachmentId, clientToken: createClientToken() };
  await callApi('completing', putAttempts, () => operations.completeUpload(client, complete, requestOptions));
  return {
    attachmentId: target.attachmentId,
    name: checked.name,
    sizeInBytes: checked.sizeInBytes,
    contentType: checked.contentType,
  };
}

/**
 * Foreign errors are wrapped without their `cause`: it may be an axios error, which holds the request headers
 * (and with them the ConnectionToken).
 */
function toUploadError(error: unknown): UploadError {
  if (error instanceof UploadError) return error;
  const kind = error instanceof Error ? error.name : typeof error;
  return new UploadError('upload-failed', `The upload failed unexpectedly (${kind}).`);
}
