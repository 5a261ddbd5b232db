import { expect, test } from '@playwright/test';
import {
  SAMPLE_NAMES,
  SAMPLES,
  dropPaths,
  dropTransfer,
  expectDelivered,
  giveFiles,
  instruments,
  pdfFile,
  pickFiles,
  sample,
  startChat,
  textFile,
  transferOf,
  unexpectedErrors,
  watch,
} from './support';

/** The happy paths in Chromium against the emulator: every gesture, every allowed type, progress, cancel, scale. */

test('every type Connect accepts, picked at once, arrives once and byte-identical', async ({ page }) => {
  const seen = await watch(page);
  const chat = await startChat(page);
  const files = await Promise.all(SAMPLE_NAMES.map((name) => sample(name)));

  await pickFiles(chat, files);

  await expect(chat.widget.locator('.cau-item--done')).toHaveCount(files.length, { timeout: 60_000 });
  await expectDelivered(chat, files, { exact: true });
  const state = await chat.state();
  // One Start and one Complete per file: nothing was retried or sent twice.
  expect(state.calls).toMatchObject({ startAttachmentUpload: files.length, completeAttachmentUpload: files.length });
  expect(state.putStats).toMatchObject({ puts: files.length, succeeded: files.length, failed: 0 });
  expect(seen.violations).toEqual([]);
  expect(seen.errors).toEqual([]);
});

test('one file and many: dropped from disk, dropped on the transcript, pasted into the message box', async ({ page }) => {
  const seen = await watch(page);
  const chat = await startChat(page);
  const zone = chat.widget.locator('.cau-zone');

  // Files from disk the way the OS drops them (disk-backed Files), one, then several at once.
  await dropPaths(zone, [`${SAMPLES}sample.pdf`]);
  await expect(chat.row('sample.pdf')).toHaveClass(/cau-item--done/);
  await dropPaths(zone, ['sample.docx', 'sample.xlsx', 'sample.heic', 'sample.mov'].map((name) => `${SAMPLES}${name}`));

  // Several built in memory, dropped anywhere on the widget, and several pasted.
  const dropped = [textFile('notes-1.txt', 3000, 1), textFile('notes-2.txt', 5000, 2), pdfFile('scan.pdf', 40_000, 3)];
  await giveFiles(chat.transcript, dropped);
  const pasted = [textFile('pasted-1.csv', 700, 4), textFile('pasted-2.txt', 900, 5)];
  const messageBox = page.getByRole('textbox', { name: 'Message' });
  await giveFiles(messageBox, pasted, 'paste');
  await expect(messageBox).toHaveValue('');

  const fromDisk = await Promise.all(['sample.pdf', 'sample.docx', 'sample.xlsx', 'sample.heic', 'sample.mov'].map((name) => sample(name)));
  const all = [...fromDisk, ...dropped, ...pasted];
  await expect(chat.widget.locator('.cau-item--done')).toHaveCount(all.length, { timeout: 60_000 });
  await expectDelivered(chat, all, { exact: true });
  expect(seen.violations).toEqual([]);
  expect(seen.errors).toEqual([]);
});

test('progress rises monotonically to 100 %, and "done" shows only once CompleteAttachmentUpload succeeded', async ({ page }) => {
  await watch(page);
  const chat = await startChat(page);
  const file = pdfFile('slow.pdf', 600_000, 7);
  // Chromium's own upload throttling: the emulator's bandwidth limit would sit behind the loopback socket's
  // buffers, which take the whole file at once (the browser then reports 100 % while S3 is still reading).
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 200_000 });

  // Complete is held in the browser until the test lets it go.
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  await page.route('**/participant/complete-attachment-upload', async (route) => {
    await gate;
    await route.continue();
  });

  await pickFiles(chat, [file]);
  const row = chat.row('slow.pdf');
  await expect(row).toHaveClass(/cau-item--completing/, { timeout: 30_000 });
  await expect(row.locator('progress')).toHaveAttribute('value', '100');
  await expect(row).toContainText('Finishing');
  // Held for a while: still not done, and the emulator has no completed attachment.
  await page.waitForTimeout(1000);
  await expect(row).not.toHaveClass(/cau-item--done/);
  const held = await chat.state();
  expect(held.calls.completeAttachmentUpload).toBe(0);
  expect(held.attachments.map((a) => a.state)).toEqual(['PENDING']);
  expect(await chat.attachments()).toEqual([]);

  release();
  await expect(row).toHaveClass(/cau-item--done/);
  await expectDelivered(chat, [file], { exact: true });

  const samples = (await instruments(page)).progress.filter((entry) => entry.name === 'slow.pdf');
  const values = samples.flatMap((entry) => (entry.value === null ? [] : [entry.value]));
  for (let i = 1; i < values.length; i++) expect(values[i], `progress step ${i}: ${values.join(', ')}`).toBeGreaterThanOrEqual(values[i - 1] ?? 0);
  expect(values.at(-1)).toBe(100);
  // Honest progress: several steps on the way, not a jump from 0 to 100.
  expect(new Set(values.filter((value) => value > 0 && value < 100)).size).toBeGreaterThanOrEqual(3);
  const statuses = samples.map((entry) => entry.status);
  expect(statuses.indexOf('done')).toBeGreaterThan(statuses.indexOf('completing'));
  expect(statuses.filter((status) => status === 'done')).toHaveLength(1);
  expect(statuses.at(-1)).toBe('done');
});

