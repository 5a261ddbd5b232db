import { CONNECT_ALLOWED_TYPES, CONNECT_DEFAULT_MAX_FILE_SIZE_BYTES, CONNECT_MAX_NAME_LENGTH } from './allowed-types';
import { UploadError, type UploadErrorCode } from './errors';
import type { PutFunction } from './put';
import type { ScanOutcome } from './scan';
import { cancelledError, sleep, systemClock, type Clock } from './time';
import type {
  AttachmentClient,
  AttachmentDownload,
  AttachmentId,
  CompleteUploadRequest,
  RequestOptions,
  StartUploadRequest,
  UploadTarget,
} from './types';

/**
 * A deterministic, network-free stand-in for Connect and S3 — for Storybook, component tests and hosts' own tests.
 * It keeps Connect's rules (a ClientToken repeats its first reply; Complete only after a full PUT of the announced
 * size; URLs expire) and lets a test or story script failures and freeze any phase.
 */
export interface MemoryBackendOptions {
  /** Drives latency, transfer and URL expiry. Default: the system clock. */
  clock?: Clock;
  /** Simulated upload speed. Default 1 MiB/s. */
  bytesPerSecond?: number;
  /** Life of each presigned URL. Default 300 s. */
  urlExpirySeconds?: number;
  /** Time Start, Complete and GetAttachment take to answer. Default 50 ms. */
  latencyMs?: number;
  /** How often a PUT reports progress. Default 100 ms. */
  progressIntervalMs?: number;
  /** Largest accepted AttachmentSizeInBytes. Default Connect's 20 MiB. */
  maxFileSizeBytes?: number;
  /** How long a completed file stays PROCESSING (the malware scan) before its outcome. Default 0. */
  scanMs?: number;
  /** The scan's verdict on a completed file. Default: APPROVED. */
  scanOutcome?: (attachment: MemoryAttachment) => ScanOutcome;
}

export type MemoryOperation = 'start' | 'put' | 'complete';

/** A scripted misbehaviour; each applies to the next `count` calls (default 1; `Infinity` for all). */
export type MemoryFault =
  /** Fail with `error` (a bare code gets a stock message); a PUT first sends `afterBytes` (default 0). */
  | { kind: 'fail'; operation: MemoryOperation; error: UploadError | UploadErrorCode; count?: number; afterBytes?: number }
  /** A PUT stops sending after `afterBytes`; the PUT's `stallTimeoutMs` (default 30 s) ends it as `stalled`. */
  | { kind: 'stall'; count?: number; afterBytes?: number }
  /** A PUT is answered as S3 answers an expired URL (403 AccessDenied "Request has expired"). */
  | { kind: 'expire'; count?: number }
  /** Never answer (a PUT after sending `afterBytes`) until aborted: a phase frozen for a story. */
  | { kind: 'hold'; operation: MemoryOperation; count?: number; afterBytes?: number };

export interface MemoryAttachment {
  attachmentId: AttachmentId;
  name: string;
  sizeInBytes: number;
  contentType: string;
  /** A PUT of the full announced size succeeded. */
  uploaded: boolean;
  completed: boolean;
}

/** One request as the backend received it, in order. */
export interface MemoryCall {
  operation: MemoryOperation;
  at: number;
  clientToken?: string;
  attachmentId?: AttachmentId;
}

export interface MemoryBackend {
  /** kind `memory`. */
  client: AttachmentClient;
  /** "Uploads" by advancing progress on the clock; honours abort and the stall timeout. */
  put: PutFunction;
  attachments(): readonly MemoryAttachment[];
  calls(): readonly MemoryCall[];
  inject(fault: MemoryFault): void;
  clearFaults(): void;
}

interface StoredAttachment extends MemoryAttachment {
  url: string;
  urlExpiry: number;
  completeToken?: string;
  /** When the scan of the completed file decides. */
  scannedAt?: number;
}

const DEFAULT_STALL_TIMEOUT_MS = 30_000;

