import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { expect, test, type Download, type Locator, type Page } from '@playwright/test';

/** The chat-widget demo in Chromium, served by the real demo server (see global-setup.ts) under its strict CSP. */

const SAMPLES = fileURLToPath(new URL('../test/fixtures/samples/', import.meta.url));

function demoUrl(): string {
  const url = process.env['DEMO_URL'];
  if (!url) throw new Error('DEMO_URL is not set: run the tests with `npx playwright test` (global-setup.ts starts the demo).');
  return url;
}

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

interface Watch {
  /** CSP violations the page reported (`securitypolicyviolation`). */
  violations: string[];
  /** Console errors and uncaught exceptions. */
  errors: string[];
  /** Every URL the page requested. */
  requests: string[];
  /** Everything the page logged, of any level. */
  console: string[];
  /** The ConnectionToken CreateParticipantConnection handed out, read from the network (never from the page). */
  connectionTokens: string[];
}

/** Listens to the page before it loads: CSP violations, console errors, requests, and the ConnectionToken. */
async function watch(page: Page): Promise<Watch> {
  const result: Watch = { violations: [], errors: [], requests: [], console: [], connectionTokens: [] };
  await page.exposeFunction('reportCspViolation', (text: string) => result.violations.push(text));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      const report = (window as unknown as { reportCspViolation(text: string): void }).reportCspViolation;
      report(`${event.effectiveDirective} blocked ${event.blockedURI || 'inline'}`);
    });
  });
  page.on('console', (message) => {
    result.console.push(message.text());
    if (message.type() === 'error') result.errors.push(message.text());
  });
  page.on('pageerror', (error) => result.errors.push(error.message));
  page.on('request', (request) => result.requests.push(request.url()));
  page.on('response', async (response) => {
    if (!response.url().endsWith('/participant/connection') || !response.ok()) return;
    const body = (await response.json()) as { ConnectionCredentials?: { ConnectionToken?: string } };
    const token = body.ConnectionCredentials?.ConnectionToken;
    if (token) result.connectionTokens.push(token);
  });
  return result;
}

async function startChat(page: Page): Promise<{ widget: Locator; transcript: Locator }> {
  const response = await page.goto(demoUrl());
  expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
  await page.getByLabel('Your name').fill('Playwright');
  await page.getByRole('button', { name: 'Start chat' }).click();
  const widget = page.getByRole('region', { name: 'Support chat' });
  await expect(widget.getByText('Connected', { exact: true })).toBeVisible();
  const transcript = page.getByRole('log', { name: 'Transcript' });
  await expect(transcript).toContainText('Playwright joined the chat');
  return { widget, transcript };
}

/** A DataTransfer holding one file, built in the page from the fixture's bytes. */
async function transferOf(page: Page, fileName: string, type: string) {
  const bytes = await readFile(`${SAMPLES}${fileName}`);
  const handle = await page.evaluateHandle(
    ({ name, mime, base64 }) => {
      const data = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([data], name, { type: mime }));
      return transfer;
    },
    { name: fileName, mime: type, base64: bytes.toString('base64') },
  );
  return { handle, bytes };
}

function attachmentEntry(transcript: Locator, name: string): Locator {
  return transcript.locator('.demo-item--attachment').filter({ hasText: name });
}

async function downloadOf(page: Page, transcript: Locator, name: string): Promise<{ download: Download; bytes: Buffer }> {
  const downloaded = page.waitForEvent('download');
  await attachmentEntry(transcript, name).getByRole('button', { name: `Download ${name}` }).click();
  const download = await downloaded;
  return { download, bytes: await readFile(await download.path()) };
}

