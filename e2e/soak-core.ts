/**
 * The soak: many uploads through the real page while the emulator faults about 30 % of the PUTs in mixed ways
 * (503 SlowDown, connection resets, optionally stalls) and throttles some Starts, with short-lived URLs in every
 * other batch so failures lead to fresh URLs. Then every file is checked on the server: in the transcript once,
 * with its exact bytes in S3. Used by `npm run soak` (e2e/soak.ts) and, shorter, by e2e/soak.spec.ts.
 */
import { expect } from '@playwright/test';
import { DEFAULT_RETRY_POLICY } from '../src/core/retry-policy';
import { giveFiles, pdfFile, sha256, textFile, type Chat, type FileSpec } from './support';

export interface SoakOptions {
  uploads: number;
  /** Files dropped at once; the emulator's faults are set before each batch. Default 25. */
  batchSize?: number;
  /** Share of each batch's PUTs given a fault. Default 0.3. */
  faultRatio?: number;
  /** One stalled PUT (30 s until the watchdog gives up) in every fourth batch. Default false. */
  stalls?: boolean;
  /** Called after each batch with the uploads done so far. */
  onProgress?: (done: number, total: number) => void;
}

export interface SoakReport {
  attempted: number;
  completed: number;
  /** The customer was told it failed, even after pressing Retry with the faults off. */
  failed: number;
  /** Shown as uploaded (or never settled) but not in the transcript. */
  lost: number;
  /** In the transcript, but the page said it failed. */
  misreported: number;
  /** In the transcript more than once (or not one of the soak's files). */
  duplicated: number;
  /** In the transcript with other bytes in S3. */
  corrupted: number;
  /**
   * Files that failed during the soak and were retried by hand once the faults were off, each with what its row
   * said and the retry budget it had used: PUT attempts and fresh URLs.
   */
  retried: { name: string; error: string; puts: number; urlRefreshes: number }[];
  /** PUT attempts the page made beyond one per completed file. */
  putRetries: number;
  /** StartAttachmentUpload and CompleteAttachmentUpload repeated with the same ClientToken. */
  apiRetries: number;
  /** StartAttachmentUpload calls with a new ClientToken after the first one of a file: fresh URLs. */
  urlRefreshes: number;
  /** PUTs the emulator received, and those it faulted or refused (503, reset, stall, expired URL). */
  serverPuts: number;
  serverFaultedPuts: number;
  throttledStarts: number;
  bytes: number;
  seconds: number;
}

/** Settled rows: the uploader has nothing more to do for them. */
const SETTLED = /cau-item--(done|failed|rejected|cancelled)/;

function soakFiles(count: number): FileSpec[] {
  return Array.from({ length: count }, (_, i) => {
    const id = String(i + 1).padStart(4, '0');
    // 4 KB to ~160 KB, text, PDF and CSV in turn.
    const size = 4096 + ((i * 7919) % 160_000);
    if (i % 3 === 1) return pdfFile(`soak-${id}.pdf`, size, 1000 + i);
    return textFile(`soak-${id}.${i % 3 === 0 ? 'txt' : 'csv'}`, size, 1000 + i);
  });
}

