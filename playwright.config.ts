import { defineConfig } from '@playwright/test';
import { chromiumLaunchOptions } from './e2e/chromium';

// Browser tests against the real demo (src/demo/server.ts: the emulator, the production build, the strict CSP),
// in Debian's Chromium: no browser is ever downloaded. e2e/global-setup.ts starts the server on a free port.
export default defineConfig({
  testDir: 'e2e',
  globalSetup: './e2e/global-setup.ts',
  timeout: 90_000,
  expect: { timeout: 20_000 },
  forbidOnly: Boolean(process.env['CI']),
  retries: 0,
  // Two cores: one browser at a time keeps timings honest.
  workers: 1,
  reporter: process.env['CI'] ? 'line' : 'list',
  outputDir: 'test-results',
  use: {
    browserName: 'chromium',
    headless: true,
    // No traces: they would store request headers, the ConnectionToken among them.
    trace: 'off',
    screenshot: 'only-on-failure',
    launchOptions: chromiumLaunchOptions,
  },
});
