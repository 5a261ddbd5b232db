import { fileURLToPath } from 'node:url';
import { storybookTest } from '@storybook/addon-vitest/vitest-plugin';
import react from '@vitejs/plugin-react';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { chromiumLaunchOptions } from './e2e/chromium.ts';

const chromium = playwright({ launchOptions: chromiumLaunchOptions });

// React 18 (the low end of the peer range) as installed by the test/react18 workspace, beside the repo's React 19.
const react18 = (name: string) => fileURLToPath(new URL(`./test/react18/node_modules/${name}`, import.meta.url));

// Test projects: fast logic in jsdom; everything that crosses the network runs in Node against the real
// emulator (its S3 server included); the Storybook stories, their play functions and a11y checks run in Chromium.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          environment: 'jsdom',
          include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
        },
      },
      {
        // The sources, the tests and react-query (inlined: Vite resolves its `react` import, not Node) see React 18;
        // react-dom 18 is left to Node, which finds React 18 beside it.
        resolve: { alias: { react: react18('react'), 'react-dom': react18('react-dom') } },
        test: {
          name: 'react18',
          environment: 'jsdom',
          include: ['test/react18/*.test.tsx'],
          server: { deps: { inline: ['@tanstack/react-query'] } },
        },
      },
      {
        test: {
          name: 'node',
          environment: 'node',
          include: ['emulator/**/*.test.ts', 'test/**/*.test.ts'],
          // As in the demo server: the AWS SDK's notice that its releases after January 2027 need Node 22 (these
          // pins are older) would otherwise repeat for every test file.
          env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        plugins: [react(), storybookTest({ configDir: fileURLToPath(new URL('./.storybook', import.meta.url)) })],
        test: {
          name: 'storybook',
          browser: {
            enabled: true,
            headless: true,
            provider: chromium,
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