test('cancel mid-upload leaves nothing in the transcript; remove, then re-add the same file: one attachment', async ({ page }) => {
  const seen = await watch(page);
  const chat = await startChat(page);
  const file = pdfFile('contract.pdf', 300_000, 11);
  await chat.faults({ put: { bandwidthBytesPerSecond: 40_000 } });

  await pickFiles(chat, [file]);
  const row = chat.row('contract.pdf');
  await expect(row).toHaveClass(/cau-item--uploading/);
  await expect.poll(async () => Number(await row.locator('progress').getAttribute('value'))).toBeGreaterThan(5);
  await row.getByRole('button', { name: 'Cancel contract.pdf' }).click();
  await expect(row).toHaveClass(/cau-item--cancelled/);
  await expect(row).toContainText('Cancelled');

  // The aborted PUT never completes and Complete is never called: no attachment, on screen or on the server.
  await page.waitForTimeout(2000);
  const afterCancel = await chat.state();
  expect(afterCancel.calls.completeAttachmentUpload).toBe(0);
  expect(afterCancel.putStats.succeeded).toBe(0);
  expect(afterCancel.attachments.map((a) => a.state)).toEqual(['PENDING']);
  expect(await chat.attachments()).toEqual([]);
  await expect(chat.transcript.locator('.demo-item--attachment')).toHaveCount(0);

  await row.getByRole('button', { name: 'Remove contract.pdf' }).click();
  await expect(row).toHaveCount(0);
  await chat.faults({ put: { bandwidthBytesPerSecond: 0 } });
  await pickFiles(chat, [file]);
  await expect(chat.row('contract.pdf')).toHaveClass(/cau-item--done/);
  await expectDelivered(chat, [file], { exact: true });
  const final = await chat.state();
  expect(final.attachments.filter((a) => a.state === 'COMPLETED')).toHaveLength(1);
  expect(unexpectedErrors(seen)).toEqual([]);
});

test('100 files at once with the default concurrency: all arrive, and the page never blocks for 200 ms', async ({ page }) => {
  test.setTimeout(180_000);
  const seen = await watch(page);
  const chat = await startChat(page);
  // The emulator's default quota is 50 attachments per chat, like a typical instance.
  await chat.faults({ attachmentQuota: 200 });
  const files = Array.from({ length: 100 }, (_, i) => textFile(`batch-${String(i + 1).padStart(3, '0')}.txt`, 2000 + 37 * i, 100 + i));

  const transfer = await transferOf(page, files);
  const startedAt = await page.evaluate(() => performance.now());
  await dropTransfer(chat.widget.locator('.cau-zone'), transfer);

  // Default concurrency: never more than 3 rows uploading at once.
  let busiest = 0;
  await expect
    .poll(
      async () => {
        busiest = Math.max(busiest, await chat.widget.locator('.cau-item--uploading, .cau-item--starting, .cau-item--completing').count());
        return chat.widget.locator('.cau-item--done').count();
      },
      { timeout: 120_000, intervals: [100] },
    )
    .toBe(100);
  const endedAt = await page.evaluate(() => performance.now());
  expect(busiest).toBeLessThanOrEqual(3);

  const longTasks = (await instruments(page)).longTasks.filter((task) => task.start >= startedAt && task.start <= endedAt);
  expect(longTasks.filter((task) => task.duration > 200), `long tasks: ${JSON.stringify(longTasks)}`).toEqual([]);

  await expectDelivered(chat, files, { exact: true, timeout: 60_000 });
  const state = await chat.state();
  expect(state.calls.startAttachmentUpload).toBe(100);
  expect(state.attachments.filter((a) => a.state === 'COMPLETED')).toHaveLength(100);
  expect(seen.violations).toEqual([]);
  expect(seen.errors).toEqual([]);
});
