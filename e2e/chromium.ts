import type { LaunchOptions } from '@playwright/test';

/**
 * Debian's Chromium, never a downloaded browser (`CHROMIUM_PATH` overrides the path), with the flags that work
 * headless as root on a small CI machine. The one definition: playwright.config.ts, vitest.config.ts (Storybook
 * tests), the soak script and the benchmarks all launch it from here.
 */
export const chromiumLaunchOptions: LaunchOptions = {
  executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
};
