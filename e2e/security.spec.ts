import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import {
  SAMPLES,
  demoUrl,
  dropPaths,
  expectDelivered,
  expectTokenNowhere,
  pickFiles,
  sample,
  startChat,
  textFile,
  unexpectedErrors,
  watch,
} from './support';

/** The ConnectionToken stays secret, file names stay text, and the page works under its strict CSP. */

test('the ConnectionToken never reaches the DOM, the console, a URL or an error, even from a server that echoes it', async ({ page }) => {
  const seen = await watch(page);
  const chat = await startChat(page);

  // A Start refused by a server that quotes the request's bearer back in its message.
  await page.route('**/participant/start-attachment-upload', async (route) => {
    const bearer = (await route.request().headerValue('x-amz-bearer')) ?? '';
    expect(bearer.length).toBeGreaterThan(20);
    await route.fulfill({
      status: 400,
      headers: { 'Access-Control-Allow-Origin': '*', 'x-amzn-ErrorType': 'ValidationException', 'Content-Type': 'application/json' },
      body: JSON.stringify({ message: `Bad request for token ${bearer}` }),
    });
  });
  await pickFiles(chat, [textFile('echoed.txt', 300, 60)]);
  await expect(chat.row('echoed.txt')).toHaveClass(/cau-item--failed/);
  await page.unroute('**/participant/start-attachment-upload');

  // The demo's own calls: a transcript poll answered by an echoing server shows its (redacted) message.
  await page.route('**/participant/transcript', async (route) => {
    const bearer = (await route.request().headerValue('x-amz-bearer')) ?? '';
    await route.fulfill({
      status: 403,
      headers: { 'Access-Control-Allow-Origin': '*', 'x-amzn-ErrorType': 'AccessDeniedException', 'Content-Type': 'application/json' },
      body: JSON.stringify({ message: `Token ${bearer} is not valid here` }),
    });
  });
  await expect(chat.widget.locator('.demo-problem')).toContainText('[redacted]');
  await page.unroute('**/participant/transcript');

  // Real failures of every kind on the way: a 503, a reset, a throttled Start, an expired token.
  await chat.faults({ throttleStart: { count: 1 }, put: { failNext: { count: 1, status: 503 }, resetNext: { count: 2, afterBytes: 100 } } });
  const good = await sample('sample.pdf');
  await pickFiles(chat, [good]);
  await expectDelivered(chat, [good]);
  await chat.faults({ expireConnectionTokens: true });
  await pickFiles(chat, [textFile('after-expiry.txt', 300, 61)]);
  await expect(chat.row('after-expiry.txt')).toHaveClass(/cau-item--failed/);

  await expectTokenNowhere(page, seen);
  // The S3 URLs the page used carry a signature, never the ConnectionToken (checked above), and no Participant
  // call put anything in its URL.
  expect(seen.requests.filter((url) => url.includes('/participant/') && new URL(url).search !== '')).toEqual([]);
  expect(seen.violations).toEqual([]);
  expect(unexpectedErrors(seen)).toEqual([]);
});

test('a file name with markup renders as text, uploads, and runs nothing', async ({ page }) => {
  const seen = await watch(page);
  const chat = await startChat(page);
  const name = '<img src=x onerror=alert(1)>.png';
  const dir = test.info().outputPath('markup');
  await mkdir(dir, { recursive: true });
  await copyFile(`${SAMPLES}hostile/${name}`, join(dir, name));

  await dropPaths(chat.widget.locator('.cau-zone'), [join(dir, name)]);
  await expect(chat.row(name)).toHaveClass(/cau-item--done/);
  await expect(chat.row(name).locator('.cau-name')).toHaveText(name);
  await expect(chat.entry(name).locator('.demo-file-name')).toHaveText(name);
  await expectDelivered(chat, [{ ...(await sample(`hostile/${name}`)), name }], { exact: true });

  // No element came out of the name: the only images are the thumbnail (a blob: URL) and nothing with src=x.
  expect(await page.locator('img[src="x"], img[onerror]').count()).toBe(0);
  expect(await page.locator('img').evaluateAll((images) => images.map((image) => new URL((image as HTMLImageElement).src).protocol))).toEqual(['blob:']);
  expect(seen.dialogs).toEqual([]);
  expect(seen.violations).toEqual([]);
  expect(seen.errors).toEqual([]);
});

test('the page is served with a strict CSP and a full flow raises no violation', async ({ page }) => {
  const seen = await watch(page);
  const response = await page.goto(demoUrl());
  const csp = response?.headers()['content-security-policy'] ?? '';
  const directives = new Map(csp.split(';').map((part) => part.trim().split(/\s+/)).map(([name = '', ...values]) => [name, values]));
  expect(directives.get('default-src')).toEqual(["'self'"]);
  expect(directives.get('script-src')).toEqual(["'self'"]);
  expect(directives.get('style-src')).toEqual(["'self'"]);
  expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|nonce-|sha256-/);

  const chat = await startChat(page);
  // Thumbnails, progress bars, errors, retries, downloads: everything the page draws, under the policy.
  await chat.faults({ put: { failNext: { count: 1, status: 503 } } });
  const files = [await sample('sample.png'), await sample('sample.jpg'), await sample('sample.docx')];
  await pickFiles(chat, [...files, await sample('hostile/exe-as.pdf')]);
  await expectDelivered(chat, files, { exact: true });
  await expect(chat.row('exe-as.pdf')).toHaveClass(/cau-item--rejected/);
  const downloaded = page.waitForEvent('download');
  await chat.entry('sample.docx').getByRole('button', { name: 'Download sample.docx' }).click();
  await downloaded;

  // Styles only from files: no <style> element and no style attribute anywhere in the page.
  expect(await page.locator('style, [style]').count()).toBe(0);
  const sheets = await page.evaluate(() => [...document.styleSheets].map((sheet) => sheet.href));
  expect(sheets.length).toBeGreaterThan(0);
  for (const href of sheets) expect(href).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/assets\/.+\.css$/);
  expect(seen.violations).toEqual([]);
  expect(unexpectedErrors(seen)).toEqual([]);
});