export async function runSoak(chat: Chat, options: SoakOptions): Promise<SoakReport> {
  const { page } = chat;
  const batchSize = options.batchSize ?? 25;
  const faultRatio = options.faultRatio ?? 0.3;
  const files = soakFiles(options.uploads);

  const requests = { puts: 0, starts: 0, completes: 0 };
  const startTokens = new Set<string>();
  const completeTokens = new Set<string>();
  // Per file: its ClientTokens, and the URLs its Starts were given (PUTs are matched to them at the end: a
  // response's body is read after the page may already have sent the PUT).
  const tokensOf = new Map<string, Set<string>>();
  const fileOfUrl = new Map<string, string>();
  const putUrls: string[] = [];
  page.on('request', (request) => {
    const url = request.url();
    if (request.method() === 'PUT') {
      requests.puts += 1;
      putUrls.push(url);
    } else if (url.endsWith('/participant/start-attachment-upload')) {
      requests.starts += 1;
      const { ClientToken, AttachmentName } = request.postDataJSON() as { ClientToken: string; AttachmentName: string };
      startTokens.add(ClientToken);
      tokensOf.set(AttachmentName, (tokensOf.get(AttachmentName) ?? new Set<string>()).add(ClientToken));
    } else if (url.endsWith('/participant/complete-attachment-upload')) {
      requests.completes += 1;
      completeTokens.add((request.postDataJSON() as { ClientToken: string }).ClientToken);
    }
  });
  page.on('response', async (response) => {
    if (!response.url().endsWith('/participant/start-attachment-upload') || !response.ok()) return;
    const { AttachmentName } = response.request().postDataJSON() as { AttachmentName: string };
    const { UploadMetadata } = (await response.json()) as { UploadMetadata: { Url: string } };
    fileOfUrl.set(UploadMetadata.Url, AttachmentName);
  });

  await chat.faults({ attachmentQuota: 1_000_000 });
  const zone = chat.widget.locator('.cau-zone');
  const startedAt = Date.now();
  let throttledStarts = 0;
  for (let first = 0, batch = 0; first < files.length; first += batchSize, batch++) {
    const slice = files.slice(first, first + batchSize);
    const faulted = Math.max(1, Math.round(slice.length * faultRatio));
    const resets = Math.floor(faulted / 2);
    const stall = options.stalls === true && batch % 4 === 3 ? 1 : 0;
    const throttle = batch % 2 === 0 ? 2 : 0;
    throttledStarts += throttle;
    await chat.faults({
      // Every other batch, URLs live 20 s: any failure is then too close to expiry for a retry on the same URL.
      urlExpirySeconds: batch % 2 === 1 ? 20 : null,
      throttleStart: throttle > 0 ? { count: throttle, retryAfterSeconds: 1 } : null,
      put: {
        failNext: { count: faulted - resets - stall, status: 503, code: 'SlowDown' },
        // Chromium silently repeats a PUT once when a reused connection is reset: two per failure the page sees.
        resetNext: { count: 2 * resets, afterBytes: 2048 },
        stallNext: { count: stall, afterBytes: 1024 },
      },
    });
    await giveFiles(zone, slice);
    await expect
      .poll(async () => chat.widget.locator('.cau-item').evaluateAll((rows, re) => rows.filter((row) => new RegExp(re).test(row.className)).length, SETTLED.source), {
        timeout: 120_000 + slice.length * 5_000,
        intervals: [250],
      })
      .toBe(first + slice.length);
    options.onProgress?.(first + slice.length, files.length);
  }
  const seconds = (Date.now() - startedAt) / 1000;
  // Faults off again; the answer carries the contact's PUT statistics.
  const final = await chat.faults({
    put: { failNext: { count: 0, status: 503 }, resetNext: { count: 0, afterBytes: 0 }, stallNext: { count: 0, afterBytes: 0 } },
    throttleStart: null,
    urlExpirySeconds: null,
  });

  // A file that met fault after fault can use up its retries (four tries where URLs live 20 s): the row says why
  // and the customer presses Retry, which must then deliver it.
  const putsOf = new Map<string, number>();
  for (const url of putUrls) {
    const name = fileOfUrl.get(url) ?? '';
    putsOf.set(name, (putsOf.get(name) ?? 0) + 1);
  }
  const failedRows = chat.widget.locator('.cau-item--failed');
  const failures = await failedRows.evaluateAll((items) =>
    items.map((row) => ({ name: row.querySelector('.cau-name')?.textContent ?? '', error: row.querySelector('.cau-error')?.textContent ?? '' })),
  );
  const retried = failures.map((failure) => ({ ...failure, puts: putsOf.get(failure.name) ?? 0, urlRefreshes: (tokensOf.get(failure.name)?.size ?? 1) - 1 }));
  for (const { name } of failures) {
    const row = chat.widget.locator('.cau-item').filter({ hasText: name });
    await row.locator('.cau-retry').click();
    // The row re-renders once the queue has notified, after the click returns; until then it still reads as failed.
    await expect(row).not.toHaveClass(/cau-item--failed/);
  }
  await expect(chat.widget.locator('.cau-item:not(.cau-item--done, .cau-item--failed)')).toHaveCount(0, { timeout: 60_000 });

  // What the page says, what the transcript holds, and what S3 holds.
  const shown = new Map(
    await chat.widget.locator('.cau-item').evaluateAll((rows) =>
      rows.map((row) => [row.querySelector('.cau-name')?.textContent ?? '', /cau-item--(\w+)/.exec(row.className)?.[1] ?? ''] as const),
    ),
  );
  const attachments = await chat.attachments();
  const byName = new Map<string, string[]>();
  for (const attachment of attachments) byName.set(attachment.name, [...(byName.get(attachment.name) ?? []), attachment.attachmentId]);

  let completed = 0;
  let failed = 0;
  let lost = 0;
  let misreported = 0;
  let duplicated = 0;
  let corrupted = 0;
  let bytes = 0;
  const toCheck = [...files];
  const check = async () => {
    for (let file = toCheck.shift(); file; file = toCheck.shift()) {
      const ids = byName.get(file.name) ?? [];
      const status = shown.get(file.name);
      if (ids.length === 0) {
        if (status === 'failed') failed += 1;
        else lost += 1;
        continue;
      }
      if (ids.length > 1) duplicated += 1;
      const intact = await Promise.all(ids.map(async (id) => sha256(await chat.download(id)) === sha256(file.bytes)));
      if (intact.some((ok) => !ok)) corrupted += 1;
      else {
        completed += 1;
        bytes += file.bytes.length;
      }
      // In the transcript, but the customer was told otherwise (and may send it again).
      if (status !== 'done') misreported += 1;
    }
  };
  await Promise.all([check(), check(), check(), check()]);
  // Nothing beyond the soak's own files arrived.
  const wanted = new Set(files.map((file) => file.name));
  duplicated += attachments.filter((attachment) => !wanted.has(attachment.name)).length;

  return {
    attempted: files.length,
    completed,
    failed,
    lost,
    misreported,
    duplicated,
    corrupted,
    retried,
    putRetries: requests.puts - completed,
    apiRetries: requests.starts - startTokens.size + (requests.completes - completeTokens.size),
    urlRefreshes: startTokens.size - files.length,
    serverPuts: final.putStats.puts,
    serverFaultedPuts: final.putStats.failed + final.putStats.resets + final.putStats.stalls,
    throttledStarts,
    bytes,
    seconds,
  };
}

