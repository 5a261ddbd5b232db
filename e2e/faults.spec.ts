import { expect, test } from '@playwright/test';
import { expectDelivered, instruments, pdfFile, pickFiles, startChat, textFile, unexpectedErrors, watch, type Chat } from './support';

/**
 * The network and the service misbehave, scoped to each test's own chat through the emulator's control API; every
 * file still arrives once and intact, or the customer is told why not.
 */

async function statusesOf(chat: Chat, name: string): Promise<string[]> {
  return (await instruments(chat.page)).progress.filter((entry) => entry.name === name).map((entry) => entry.status);
}

test('a PUT answered 503 SlowDown is retried on the same URL and the file arrives', async ({ page }) => {
  const seen = await watch(page);
  const chat = await startChat(page);
  const file = pdfFile('statement.pdf', 50_000, 21);
  await chat.faults({ put: { failNext: { count: 1, status: 503, code: 'SlowDown' } } });

  await pickFiles(chat, [file]);
  await expect(chat.row(file.name)).toHaveClass(/cau-item--done/);
  await expectDelivered(chat, [file], { exact: true });
  const state = await chat.state();
  expect(state.putStats).toMatchObject({ puts: 2, failed: 1, succeeded: 1 });
  // The same URL, so a single Start.
  expect(state.calls.startAttachmentUpload).toBe(1);
  expect(await statusesOf(chat, file.name)).toContain('retrying');
  expect((await instruments(page)).announcements.join(' ')).toContain(`${file.name}: Service busy, will retry.`);
  expect(unexpectedErrors(seen)).toEqual([]);
});

test('a connection reset halfway through the body is retried and the file arrives intact', async ({ page }) => {
  const seen = await watch(page);
  const chat = await startChat(page);
  const file = pdfFile('photos.pdf', 256 * 1024, 22);
  // Twice: Chromium silently repeats a PUT once when a reused connection is reset.
  await chat.faults({ put: { resetNext: { count: 2, afterBytes: 128 * 1024 } } });

  await pickFiles(chat, [file]);
  await expect(chat.row(file.name)).toHaveClass(/cau-item--done/);
  await expectDelivered(chat, [file], { exact: true });
  const state = await chat.state();
  expect(state.putStats).toMatchObject({ resets: 2, succeeded: 1 });
  expect(state.putFaults).toEqual({});
  expect(await statusesOf(chat, file.name)).toContain('retrying');
  expect((await instruments(page)).announcements.join(' ')).toContain(`${file.name}: Connection lost, will retry.`);
  expect(unexpectedErrors(seen)).toEqual([]);
});

test('a stalled PUT is given up after 30 s without progress, retried, and the file arrives', async ({ page }) => {
  test.setTimeout(120_000);
  const seen = await watch(page);
  const chat = await startChat(page);
  const file = pdfFile('stalled.pdf', 200_000, 23);
  await chat.faults({ put: { stallNext: { count: 1, afterBytes: 64 * 1024 } } });

  await pickFiles(chat, [file]);
  await expect(chat.row(file.name)).toHaveClass(/cau-item--done/, { timeout: 60_000 });
  await expectDelivered(chat, [file], { exact: true });
  const state = await chat.state();
  expect(state.putStats).toMatchObject({ stalls: 1, succeeded: 1 });
  expect((await instruments(page)).announcements.join(' ')).toContain(`${file.name}: Connection stalled, will retry.`);
  expect(unexpectedErrors(seen)).toEqual([]);
});

test('StartAttachmentUpload throttled twice: retried with the same ClientToken, one attachment', async ({ page }) => {
  const seen = await watch(page);
  const chat = await startChat(page);
  const file = textFile('log.txt', 4000, 24);
  const clientTokens: string[] = [];
  page.on('request', (request) => {
    if (request.url().endsWith('/participant/start-attachment-upload')) {
      clientTokens.push((request.postDataJSON() as { ClientToken: string }).ClientToken);
    }
  });
  await chat.faults({ throttleStart: { count: 2, retryAfterSeconds: 1 } });

  await pickFiles(chat, [file]);
  await expect(chat.row(file.name)).toHaveClass(/cau-item--done/);
  await expectDelivered(chat, [file], { exact: true });
  const state = await chat.state();
  expect(state.calls.startAttachmentUpload).toBe(3);
  expect(state.attachments).toHaveLength(1);
  expect(clientTokens).toHaveLength(3);
  expect(new Set(clientTokens).size).toBe(1);
  expect((await instruments(page)).announcements.join(' ')).toContain(`${file.name}: Service busy, will retry.`);
  expect(unexpectedErrors(seen)).toEqual([]);
});

