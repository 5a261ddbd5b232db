// @vitest-environment node
// Server rendering under React 18 (the react18 project aliases react and react-dom to test/react18/node_modules).
import { format } from 'node:util';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { version } from 'react';
import { renderToString, version as serverVersion } from 'react-dom/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AttachmentUploader } from '../../src';
import { createMemoryBackend } from '../../src/core/memory-backend';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('renderToString under React 18', () => {
  it('runs React 18 and react-dom/server 18, in Node (no DOM)', () => {
    expect(version).toMatch(/^18\./);
    expect(serverVersion).toMatch(/^18\./);
    expect(typeof document).toBe('undefined');
  });

  it('renders the uploader without a React warning', () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const backend = createMemoryBackend();
    const html = renderToString(
      <QueryClientProvider client={new QueryClient()}>
        <AttachmentUploader client={backend.client} put={backend.put} />
      </QueryClientProvider>,
    );
    expect(html).toContain('Choose files');
    expect(html).toContain('type="file"');
    // React's dev warnings go to console.error as a format string and its arguments: shown whole on failure.
    expect(errors.mock.calls.map((args) => format(...args))).toEqual([]);
  });
});
