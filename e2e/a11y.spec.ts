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

  // Remove it from the keyboard; the list and the focus stay usable.
  await tabTo(page, 'button', 'Remove exe-as.pdf');
  await page.keyboard.press('Enter');
  await expect(widget.locator('.cau-item')).toHaveCount(1);

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
  await chat.faults({ put: { bandwidthBytesPerSecond: 30_000 } });
  await pickFiles(chat, [file]);
  await expect(chat.row(file.name)).toHaveClass(/cau-item--uploading/);

  await tabTo(page, 'button', `Cancel ${file.name}`);
  await page.keyboard.press('Enter');
  await expect(chat.row(file.name)).toHaveClass(/cau-item--cancelled/);
  await expect(chat.widget.locator('.cau-live')).toContainText(`Upload of ${file.name} cancelled.`);

  await chat.faults({ put: { bandwidthBytesPerSecond: 0 }, failStart: { count: 1, status: 402, errorType: 'ServiceQuotaExceededException' } });
  await tabTo(page, 'button', `Retry ${file.name}`, 'Shift+Tab');
  await page.keyboard.press('Enter');
  await expect(chat.row(file.name)).toHaveClass(/cau-item--failed/);
  await expect(chat.widget.locator('.cau-live')).toContainText(
    `Upload failed. “${file.name}” could not be sent: this conversation has reached its limit of attachments.`,
  );

  await tabTo(page, 'button', `Retry ${file.name}`, 'Shift+Tab');
  await page.keyboard.press(' ');
  await expect(chat.row(file.name)).toHaveClass(/cau-item--done/);
  await expect(chat.widget.locator('.cau-live')).toContainText(`${file.name} uploaded.`);
  await expectDelivered(chat, [file], { exact: true });
  expect(unexpectedErrors(seen)).toEqual([]);
});
