import AxeBuilder from '@axe-core/playwright';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';
import { SAMPLES, demoUrl, giveFiles, sample, setAttachedFileFaults, sha256, watch } from './support';

/**
 * The demo's agent view: files attached to a case through `createAttachedFileClient` in backend mode (the demo
 * server signs and forwards), each followed through the emulator's malware scan, in Chromium under the strict CSP.
 */

interface ForwardedCall {
  operation: string;
  input: { FileId?: string };
  status: number;
  reply: { FileStatus?: string; DownloadUrlMetadata?: unknown };
}

/** Every call the page made to the host backend, with its reply, as the network saw them. */
function recordBackendCalls(page: Page): ForwardedCall[] {
  const calls: ForwardedCall[] = [];
  page.on('response', async (response) => {
    if (!response.url().endsWith('/demo-api/attached-files')) return;
    const { operation, input } = response.request().postDataJSON() as Pick<ForwardedCall, 'operation' | 'input'>;
    calls.push({ operation, input, status: response.status(), reply: (await response.json()) as ForwardedCall['reply'] });
  });
  return calls;
}

async function openAgentView(page: Page) {
  const response = await page.goto(demoUrl());
  expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
  const toggle = page.getByRole('button', { name: 'Agent', exact: true });
  // From the keyboard: the view switch is a plain button.
  await toggle.focus();
  await page.keyboard.press('Enter');
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByRole('region', { name: 'Support chat' })).toBeHidden();
  const agent = page.getByRole('region', { name: 'Agent: case files' });
  await expect(agent.getByText(/^arn:aws:cases:us-east-1:\d{12}:domain\/.+\/case\/.+$/)).toBeVisible();
  return {
    agent,
    file: (name: string) => agent.locator('.demo-item--case-file').filter({ has: page.getByText(name, { exact: true }) }),
  };
}

test('a PDF attached to a case ends APPROVED and downloads intact; the EICAR file ends REJECTED with no download', async ({ page }) => {
  const seen = await watch(page);
  const calls = recordBackendCalls(page);
  const { agent, file } = await openAgentView(page);

  // One dropped on the uploader's zone, one picked with its file input.
  const pdf = await sample('sample.pdf');
  await giveFiles(agent.locator('.cau-zone'), [{ ...pdf, type: 'application/pdf' }]);
  await agent.locator('.cau input[type="file"]').setInputFiles(`${SAMPLES}hostile/eicar.txt`);

  await expect(file('sample.pdf')).toContainText('Scanned: clean (APPROVED)');
  await expect(file('eicar.txt')).toContainText('Rejected by the malware scan (REJECTED)');
  await expect(file('eicar.txt').getByRole('button')).toHaveCount(0);

  // The list polled GetAttachedFile through the backend and saw the scan itself: PROCESSING, then the verdict,
  // with a download URL for the approved file only.
  const gets = () => {
    const byFile = new Map<string, ForwardedCall[]>();
    for (const call of calls) {
      const fileId = call.input.FileId;
      if (call.operation === 'GetAttachedFile' && fileId) byFile.set(fileId, [...(byFile.get(fileId) ?? []), call]);
    }
    return [...byFile.values()];
  };
  const statusChanges = () =>
    gets()
      .map((list) => list.map((call) => call.reply.FileStatus).filter((status, index, all) => index === 0 || status !== all[index - 1]))
      .sort();
  await expect.poll(statusChanges).toEqual([
    ['PROCESSING', 'APPROVED'],
    ['PROCESSING', 'REJECTED'],
  ]);
  const rejected = gets().filter((list) => list.some((call) => call.reply.FileStatus === 'REJECTED')).flat();
  expect(rejected.map((call) => call.reply.DownloadUrlMetadata)).toEqual(rejected.map(() => undefined));

  const downloaded = page.waitForEvent('download');
  await file('sample.pdf').getByRole('button', { name: 'Download sample.pdf' }).click();
  const download = await downloaded;
  expect(download.suggestedFilename()).toBe('sample.pdf');
  expect(sha256(await readFile(await download.path()))).toBe(sha256(pdf.bytes));

  const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']).analyze();
  expect(axe.violations.map((violation) => ({ rule: violation.id, nodes: violation.nodes.map((node) => node.target.join(' ')) }))).toEqual([]);
  expect(seen.violations).toEqual([]);
  expect(seen.errors).toEqual([]);
});

test('switching views keeps the chat and the case, and the backend signs only for this page and its own cases', async ({ page }) => {
  const { agent } = await openAgentView(page);
  const arn = (await agent.locator('.demo-case-arn').textContent()) ?? '';
  await page.getByRole('button', { name: 'Customer chat' }).click();
  await expect(page.getByRole('region', { name: 'Support chat' })).toBeVisible();
  await page.getByRole('button', { name: 'Agent', exact: true }).click();
  await expect(agent.locator('.demo-case-arn')).toHaveText(arn);

  const post = (path: string, body: unknown, origin?: string) =>
    fetch(new URL(path, demoUrl()), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(origin ? { Origin: origin } : {}) },
      body: JSON.stringify(body),
    });
  const get = (associatedResourceArn: string) => ({
    operation: 'GetAttachedFile',
    input: { InstanceId: 'ignored', AssociatedResourceArn: associatedResourceArn, FileId: 'no-such-file' },
  });

  // Another site: refused before anything is signed, for cases too.
  expect((await post('demo-api/attached-files', get(arn), 'https://attacker.example')).status).toBe(403);
  expect((await post('demo-api/cases', {}, 'https://attacker.example')).status).toBe(403);
  // A case this server did not create, or an operation outside the four: refused as Connect would.
  const otherCase = arn.replace(/case\/.+$/, 'case/someone-elses');
  const foreign = await post('demo-api/attached-files', get(otherCase));
  expect(foreign.status).toBe(403);
  expect(foreign.headers.get('x-amzn-errortype')).toBe('AccessDeniedException');
  const other = await post('demo-api/attached-files', { operation: 'DeleteInstance', input: { AssociatedResourceArn: arn } });
  expect(other.status).toBe(400);
  // Its own case goes through to Connect (the emulator), whose error comes back as Connect sent it.
  const missing = await post('demo-api/attached-files', get(arn));
  expect(missing.status).toBe(404);
  expect(missing.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
  // Throttled, with the wait Connect asked for: the page's client honours Retry-After only if it gets it. Three
  // times, as the backend's own AWS SDK client tries a throttled call three times before it gives up.
  await setAttachedFileFaults(arn, { throttleStart: { count: 3, retryAfterSeconds: 2 } });
  const start = {
    operation: 'StartAttachedFileUpload',
    // A fresh token: the emulator outlives a run (--repeat-each), and a token reused for another case is a 409.
    input: { AssociatedResourceArn: arn, ClientToken: randomUUID(), FileName: 'a.txt', FileSizeInBytes: 1, FileUseCaseType: 'ATTACHMENT' },
  };
  const throttled = await post('demo-api/attached-files', start);
  expect(throttled.status).toBe(429);
  expect(throttled.headers.get('x-amzn-errortype')).toBe('ThrottlingException');
  expect(throttled.headers.get('retry-after')).toBe('2');
  expect((await post('demo-api/attached-files', start)).status).toBe(200);
});