test('a slow upload that fails close to its URL expiry gets a fresh URL and completes', async ({ page }) => {
  const seen = await watch(page);
  const chat = await startChat(page);
  const file = pdfFile('slow-link.pdf', 96 * 1024, 25);
  // URLs live 4 s, the link crawls at 32 KB/s, and the first PUT loses its connection halfway: a retry could not
  // finish within what is left of the URL's life (plus the safety margins), so the engine asks for a fresh one.
  await chat.faults({ urlExpirySeconds: 4, put: { bandwidthBytesPerSecond: 32 * 1024, resetNext: { count: 2, afterBytes: 48 * 1024 } } });

  await pickFiles(chat, [file]);
  await expect(chat.row(file.name)).toHaveClass(/cau-item--done/, { timeout: 30_000 });
  await expectDelivered(chat, [file], { exact: true });
  const state = await chat.state();
  expect(state.calls.startAttachmentUpload).toBe(2);
  // The abandoned first attachment is never completed.
  expect(state.attachments.map((a) => a.state).sort()).toEqual(['COMPLETED', 'PENDING']);
  expect(await statusesOf(chat, file.name)).toContain('refreshing');
  expect((await instruments(page)).announcements.join(' ')).toContain(`${file.name}: Connection lost, will retry.`);
  expect(unexpectedErrors(seen)).toEqual([]);
});

test('a URL that really expired while the upload waited to retry (S3: Request has expired) is refreshed and completes', async ({ page }) => {
  test.setTimeout(120_000);
  const seen = await watch(page);
  const chat = await startChat(page);
  const file = pdfFile('expired.pdf', 64 * 1024, 26);
  // The server's URLs live 10 s, but the page is told they live 10 minutes longer (as when the device's clock is
  // wrong), so after a stalled first PUT (30 s without progress) it retries on the same URL, and S3 refuses it.
  await page.route('**/participant/start-attachment-upload', async (route) => {
    const response = await route.fetch();
    const body = (await response.json()) as { UploadMetadata?: { UrlExpiry: string } };
    if (response.ok() && body.UploadMetadata) {
      body.UploadMetadata.UrlExpiry = new Date(Date.parse(body.UploadMetadata.UrlExpiry) + 600_000).toISOString();
    }
    await route.fulfill({ response, json: body });
  });
  await chat.faults({ urlExpirySeconds: 10, put: { stallNext: { count: 1, afterBytes: 16 * 1024 } } });

  await pickFiles(chat, [file]);
  await expect(chat.row(file.name)).toHaveClass(/cau-item--done/, { timeout: 60_000 });
  await expectDelivered(chat, [file], { exact: true });
  const state = await chat.state();
  expect(state.calls.startAttachmentUpload).toBe(2);
  // The stalled PUT, the retry S3 refused as expired, and the PUT on the fresh URL.
  expect(state.putStats).toMatchObject({ puts: 3, stalls: 1, failed: 1, succeeded: 1 });
  const announced = (await instruments(page)).announcements.join(' ');
  expect(announced).toContain(`${file.name}: Connection stalled, will retry.`);
  expect(unexpectedErrors(seen)).toEqual([]);
});

test('a ConnectionToken that expires mid-batch: a clear message, nothing completed that was not uploaded, done files unaffected', async ({ page }) => {
  const seen = await watch(page);
  const chat = await startChat(page);
  const first = textFile('before.txt', 3000, 30);
  await pickFiles(chat, [first]);
  await expect(chat.row(first.name)).toHaveClass(/cau-item--done/);

  // Three uploads under way (slow), a fourth waiting for a slot; then the chat's ConnectionTokens expire.
  const batch = [pdfFile('b1.pdf', 200_000, 31), pdfFile('b2.pdf', 200_000, 32), pdfFile('b3.pdf', 200_000, 33), textFile('b4.txt', 2000, 34)];
  await chat.faults({ put: { bandwidthBytesPerSecond: 40_000 } });
  await pickFiles(chat, batch);
  for (const file of batch.slice(0, 3)) await expect(chat.row(file.name)).toHaveClass(/cau-item--uploading/);
  await expect(chat.row('b4.txt')).toHaveClass(/cau-item--queued/);
  await chat.faults({ expireConnectionTokens: true });

  for (const file of batch) {
    const row = chat.row(file.name);
    await expect(row).toHaveClass(/cau-item--failed/, { timeout: 30_000 });
    await expect(row.locator('.cau-error')).toHaveText(
      `“${file.name}” could not be sent: sending files is not allowed in this conversation (it may have ended).`,
    );
    await expect(row.getByRole('button', { name: `Retry ${file.name}` })).toBeVisible();
  }
  await expect(chat.row(first.name)).toHaveClass(/cau-item--done/);

  const state = await chat.state();
  // Only the file completed before the expiry is an attachment; the three whose bytes reached S3 were never
  // completed (Complete was refused), and the fourth never started.
  expect(state.attachments.filter((a) => a.state === 'COMPLETED').map((a) => a.name)).toEqual([first.name]);
  expect(state.attachments.filter((a) => a.state === 'PENDING').map((a) => a.name).sort()).toEqual(['b1.pdf', 'b2.pdf', 'b3.pdf']);
  await expectDelivered(chat, [first], { exact: true });
  expect((await instruments(page)).announcements.join(' ')).toContain('Upload failed. “b4.txt” could not be sent');
  expect(seen.violations).toEqual([]);
  expect(unexpectedErrors(seen)).toEqual([]);
});
