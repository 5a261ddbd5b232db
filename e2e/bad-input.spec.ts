import { copyFile, mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import {
  SAMPLES,
  demoUrl,
  dropPaths,
  expectDelivered,
  giveFiles,
  instruments,
  pickFiles,
  sample,
  startChat,
  textFile,
  unexpectedErrors,
  watch,
  type Chat,
  type FileSpec,
} from './support';

/** Bad files and bad replies: each gets its own visible message, the other files carry on, nothing crashes. */

const LIMIT = 20 * 1024 * 1024;

async function expectRejected(chat: Chat, shownName: string, message: string | RegExp): Promise<void> {
  const row = chat.row(shownName);
  await expect(row).toHaveClass(/cau-item--rejected/);
  await expect(row.locator('.cau-status')).toHaveText('Not added');
  await expect(row.locator('.cau-error')).toHaveText(message);
  // Retrying cannot help a refused file: only Remove is offered.
  await expect(row.getByRole('button')).toHaveText(['Remove']);
}

test('files refused before upload, dropped from disk and from memory: one specific message each, the good ones arrive', async ({ page }) => {
  const seen = await watch(page);
  const chat = await startChat(page);
  const dir = test.info().outputPath('drop');
  await mkdir(join(dir, 'my-folder'), { recursive: true });
  await writeFile(join(dir, 'my-folder', 'inside.txt'), 'a file inside the folder\n');
  await copyFile(`${SAMPLES}hostile/empty.pdf`, join(dir, 'empty.pdf'));
  await copyFile(`${SAMPLES}hostile/exe-as.pdf`, join(dir, 'invoice.pdf'));
  await copyFile(`${SAMPLES}sample.txt`, join(dir, 'tool.exe'));
  await copyFile(`${SAMPLES}sample.txt`, join(dir, 'bell\u0007.txt'));
  await copyFile(`${SAMPLES}sample.txt`, join(dir, 'back\\slash.txt'));
  await copyFile(`${SAMPLES}sample.png`, join(dir, 'good.png'));
  // One byte over the limit, sparse on disk: a real PDF header, then nothing.
  const big = await open(join(dir, 'big.pdf'), 'w');
  await big.write('%PDF-1.4\n');
  await big.truncate(LIMIT + 1);
  await big.close();

  const names = ['my-folder', 'empty.pdf', 'invoice.pdf', 'tool.exe', 'bell\u0007.txt', 'back\\slash.txt', 'good.png', 'big.pdf'];
  await dropPaths(chat.widget.locator('.cau-zone'), names.map((name) => join(dir, name)));

  await expectRejected(chat, 'my-folder', '“my-folder” is a folder. Open it and add the files inside instead.');
  await expectRejected(chat, 'empty.pdf', '“empty.pdf” is empty (0 bytes).');
  await expectRejected(chat, 'big.pdf', '“big.pdf” is too large: 20,971,521 bytes, and the limit is 20,971,520 bytes.');
  await expectRejected(chat, 'tool.exe', /^“tool\.exe” cannot be sent: \.exe files are not accepted\. Accepted: CSV, DOC, DOCX, .*PDF/);
  await expectRejected(chat, 'invoice.pdf', '“invoice.pdf” is not a PDF: its content looks like a Windows program.');
  const invalidName = (shown: string) =>
    `The name “${shown}” contains characters that cannot be sent (control characters, / or \\). Rename the file and try again.`;
  // Control characters are shown as U+FFFD, never raw.
  await expectRejected(chat, 'bell\uFFFD.txt', invalidName('bell\uFFFD.txt'));
  await expectRejected(chat, 'back\\slash.txt', invalidName('back\\slash.txt'));
  await expect(chat.row('good.png')).toHaveClass(/cau-item--done/);

  // Names no disk can hold, from memory: 257 characters, and a slash.
  const longName = `${'n'.repeat(253)}.txt`;
  const fromMemory: FileSpec[] = [textFile(longName, 100, 40), textFile('dir/evil.txt', 100, 41), textFile('also-good.txt', 500, 42)];
  await giveFiles(chat.widget.locator('.cau-zone'), fromMemory);
  await expectRejected(
    chat,
    longName,
    // Shortened in the middle for the message, keeping the extension.
    /^The name “n{40,}…n+\.txt” is too long: 257 characters, and the limit is 256\. Rename the file and try again\.$/,
  );
  await expectRejected(chat, 'dir/evil.txt', invalidName('dir/evil.txt'));
  await expect(chat.row('also-good.txt')).toHaveClass(/cau-item--done/);

  await expectDelivered(chat, [await sample('sample.png').then((file) => ({ ...file, name: 'good.png' })), fromMemory[2] as FileSpec], { exact: true });
  // Refused files never reached the service, but for the content check, which runs while Start is in flight: the
  // spoofed invoice.pdf cost one Start, and neither a PUT nor a Complete (nothing of it was attached).
  const { calls } = await chat.state();
  expect(calls.startAttachmentUpload).toBe(3);
  expect(calls.completeAttachmentUpload).toBe(2);
  // Each refusal was announced.
  const announced = (await instruments(page)).announcements.join(' ');
  for (const what of ['“empty.pdf” is empty', '“big.pdf” is too large', '“invoice.pdf” is not a PDF', '“my-folder” is a folder']) {
    expect(announced).toContain(`Not added. ${what}`);
  }
  expect(seen.violations).toEqual([]);
  expect(seen.errors).toEqual([]);
});

test('a drag that carries no files is ignored: no drop state, nothing added, nothing breaks', async ({ page }) => {
  const seen = await watch(page);
  const chat = await startChat(page);
  const zone = chat.widget.locator('.cau-zone');
  await zone.scrollIntoViewIfNeeded();
  const box = await zone.boundingBox();
  if (!box) throw new Error('The zone is not visible.');
  const cdp = await page.context().newCDPSession(page);
  const data = { items: [{ mimeType: 'text/plain', data: 'just some text' }], dragOperationsMask: 1 };
  const at = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  await cdp.send('Input.dispatchDragEvent', { type: 'dragEnter', ...at, data });
  await cdp.send('Input.dispatchDragEvent', { type: 'dragOver', ...at, data });
  await expect(chat.widget.locator('.cau')).not.toHaveClass(/cau--drag-active/);
  await expect(chat.widget).not.toHaveClass(/demo-widget--drag/);
  await cdp.send('Input.dispatchDragEvent', { type: 'drop', ...at, data });
  await cdp.detach();

  // The same with a synthetic DataTransfer holding only text, dropped on the transcript.
  await chat.transcript.evaluate((node) => {
    const data = new DataTransfer();
    data.setData('text/plain', 'more text');
    for (const type of ['dragenter', 'dragover', 'drop']) node.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }));
  });

  await expect(chat.widget.locator('.cau-item')).toHaveCount(0);
  await expect(chat.widget.getByText('Connected', { exact: true })).toBeVisible();
  // The page did not navigate to the dropped data.
  expect(page.url()).toBe(demoUrl());
  // Still works afterwards.
  const file = textFile('after-drag.txt', 300, 43);
  await pickFiles(chat, [file]);
  await expectDelivered(chat, [file], { exact: true });
  expect((await chat.state()).calls.startAttachmentUpload).toBe(1);
  expect(seen.errors).toEqual([]);
});