export function formatReport(report: SoakReport): string {
  const mb = report.bytes / (1024 * 1024);
  const lines = [
    `uploads attempted   ${report.attempted}`,
    `completed           ${report.completed}`,
    `failed after Retry  ${report.failed}`,
    `lost                ${report.lost}`,
    `misreported         ${report.misreported}`,
    `duplicated          ${report.duplicated}`,
    `corrupted           ${report.corrupted}`,
    `retried by hand     ${report.retried.length}`,
    ...report.retried.map((file) => `  ${file.name}: ${file.error} (${file.puts} PUTs, ${file.urlRefreshes} fresh URLs)`),
    `PUT retries         ${report.putRetries}`,
    `Start/Complete retries ${report.apiRetries} (${report.throttledStarts} Starts throttled)`,
    `URL refreshes       ${report.urlRefreshes}`,
    `PUTs at S3          ${report.serverPuts}, faulted ${report.serverFaultedPuts} (${Math.round((100 * report.serverFaultedPuts) / Math.max(1, report.serverPuts))} %)`,
    `throughput          ${(report.completed / report.seconds).toFixed(1)} files/s, ${(mb / report.seconds).toFixed(2)} MB/s (${mb.toFixed(1)} MB in ${report.seconds.toFixed(1)} s)`,
  ];
  return lines.join('\n');
}

/**
 * Files that failed with retries left. A file the faults kept hitting may fail, but only once it has spent its PUT
 * attempts, or its fresh URLs where URLs live too briefly to try one again.
 */
export function gaveUpEarly(report: SoakReport): SoakReport['retried'] {
  const { maxPutAttempts, maxUrlRefreshes } = DEFAULT_RETRY_POLICY;
  return report.retried.filter((file) => file.puts < maxPutAttempts && file.urlRefreshes < maxUrlRefreshes);
}

export function soakPassed(report: SoakReport): boolean {
  const { failed, lost, misreported, duplicated, corrupted } = report;
  return failed + lost + misreported + duplicated + corrupted === 0 && gaveUpEarly(report).length === 0;
}
