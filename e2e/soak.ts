/**
 * `npm run soak [-- --uploads N] [--batch B] [--no-stalls]`: the soak at full size (default 300 uploads) through
 * Debian's Chromium against the demo and its emulator, started here on free ports with throwaway data. Prints the
 * figures; exits 1 if an upload failed even after Retry, was lost, misreported, duplicated or corrupted, or was given
 * up with retries left.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import { startDemoServer } from '../src/demo/server';
import { chromiumLaunchOptions } from './chromium';
import { formatReport, runSoak, soakPassed } from './soak-core';
import { startChat } from './support';

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`--${name} must be a positive integer, not ${JSON.stringify(value)}.`);
  return parsed;
}

async function main(): Promise<number> {
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  const { values } = parseArgs({
    options: { uploads: { type: 'string' }, batch: { type: 'string' }, 'no-stalls': { type: 'boolean' } },
    strict: true,
  });
  const uploads = positive('uploads', values.uploads, 300);
  const batchSize = positive('batch', values.batch, 25);
  const dir = await mkdtemp(join(tmpdir(), 'soak-'));
  const demo = await startDemoServer({ port: 0, dataDir: join(dir, 'data'), outDir: join(dir, 'web') });
  const browser = await chromium.launch(chromiumLaunchOptions);
  try {
    process.env['DEMO_URL'] = demo.url;
    const page = await browser.newPage();
    const chat = await startChat(page, 'Soak');
    process.stdout.write(`soak: ${uploads} uploads in batches of ${batchSize}, ~30 % of PUTs faulted\n`);
    const report = await runSoak(chat, {
      uploads,
      batchSize,
      stalls: values['no-stalls'] !== true,
      onProgress: (done, total) => process.stdout.write(`  ${done}/${total} settled\n`),
    });
    process.stdout.write(`${formatReport(report)}\n`);
    const passed = soakPassed(report);
    process.stdout.write(passed ? 'soak: PASS\n' : 'soak: FAIL (uploads failed, lost, misreported, duplicated or corrupted, or given up with retries left)\n');
    return passed ? 0 : 1;
  } finally {
    await browser.close();
    await demo.close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`soak: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
