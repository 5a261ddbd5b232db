import AxeBuilder from '@axe-core/playwright';
import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';
import { SAMPLES, demoUrl, expectDelivered, instruments, pdfFile, pickFiles, sample, sha256, startChat, transferOf, unexpectedErrors, watch } from './support';

/** axe-core in every state of the uploader, the whole flow from the keyboard, and outcomes in the live region. */

async function expectNoAxeViolations(page: Page, state: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']).analyze();
  const found = results.violations.map((violation) => ({
    rule: violation.id,
    impact: violation.impact,
    nodes: violation.nodes.map((node) => node.target.join(' ')),
  }));
  expect(found, `axe violations in the ${state} state`).toEqual([]);
}

test('axe finds no violations: empty, drag-over, uploading, error and done states', async ({ page }) => {
  await watch(page);
  const chat = await startChat(page);
  await expectNoAxeViolations(page, 'empty');

  // Drag-over: files held over the zone (dragenter without a drop).
  const zone = chat.widget.locator('.cau-zone');
  const transfer = await transferOf(page, [await sample('sample.pdf')]);
  await zone.dispatchEvent('dragenter', { dataTransfer: transfer });
  await expect(chat.widget.locator('.cau')).toHaveClass(/cau--drag-active/);
  await expect(chat.widget.locator('.cau-prompt')).toHaveText('Release to add.');
  await expectNoAxeViolations(page, 'drag-over');
  await zone.dispatchEvent('dragleave', { dataTransfer: transfer });
  await expect(chat.widget.locator('.cau')).not.toHaveClass(/cau--drag-active/);

  // Uploading: a slow PUT (Chromium's own upload throttling, so the bar moves).
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 100_000 });
  const slow = pdfFile('slow.pdf', 500_000, 50);
  await pickFiles(chat, [slow]);
  await expect(chat.row(slow.name)).toHaveClass(/cau-item--uploading/);
  await expect.poll(async () => Number(await chat.row(slow.name).locator('progress').getAttribute('value'))).toBeGreaterThan(0);
  await expectNoAxeViolations(page, 'uploading');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await cdp.detach();
  await expect(chat.row(slow.name)).toHaveClass(/cau-item--done/, { timeout: 30_000 });

  // Error: a refused file and a failed one.
  await pickFiles(chat, [await sample('hostile/exe-as.pdf')]);
  await chat.faults({ failStart: { count: 1, status: 403, errorType: 'AccessDeniedException' } });
  await pickFiles(chat, [await sample('sample.txt')]);
  await expect(chat.row('exe-as.pdf')).toHaveClass(/cau-item--rejected/);
  await expect(chat.row('sample.txt')).toHaveClass(/cau-item--failed/);
  await expectNoAxeViolations(page, 'error');

  // Done: the failed one retried.
  await chat.row('sample.txt').getByRole('button', { name: 'Retry sample.txt' }).click();
  await expect(chat.row('sample.txt')).toHaveClass(/cau-item--done/);
  await expect(chat.entry('sample.txt')).toHaveCount(1);
  await expectNoAxeViolations(page, 'done');
});

/** Presses Tab until the focused element has this accessible name (role and name as the accessibility tree says). */
async function tabTo(page: Page, role: Parameters<Page['getByRole']>[0], name: string, key = 'Tab'): Promise<void> {
  const target = page.getByRole(role, { name, exact: true });
  for (let presses = 0; presses < 40; presses++) {
    await page.keyboard.press(key);
    if (await target.evaluateAll((nodes) => nodes.some((node) => node === document.activeElement))) return;
  }
  throw new Error(`${key} never reached the ${role} "${name}".`);
}

test('the whole flow works from the keyboard alone, and outcomes are announced in the live region', async ({ page }) => {
  const seen = await watch(page);
  // Playwright intercepts file choosers only while someone listens; a listener for the whole test keeps the
  // interception on between choosers (otherwise a chooser can open for real, headless, and block the next one).
  page.on('filechooser', () => undefined);
  await page.goto(demoUrl());
  await tabTo(page, 'textbox', 'Your name');
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type('Keyboard user');
  await page.keyboard.press('Enter');
  const widget = page.getByRole('region', { name: 'Support chat' });
  await expect(widget.getByText('Connected', { exact: true })).toBeVisible();

  // The uploader's button opens the system file chooser (Enter), whose result is the file.
  await tabTo(page, 'button', 'Choose files');
  const live = widget.locator('.cau-live');
  await expect(live).toHaveAttribute('aria-live', 'polite');
  const chosen = page.waitForEvent('filechooser');
  await page.keyboard.press('Enter');
  await (await chosen).setFiles(`${SAMPLES}sample.pdf`);
  await expect(live).toContainText('sample.pdf uploaded.');

  // A rejected file is announced with its reason.
  const refused = page.waitForEvent('filechooser');
  await page.keyboard.press('Space');
  await (await refused).setFiles(`${SAMPLES}hostile/exe-as.pdf`);
  await expect(live).toContainText('Not added. “exe-as.pdf” is not a PDF: its content looks like a Windows program.');

  // Remove it from the keyboard; the list and the focus stay usable: focus goes to the row before it (none after).
  await tabTo(page, 'button', 'Remove exe-as.pdf');
  await page.keyboard.press('Enter');
  await expect(widget.locator('.cau-item')).toHaveCount(1);
  await expect(widget.getByRole('button', { name: 'Remove sample.pdf', exact: true })).toBeFocused();

  // Download the uploaded file from the transcript, from the keyboard.
  await tabTo(page, 'button', 'Download sample.pdf', 'Shift+Tab');
  const download = page.waitForEvent('download');
  await page.keyboard.press('Enter');
  const saved = await (await download).path();
  expect(sha256(await readFile(saved))).toBe(sha256(await readFile(`${SAMPLES}sample.pdf`)));

  // End the chat from the keyboard.
  await tabTo(page, 'button', 'End chat', 'Shift+Tab');
  await page.keyboard.press('Enter');
  await expect(widget.getByText('Chat ended', { exact: true })).toBeVisible();

  const announced = (await instruments(page)).announcements;
  expect(announced.join(' ')).toContain('Uploading sample.pdf.');
  expect(announced.join(' ')).toContain('sample.pdf uploaded.');
  // Milestones, never every percent.
  expect(announced.filter((text) => /\d+ %/.test(text))).toEqual([]);
  expect(seen.errors).toEqual([]);
});

