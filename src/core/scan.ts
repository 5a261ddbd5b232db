/**
 * After Complete, Connect may scan the file for malware: it is PROCESSING (IN_PROGRESS on the chat side) for a
 * while, then APPROVED, REJECTED or FAILED. `waitForScan` polls GetAttachment with a growing delay until one of
 * those, so a UI can show "scanning…" and then the outcome (and a download link only for an approved file).
 */
import { UploadError } from './errors';
import { sleep, systemClock, type Clock } from './time';
import type { AttachmentClient, AttachmentDownload, AttachmentId, AttachmentStatus } from './types';

export type ScanOutcome = 'APPROVED' | 'REJECTED' | 'FAILED';

export interface WaitForScanOptions {
  signal?: AbortSignal;
  clock?: Clock;
  /** Delay before the second poll (the first is immediate); doubles each time. Default 500 ms. */
  initialDelayMs?: number;
  /** Default 5 s. */
  maxDelayMs?: number;
  /** Gives up with a 'timeout' UploadError after this long. Default 10 minutes. */
  timeoutMs?: number;
  /** Each status seen, once per change (e.g. to show "scanning…"). */
  onStatus?: (status: AttachmentStatus) => void;
  /** Passed to GetAttachment for the download URL of an approved file. */
  urlExpiryInSeconds?: number;
}

export type ScannedFile = AttachmentDownload & { status: ScanOutcome };

const OUTCOMES: ReadonlySet<string> = new Set<ScanOutcome>(['APPROVED', 'REJECTED', 'FAILED']);
/** Errors worth another poll: the scan result will still be there. */
const TRANSIENT: ReadonlySet<string> = new Set(['throttled', 'server', 'network', 'timeout']);
/** This many transient failures in a row end the wait with the last one. */
const MAX_FAILURES_IN_A_ROW = 5;

export async function waitForScan(client: AttachmentClient, fileId: AttachmentId, options: WaitForScanOptions = {}): Promise<ScannedFile> {
  const { signal, clock = systemClock, initialDelayMs = 500, maxDelayMs = 5000, timeoutMs = 600_000, onStatus, urlExpiryInSeconds } = options;
  const startedAt = clock.now();
  let delay = initialDelayMs;
  let failures = 0;
  let last: AttachmentStatus | undefined;
  for (;;) {
    let wait = delay;
    try {
      const download = await client.getAttachment(fileId, { ...(signal && { signal }), ...(urlExpiryInSeconds !== undefined && { urlExpiryInSeconds }) });
      failures = 0;
      // A client that reports no status (the chat side) hands out a URL only for an approved file.
      const status = download.status ?? (download.url === undefined ? undefined : 'APPROVED');
      if (status !== undefined && status !== last) {
        last = status;
        onStatus?.(status);
      }
      if (status !== undefined && OUTCOMES.has(status)) return { ...download, status: status as ScanOutcome };
    } catch (error) {
      if (!(error instanceof UploadError) || !TRANSIENT.has(error.code) || ++failures >= MAX_FAILURES_IN_A_ROW) throw error;
      wait = Math.max(delay, (error.details.retryAfterSeconds ?? 0) * 1000);
    }
    if (clock.now() + wait - startedAt > timeoutMs) {
      throw new UploadError('timeout', `The malware scan of the file did not finish within ${Math.round(timeoutMs / 1000)} s.`);
    }
    await sleep(wait, clock, signal);
    delay = Math.min(delay * 2, maxDelayMs);
  }
}
