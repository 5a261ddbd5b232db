import { expect, test } from '@playwright/test';
import { formatReport, gaveUpEarly, runSoak } from './soak-core';
import { startChat, unexpectedErrors, watch } from './support';

/** The soak, short (`npm run soak` is the full one): SOAK_UPLOADS uploads, default 50, without stalls. */
test('soak: uploads under ~30 % faulted PUTs and throttled Starts arrive once and intact', async ({ page }) => {
  test.setTimeout(240_000);
  const uploads = Number(process.env['SOAK_UPLOADS'] ?? 50);
  const seen = await watch(page);
  const chat = await startChat(page, 'Soak');
  const report = await runSoak(chat, { uploads, batchSize: 25 });
  test.info().annotations.push({ type: 'soak', description: formatReport(report) });

  expect(report).toMatchObject({ attempted: uploads, completed: uploads, failed: 0, lost: 0, misreported: 0, duplicated: 0, corrupted: 0 });
  expect(gaveUpEarly(report)).toEqual([]);
  // The faults really happened, and were survived by retries and fresh URLs.
  expect(report.serverFaultedPuts / report.serverPuts).toBeGreaterThan(0.15);
  expect(report.putRetries).toBeGreaterThan(0);
  expect(report.urlRefreshes).toBeGreaterThan(0);
  expect(report.apiRetries).toBeGreaterThan(0);
  expect(seen.violations).toEqual([]);
  expect(unexpectedErrors(seen)).toEqual([]);
});