test('refusals and broken replies from the service: one specific message each, the other files carry on', async ({ page }) => {
  const seen = await watch(page);
  const chat = await startChat(page);
  const failsWith = async (name: string, message: string) => {
    const file = textFile(name, 400, name.length);
    await pickFiles(chat, [file]);
    const row = chat.row(name);
    await expect(row).toHaveClass(/cau-item--failed/);
    await expect(row.locator('.cau-status')).toHaveText('Failed');
    await expect(row.locator('.cau-error')).toHaveText(`“${name}” could not be sent: ${message}`);
    await expect(row.getByRole('button', { name: `Retry ${name}` })).toBeVisible();
  };

  await chat.faults({ failStart: { count: 1, status: 403, errorType: 'AccessDeniedException', message: 'You do not have access.' } });
  await failsWith('denied.txt', 'sending files is not allowed in this conversation (it may have ended).');
  await chat.faults({ failStart: { count: 1, status: 400, errorType: 'ValidationException', message: 'Refused.' } });
  await failsWith('refused.txt', 'the service refused it.');
  for (const kind of ['not-json', 'missing-upload-metadata', 'bad-url-expiry'] as const) {
    await chat.faults({ malformedStart: { count: 1, kind } });
    await failsWith(`${kind}.txt`, 'the service gave an unexpected answer.');
  }

  // Browser-forbidden HeadersToInclude (Host, Connection) are dropped on purpose: the upload goes through.
  const forbidden = textFile('forbidden-headers.txt', 600, 44);
  await chat.faults({ malformedStart: { count: 1, kind: 'forbidden-headers' } });
  await pickFiles(chat, [forbidden]);
  await expect(chat.row(forbidden.name)).toHaveClass(/cau-item--done/);

  // The access-denied file goes through when retried (the fault was a one-off).
  await chat.row('denied.txt').getByRole('button', { name: 'Retry denied.txt' }).click();
  await expect(chat.row('denied.txt')).toHaveClass(/cau-item--done/);

  // Quota: the contact may hold as many attachments as it has now (every Start made one), not one more.
  const now = (await chat.state()).attachments.length;
  await chat.faults({ attachmentQuota: now });
  await failsWith('over-quota.txt', 'this conversation has reached its limit of attachments.');

  // Each refusal cost exactly one Start: nothing that cannot succeed was retried.
  const state = await chat.state();
  expect(state.calls.startAttachmentUpload).toBe(8);
  await expectDelivered(chat, [forbidden, textFile('denied.txt', 400, 'denied.txt'.length)], { exact: true });
  const announced = (await instruments(page)).announcements.join(' ');
  expect(announced).toContain('Upload failed. “over-quota.txt” could not be sent: this conversation has reached its limit of attachments.');
  expect(seen.violations).toEqual([]);
  expect(unexpectedErrors(seen)).toEqual([]);
});