export function createMemoryBackend(options: MemoryBackendOptions = {}): MemoryBackend {
  const clock = options.clock ?? systemClock;
  const bytesPerSecond = options.bytesPerSecond ?? 1024 * 1024;
  const urlExpiryMs = (options.urlExpirySeconds ?? 300) * 1000;
  const latencyMs = options.latencyMs ?? 50;
  const tickMs = options.progressIntervalMs ?? 100;
  const maxFileSizeBytes = options.maxFileSizeBytes ?? CONNECT_DEFAULT_MAX_FILE_SIZE_BYTES;
  const scanMs = options.scanMs ?? 0;
  const scanOutcome = options.scanOutcome ?? (() => 'APPROVED');
  const allowedMimes = new Set(CONNECT_ALLOWED_TYPES.map((type) => type.mime));

  const stored = new Map<AttachmentId, StoredAttachment>();
  const byUrl = new Map<string, StoredAttachment>();
  const starts = new Map<string, { request: StartUploadRequest; target: UploadTarget }>();
  const faults: { fault: MemoryFault; remaining: number }[] = [];
  const log: MemoryCall[] = [];
  let nextId = 1;

  const takeFault = (operation: MemoryOperation): MemoryFault | undefined => {
    const index = faults.findIndex(({ fault }) => ('operation' in fault ? fault.operation : 'put') === operation);
    const entry = faults[index];
    if (!entry) return undefined;
    entry.remaining -= 1;
    if (entry.remaining <= 0) faults.splice(index, 1);
    return entry.fault;
  };

  /** Waits the API latency, then plays a scripted fault if there is one. */
  const answer = async (operation: MemoryOperation, signal: AbortSignal | undefined): Promise<void> => {
    const fault = takeFault(operation);
    await sleep(latencyMs, clock, signal);
    if (fault?.kind === 'hold') await untilAborted(signal);
    if (fault?.kind === 'fail') throw asError(fault.error);
  };

  const startUpload = async (request: StartUploadRequest, { signal }: RequestOptions = {}): Promise<UploadTarget> => {
    log.push({ operation: 'start', at: clock.now(), clientToken: request.clientToken });
    await answer('start', signal);
    const previous = starts.get(request.clientToken);
    if (previous) {
      if (!sameRequest(previous.request, request)) {
        throw validationError('The ClientToken was already used with different parameters.');
      }
      return previous.target;
    }
    checkStartRequest(request, maxFileSizeBytes, allowedMimes);
    const attachmentId = `memory-attachment-${nextId++}`;
    const target: UploadTarget = {
      attachmentId,
      url: `https://memory.invalid/attachments/${attachmentId}`,
      urlExpiry: clock.now() + urlExpiryMs,
      headersToInclude: {
        'Content-Type': request.contentType,
        'Content-Length': String(request.sizeInBytes),
        'Content-Disposition': `attachment; filename="${request.name.replace(/["\\]/g, '_')}"`,
        'x-amz-acl': 'bucket-owner-full-control',
      },
    };
    const attachment: StoredAttachment = {
      attachmentId,
      name: request.name,
      sizeInBytes: request.sizeInBytes,
      contentType: request.contentType,
      uploaded: false,
      completed: false,
      url: target.url,
      urlExpiry: target.urlExpiry,
    };
    stored.set(attachmentId, attachment);
    byUrl.set(target.url, attachment);
    starts.set(request.clientToken, { request: { ...request }, target });
    return target;
  };

  const completeUpload = async (request: CompleteUploadRequest, { signal }: RequestOptions = {}): Promise<void> => {
    log.push({ operation: 'complete', at: clock.now(), clientToken: request.clientToken, attachmentId: request.attachmentId });
    await answer('complete', signal);
    const attachment = stored.get(request.attachmentId);
    if (!attachment) throw validationError('No such attachment.');
    if (attachment.completed) {
      if (attachment.completeToken === request.clientToken) return;
      throw new UploadError('conflict', 'The attachment was already completed.', {
        status: 409,
        serverCode: 'ConflictException',
      });
    }
    if (!attachment.uploaded) throw validationError('The file was not uploaded.');
    attachment.completed = true;
    attachment.completeToken = request.clientToken;
    attachment.scannedAt = clock.now() + scanMs;
  };

  const getAttachment = async (
    attachmentId: AttachmentId,
    { signal, urlExpiryInSeconds = 300 }: RequestOptions & { urlExpiryInSeconds?: number } = {},
  ): Promise<AttachmentDownload> => {
    await sleep(latencyMs, clock, signal);
    const attachment = stored.get(attachmentId);
    if (!attachment?.completed) throw validationError('No such attachment.');
    const status = clock.now() < (attachment.scannedAt ?? 0) ? 'PROCESSING' : scanOutcome(publicView(attachment));
    // As Connect: a download URL only for an approved file.
    if (status !== 'APPROVED') return { sizeInBytes: attachment.sizeInBytes, status };
    return {
      url: `https://memory.invalid/downloads/${attachmentId}`,
      urlExpiry: clock.now() + urlExpiryInSeconds * 1000,
      sizeInBytes: attachment.sizeInBytes,
      status,
    };
  };

  const put: PutFunction = (target, body, putOptions = {}) =>
    new Promise<void>((resolve, reject) => {
      const { signal, onProgress } = putOptions;
      const attachment = byUrl.get(target.url);
      log.push({ operation: 'put', at: clock.now(), ...(attachment ? { attachmentId: attachment.attachmentId } : {}) });
      if (signal?.aborted) {
        reject(cancelledError());
        return;
      }
      const fault = takeFault('put');
      let handle: unknown;
      const finish = (error?: UploadError) => {
        clock.clearTimeout(handle);
        signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve();
      };
      const onAbort = () => finish(cancelledError());
      signal?.addEventListener('abort', onAbort, { once: true });

      // What S3 checks before reading the body: the URL, its expiry, the signed Content-Length.
      const refusal =
        fault?.kind === 'expire'
          ? expiredError()
          : !attachment
            ? new UploadError('upload-failed', 'No such upload URL.', { status: 404, serverCode: 'NoSuchKey' })
            : clock.now() >= attachment.urlExpiry
              ? expiredError()
              : body.size !== attachment.sizeInBytes
                ? new UploadError('signature-mismatch', 'The body length differs from the signed Content-Length.', {
                    status: 403,
                    serverCode: 'SignatureDoesNotMatch',
                  })
                : undefined;
      const stopAt = refusal ? 0 : fault && fault.kind !== 'expire' ? Math.min(fault.afterBytes ?? 0, body.size) : body.size;
      let ticks = 0;
      let sent = 0;
      const tick = () => {
        ticks += 1;
        const next = Math.min(stopAt, Math.floor((ticks * tickMs * bytesPerSecond) / 1000));
        if (next > sent) {
          sent = next;
          onProgress?.(sent);
        }
        if (sent < stopAt) {
          handle = clock.setTimeout(tick, tickMs);
        } else if (refusal) {
          finish(refusal);
        } else if (fault?.kind === 'fail') {
          finish(asError(fault.error));
        } else if (fault?.kind === 'stall') {
          const stallTimeoutMs = putOptions.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
          handle = clock.setTimeout(
            () => finish(new UploadError('stalled', `No upload progress for ${stallTimeoutMs} ms.`)),
            stallTimeoutMs,
          );
        } else if (!fault && attachment) {
          attachment.uploaded = true;
          finish();
        }
        // A held PUT just waits for its abort.
      };
      handle = clock.setTimeout(tick, tickMs);
    });

  return {
    client: { kind: 'memory', startUpload, completeUpload, getAttachment },
    put,
    attachments: () => [...stored.values()].map(publicView),
    calls: () => [...log],
    inject: (fault) => {
      faults.push({ fault, remaining: fault.count ?? 1 });
    },
    clearFaults: () => {
      faults.length = 0;
    },
  };
}

