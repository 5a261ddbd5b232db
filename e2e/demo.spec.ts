import { readFile } from 'node:fs/promises';
import { expect, test, type Download, type Page } from '@playwright/test';
import { SAMPLES, demoUrl, expectTokenNowhere, sha256, startChat, transferOf, unexpectedErrors, watch, type Chat } from './support';

/** The chat-widget demo in Chromium, served by the real demo server (see global-setup.ts) under its strict CSP. */

async function downloadOf(page: Page, chat: Chat, name: string): Promise<{ download: Download; bytes: Buffer }> {
  const downloaded = page.waitForEvent('download');
  await chat.entry(name).getByRole('button', { name: `Download ${name}` }).click();
  const download = await downloaded;
  return { download, bytes: await readFile(await download.path()) };
}

/** A DataTransfer holding one sample file, built in the page from its bytes. */
async function transferOfSample(page: Page, fileName: string, type: string) {
  const bytes = await readFile(`${SAMPLES}${fileName}`);
  return { handle: await transferOf(page, [{ name: fileName, bytes, type }]), bytes };
}

test('drop, pick and paste files into the chat; each lands once in the transcript and downloads byte-identical', async ({ page }) => {
  const seen = await watch(page);
  const chat = await startChat(page);
  const { widget, transcript } = chat;

  const messageBox = page.getByRole('textbox', { name: 'Message' });
  await messageBox.fill('Hello, here are my documents.');
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(transcript.locator('.demo-item--message')).toContainText('Hello, here are my documents.');
  await expect(messageBox).toHaveValue('');

  // A real drop, onto the transcript (not the uploader's own zone): the widget as a whole takes files.
  const pdf = await transferOfSample(page, 'sample.pdf', 'application/pdf');
  await transcript.dispatchEvent('dragenter', { dataTransfer: pdf.handle });
  await expect(widget).toHaveClass(/demo-widget--drag/);
  await transcript.dispatchEvent('dragover', { dataTransfer: pdf.handle });
  await transcript.dispatchEvent('drop', { dataTransfer: pdf.handle });
  await expect(widget).not.toHaveClass(/demo-widget--drag/);

  // A drop on the uploader's own zone is taken once, by the uploader (the widget does not add it again).
  const jpg = await transferOfSample(page, 'sample.jpg', 'image/jpeg');
  const zone = widget.locator('.cau-zone');
  for (const type of ['dragenter', 'dragover', 'drop']) await zone.dispatchEvent(type, { dataTransfer: jpg.handle });

  // The picker: the component's own file input.
  const png = await readFile(`${SAMPLES}sample.png`);
  await widget.locator('.cau input[type="file"]').setInputFiles(`${SAMPLES}sample.png`);

  // A paste into the message box: the file goes to the uploader, no text lands in the box.
  const txt = await transferOfSample(page, 'sample.txt', 'text/plain');
  await messageBox.evaluate((box, transfer) => {
    box.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
  }, txt.handle);
  await expect(messageBox).toHaveValue('');
  // Cells copied from a spreadsheet come as text and a picture of them: the text is for the message box.
  const tookCells = await messageBox.evaluate((box) => {
    const cells = new DataTransfer();
    cells.setData('text/plain', 'A1\tB1');
    cells.items.add(new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])], 'cells.png', { type: 'image/png' }));
    return !box.dispatchEvent(new ClipboardEvent('paste', { clipboardData: cells, bubbles: true, cancelable: true }));
  });
  expect(tookCells).toBe(false);

  for (const name of ['sample.pdf', 'sample.jpg', 'sample.png', 'sample.txt']) {
    await expect(chat.entry(name)).toContainText('(APPROVED)');
    await expect(chat.entry(name)).toHaveCount(1);
  }
  // The uploader shows each file once, as uploaded, with thumbnails for the images (blob: images, allowed by img-src).
  await expect(widget.locator('.cau-item--done')).toHaveCount(4);
  await expect(widget.locator('.cau-item')).toHaveCount(4);
  await expect(widget.locator('.cau-item--done img.cau-thumbnail')).toHaveCount(2);

  for (const [name, expected] of [
    ['sample.pdf', pdf.bytes],
    ['sample.png', png],
  ] as const) {
    const { download, bytes } = await downloadOf(page, chat, name);
    expect(download.suggestedFilename()).toBe(name);
    expect(sha256(bytes)).toBe(sha256(expected));
  }

  await page.getByRole('button', { name: 'End chat' }).click();
  await expect(widget.getByText('Chat ended', { exact: true })).toBeVisible();
  await expect(chat.entry('sample.pdf').getByRole('button')).toHaveCount(0);

  expect(seen.violations).toEqual([]);
  expect(seen.errors).toEqual([]);
  // The ConnectionToken stays in memory: not in a URL, the DOM, storage or the console.
  expect(seen.connectionTokens).toHaveLength(1);
  await expectTokenNowhere(page, seen);
});

test('with the flaky-network and throttling faults on, uploads retry and still arrive intact', async ({ page }) => {
  const seen = await watch(page);
  const chat = await startChat(page);
  const { widget } = chat;

  await widget.getByText('Emulator faults').click();
  await widget.getByRole('button', { name: 'Flaky network' }).click();
  await widget.getByRole('button', { name: 'Throttling' }).click();
  const stats = widget.locator('.demo-stats');
  await expect(stats).toContainText('"throttleStart":{"count":3');

  const docx = await readFile(`${SAMPLES}sample.docx`);
  await widget.locator('.cau input[type="file"]').setInputFiles(`${SAMPLES}sample.docx`);
  await expect(chat.entry('sample.docx')).toContainText('(APPROVED)');

  // 3 throttled Starts + the one that worked; PUTs: one 503, one reset the page saw, then success.
  await expect(stats).toContainText(/StartAttachmentUpload calls\s*4/);
  await expect(stats).toContainText(/PUTs to S3\s*\d+ \(1 succeeded, 1 failed, 2 reset/);
  await expect(stats).toContainText(/Faults still pending\s*none/);

  const { bytes } = await downloadOf(page, chat, 'sample.docx');
  expect(sha256(bytes)).toBe(sha256(docx));
  expect(seen.violations).toEqual([]);
  // The browser reports the refused PUTs and Starts itself; nothing else may fail.
  expect(unexpectedErrors(seen)).toEqual([]);
});

test('the CSP watch sees a violation when there is one (so the checks above can fail)', async ({ page }) => {
  const seen = await watch(page);
  await page.goto(demoUrl());
  await page.evaluate(() => {
    const script = document.createElement('script');
    script.textContent = 'window.inlineRan = true';
    document.head.append(script);
  });
  await expect.poll(() => seen.violations).toContainEqual(expect.stringContaining('script-src'));
  expect(await page.evaluate(() => 'inlineRan' in window)).toBe(false);
});
