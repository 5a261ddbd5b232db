import { defineConfig } from 'vitest/config';

// Test projects: fast logic in jsdom; everything that crosses the network runs in Node against the real
// emulator (its S3 server included). Browser projects (components, stories) are added by their issues.
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
        test: {
          name: 'node',
          environment: 'node',
          include: ['emulator/**/*.test.ts', 'test/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