function publicView({ attachmentId, name, sizeInBytes, contentType, uploaded, completed }: StoredAttachment): MemoryAttachment {
  return { attachmentId, name, sizeInBytes, contentType, uploaded, completed };
}

function checkStartRequest(request: StartUploadRequest, maxFileSizeBytes: number, allowedMimes: ReadonlySet<string>): void {
  const nameLength = [...request.name].length;
  if (nameLength < 1 || nameLength > CONNECT_MAX_NAME_LENGTH) throw validationError('AttachmentName must have 1..256 characters.');
  if (!Number.isInteger(request.sizeInBytes) || request.sizeInBytes < 1) {
    throw validationError('AttachmentSizeInBytes must be at least 1.');
  }
  if (request.sizeInBytes > maxFileSizeBytes) throw validationError('The attachment is larger than the instance allows.');
  if (!allowedMimes.has(request.contentType)) throw validationError('The ContentType is not supported.');
  if (request.clientToken.length < 1 || request.clientToken.length > 500) {
    throw validationError('ClientToken must have 1..500 characters.');
  }
}

function sameRequest(a: StartUploadRequest, b: StartUploadRequest): boolean {
  return a.name === b.name && a.sizeInBytes === b.sizeInBytes && a.contentType === b.contentType;
}

function validationError(message: string): UploadError {
  return new UploadError('validation', message, { status: 400, serverCode: 'ValidationException' });
}

function expiredError(): UploadError {
  return new UploadError('url-expired', 'Request has expired', { status: 403, serverCode: 'AccessDenied' });
}

function asError(error: UploadError | UploadErrorCode): UploadError {
  return typeof error === 'string' ? new UploadError(error, `Scripted ${error} failure.`) : error;
}

/** Never resolves; rejects with `cancelled` when the signal aborts (forever without one: a frozen phase). */
function untilAborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise<never>((_, reject) => {
    if (signal?.aborted) reject(cancelledError());
    signal?.addEventListener('abort', () => reject(cancelledError()), { once: true });
  });
}