test('an upload URL already expired when it arrives: refreshed a few times, then a clear message; later files arrive', async ({ page }) => {
  const seen = await watch(page);
  const chat = await startChat(page);
  // URLs live 1 s and every Start reply takes 1.5 s to arrive: its UrlExpiry is in the past and S3 refuses the URL.
  await chat.faults({ urlExpirySeconds: 1 });
  await page.route('**/participant/start-attachment-upload', async (route) => {
    const response = await route.fetch();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await route.fulfill({ response });
  });
  const file = textFile('late-link.txt', 800, 45);
  await pickFiles(chat, [file]);
  const row = chat.row(file.name);
  await expect(row).toHaveClass(/cau-item--failed/, { timeout: 30_000 });
  await expect(row.locator('.cau-error')).toHaveText(`“${file.name}” could not be sent: the upload link kept expiring.`);
  const state = await chat.state();
  // The first URL and three fresh ones, each refused by S3; nothing completed.
  expect(state.calls.startAttachmentUpload).toBe(4);
  expect(state.putStats).toMatchObject({ failed: 4, succeeded: 0 });
  expect(state.attachments.every((a) => a.state === 'PENDING')).toBe(true);

  await page.unroute('**/participant/start-attachment-upload');
  await chat.faults({ urlExpirySeconds: null });
  const later = textFile('later.txt', 800, 46);
  await pickFiles(chat, [later]);
  await expectDelivered(chat, [later], { exact: true });
  expect(unexpectedErrors(seen)).toEqual([]);
});