test('drop, pick and paste files into the chat; each lands once in the transcript and downloads byte-identical', async ({ page }) => {
  const seen = await watch(page);
  const { widget, transcript } = await startChat(page);

  const messageBox = page.getByRole('textbox', { name: 'Message' });
  await messageBox.fill('Hello, here are my documents.');
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(transcript.locator('.demo-item--message')).toContainText('Hello, here are my documents.');
  await expect(messageBox).toHaveValue('');

  // A real drop, onto the transcript (not the uploader's own zone): the widget as a whole takes files.
  const pdf = await transferOf(page, 'sample.pdf', 'application/pdf');
  await transcript.dispatchEvent('dragenter', { dataTransfer: pdf.handle });
  await expect(widget).toHaveClass(/demo-widget--drag/);
  await transcript.dispatchEvent('dragover', { dataTransfer: pdf.handle });
  await transcript.dispatchEvent('drop', { dataTransfer: pdf.handle });
  await expect(widget).not.toHaveClass(/demo-widget--drag/);

  // A drop on the uploader's own zone is taken once, by the uploader (the widget does not add it again).
  const jpg = await transferOf(page, 'sample.jpg', 'image/jpeg');
  const zone = widget.locator('.cau-zone');
  for (const type of ['dragenter', 'dragover', 'drop']) await zone.dispatchEvent(type, { dataTransfer: jpg.handle });

  // The picker: the component's own file input.
  const png = await readFile(`${SAMPLES}sample.png`);
  await widget.locator('.cau input[type="file"]').setInputFiles(`${SAMPLES}sample.png`);

  // A paste into the message box: the file goes to the uploader, no text lands in the box.
  const txt = await transferOf(page, 'sample.txt', 'text/plain');
  await messageBox.evaluate((box, transfer) => {
    box.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
  }, txt.handle);
  await expect(messageBox).toHaveValue('');

  for (const name of ['sample.pdf', 'sample.jpg', 'sample.png', 'sample.txt']) {
    await expect(attachmentEntry(transcript, name)).toContainText('(APPROVED)');
    await expect(attachmentEntry(transcript, name)).toHaveCount(1);
  }
  // The uploader shows each file once, as uploaded, with thumbnails for the images (blob: images, allowed by img-src).
  await expect(widget.locator('.cau-item--done')).toHaveCount(4);
  await expect(widget.locator('.cau-item--done img.cau-thumbnail')).toHaveCount(2);

  for (const [name, expected] of [
    ['sample.pdf', pdf.bytes],
    ['sample.png', png],
  ] as const) {
    const { download, bytes } = await downloadOf(page, transcript, name);
    expect(download.suggestedFilename()).toBe(name);
    expect(sha256(bytes)).toBe(sha256(expected));
  }

  await page.getByRole('button', { name: 'End chat' }).click();
  await expect(widget.getByText('Chat ended', { exact: true })).toBeVisible();
  await expect(attachmentEntry(transcript, 'sample.pdf').getByRole('button')).toHaveCount(0);

  expect(seen.violations).toEqual([]);
  expect(seen.errors).toEqual([]);
  // The ConnectionToken stays in memory: not in a URL, the DOM, storage or the console.
  expect(seen.connectionTokens).toHaveLength(1);
  const token = seen.connectionTokens[0] ?? '';
  expect(token.length).toBeGreaterThan(20);
  expect(seen.requests.filter((url) => url.includes(token) || url.includes(encodeURIComponent(token)))).toEqual([]);
  expect(seen.console.filter((line) => line.includes(token))).toEqual([]);
  const stored = await page.evaluate(() => [document.documentElement.outerHTML, JSON.stringify(localStorage), JSON.stringify(sessionStorage), document.cookie]);
  expect(stored.filter((text) => text.includes(token))).toEqual([]);
});

test('with the flaky-network and throttling faults on, uploads retry and still arrive intact', async ({ page }) => {
  const seen = await watch(page);
  const { widget, transcript } = await startChat(page);

  await widget.getByText('Emulator faults').click();
  await widget.getByRole('button', { name: 'Flaky network' }).click();
  await widget.getByRole('button', { name: 'Throttling' }).click();
  const stats = widget.locator('.demo-stats');
  await expect(stats).toContainText('"throttleStart":{"count":3');

  const docx = await readFile(`${SAMPLES}sample.docx`);
  await widget.locator('.cau input[type="file"]').setInputFiles(`${SAMPLES}sample.docx`);
  await expect(attachmentEntry(transcript, 'sample.docx')).toContainText('(APPROVED)');

  // 3 throttled Starts + the one that worked; PUTs: one 503, one reset the page saw, then success.
  await expect(stats).toContainText(/StartAttachmentUpload calls\s*4/);
  await expect(stats).toContainText(/PUTs to S3\s*\d+ \(1 succeeded, 1 failed, 2 reset/);
  await expect(stats).toContainText(/Faults still pending\s*none/);

  const { bytes } = await downloadOf(page, transcript, 'sample.docx');
  expect(sha256(bytes)).toBe(sha256(docx));
  expect(seen.violations).toEqual([]);
  // The browser reports the refused PUTs and Starts itself; nothing else may fail.
  expect(seen.errors.filter((line) => !/Failed to load resource|ERR_CONNECTION_RESET|net::ERR_/.test(line))).toEqual([]);
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