test('a cancelled and a failed upload are announced, and Cancel and Retry work from the keyboard', async ({ page }) => {
  const seen = await watch(page);
  const chat = await startChat(page);
  const file = pdfFile('keyboard.pdf', 300_000, 51);
  const button = (action: string) => chat.row(file.name).getByRole('button', { name: `${action} ${file.name}`, exact: true });
  await chat.faults({ put: { bandwidthBytesPerSecond: 30_000 } });
  await pickFiles(chat, [file]);
  await expect(chat.row(file.name)).toHaveClass(/cau-item--uploading/);

  // Each press changes the row's buttons: focus stays on the row, on its new first button (never on <body>).
  await tabTo(page, 'button', `Cancel ${file.name}`);
  await page.keyboard.press('Enter');
  await expect(chat.row(file.name)).toHaveClass(/cau-item--cancelled/);
  await expect(chat.widget.locator('.cau-live')).toContainText(`Upload of ${file.name} cancelled.`);
  await expect(button('Retry')).toBeFocused();

  await chat.faults({ put: { bandwidthBytesPerSecond: 0 }, failStart: { count: 1, status: 402, errorType: 'ServiceQuotaExceededException' } });
  await page.keyboard.press('Enter');
  await expect(chat.row(file.name)).toHaveClass(/cau-item--failed/);
  await expect(chat.widget.locator('.cau-live')).toContainText(
    `Upload failed. “${file.name}” could not be sent: this conversation has reached its limit of attachments.`,
  );
  await expect(button('Retry')).toBeFocused();

  await page.keyboard.press(' ');
  await expect(chat.row(file.name)).toHaveClass(/cau-item--done/);
  await expect(chat.widget.locator('.cau-live')).toContainText(`${file.name} uploaded.`);
  await expect(button('Remove')).toBeFocused();
  await expectDelivered(chat, [file], { exact: true });
  expect(unexpectedErrors(seen)).toEqual([]);
});

/** The colours (`r,g,b`) of the top row and of the middle row of a PNG screenshot, decoded by the browser. */
async function rowsOf(page: Page, png: Buffer): Promise<{ top: string[]; middle: string[] }> {
  return page.evaluate(async (bytes) => {
    const bitmap = await createImageBitmap(new Blob([new Uint8Array(bytes)], { type: 'image/png' }));
    const context = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d');
    if (!context) throw new Error('No 2D canvas.');
    context.drawImage(bitmap, 0, 0);
    const colours = (y: number) => {
      const { data } = context.getImageData(0, y, bitmap.width, 1);
      return Array.from({ length: bitmap.width }, (_, x) => data.slice(x * 4, x * 4 + 3).join(','));
    };
    return { top: colours(0), middle: colours(Math.floor(bitmap.height / 2)) };
  }, [...png]);
}

test('forced colours (Windows High Contrast): a progress bar still shows its value and its track', async ({ page }) => {
  await watch(page);
  const chat = await startChat(page);
  await page.emulateMedia({ forcedColors: 'active' });
  // A slow PUT (Chromium's own throttling, so the bar's value is the browser's): the bar stays partly filled.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 50_000 });
  const file = pdfFile('high-contrast.pdf', 800_000, 53);
  await pickFiles(chat, [file]);
  const bar = chat.row(file.name).locator('progress');
  const value = async () => Number(await bar.getAttribute('value'));
  await expect.poll(value).toBeGreaterThanOrEqual(20);
  const before = await value();
  const { top, middle } = await rowsOf(page, await bar.screenshot());
  const after = await value();
  expect(after, 'still uploading when the screenshot was taken').toBeLessThanOrEqual(80);
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await cdp.detach();

  // Away from the rounded ends: a point of the value, one of the empty track, and the track's top edge above it.
  const x = (percent: number) => Math.floor((middle.length * percent) / 100);
  const empty = middle[x((after + 100) / 2)];
  expect(middle[x(before / 2)], 'the value is drawn in another colour than the track').not.toBe(empty);
  expect(top[x((after + 100) / 2)], 'the track has a visible border').not.toBe(empty);
  await expect(chat.row(file.name)).toHaveClass(/cau-item--done/, { timeout: 60_000 });
});
