// The peer range's low end: the uploader under React 18 (the react18 project aliases react and react-dom to
// test/react18/node_modules). No Testing Library: its CommonJS build would load the repo's React 19.
import { QueryClient, QueryClientProvider, useIsMutating } from '@tanstack/react-query';
import { act, StrictMode, version, type ReactElement } from 'react';
import { version as domVersion } from 'react-dom';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AttachmentUploader } from '../../src';
import { createMemoryBackend } from '../../src/core/memory-backend';
import { COMPLETE_ATTACHMENT_UPLOAD_KEY, START_ATTACHMENT_UPLOAD_KEY } from '../../src/react/mutations';
import { FakeClock } from '../helpers/fake-clock';

declare global {
  var IS_REACT_ACT_ENVIRONMENT: boolean | undefined;
}

beforeAll(() => {
  globalThis.IS_REACT_ACT_ENVIRONMENT = true;
});

let root: Root | undefined;
afterEach(() => {
  act(() => root?.unmount());
  root = undefined;
  document.body.innerHTML = '';
  vi.restoreAllMocks();
});

function pdf(name: string, size = 1000): File {
  const bytes = new Uint8Array(size);
  bytes.set(new TextEncoder().encode('%PDF-1.7\n'));
  return new File([bytes], name, { type: 'application/pdf' });
}

/** Calls a react-query hook: it would throw (invalid hook call) were react-query on another React than the renderer. */
function MutatingCount() {
  return <output className="mutating">{useIsMutating()}</output>;
}

async function advance(clock: FakeClock, ms: number): Promise<void> {
  await act(async () => {
    await new Promise((resolve) => setTimeout(resolve, 0));
    await clock.advance(ms);
    await new Promise((resolve) => setTimeout(resolve, 0));
  });
}

async function uploadOne(wrap: (ui: ReactElement) => ReactElement) {
  const errors = vi.spyOn(console, 'error');
  const clock = new FakeClock();
  const backend = createMemoryBackend({ clock, bytesPerSecond: 1000, latencyMs: 10, progressIntervalMs: 100 });
  const queryClient = new QueryClient();
  const onUploaded = vi.fn();
  const onError = vi.fn();
  const container = document.body.appendChild(document.createElement('div'));
  root = createRoot(container);
  act(() =>
    root?.render(
      wrap(
        <QueryClientProvider client={queryClient}>
          <MutatingCount />
          <AttachmentUploader
            client={backend.client}
            put={backend.put}
            clock={clock}
            random={() => 0.999}
            progressIntervalMs={100}
            onUploaded={onUploaded}
            onError={onError}
          />
        </QueryClientProvider>,
      ),
    ),
  );
  const input = container.querySelector<HTMLInputElement>('input[type="file"]');
  if (!input) throw new Error('uploader not rendered');

  // What a pick in the native dialog does: the input's files change, then a change event.
  Object.defineProperty(input, 'files', { configurable: true, value: [pdf('report.pdf')] });
  act(() => void input.dispatchEvent(new Event('change', { bubbles: true })));
  await advance(clock, 2000);

  expect(container.querySelector('.cau-status')?.textContent).toBe('Uploaded');
  expect(container.querySelector('.cau-item')).toHaveProperty('className', 'cau-item cau-item--done');
  expect(onUploaded).toHaveBeenCalledTimes(1);
  expect(onUploaded.mock.calls[0]?.[1]).toMatchObject({ name: 'report.pdf', status: 'done' });
  expect(onError).not.toHaveBeenCalled();
  expect(backend.attachments()).toMatchObject([{ name: 'report.pdf', completed: true }]);
  // Start and Complete ran in the provider's client: the context crossed from react-query to the uploader.
  expect(queryClient.getMutationCache().getAll().map((mutation) => mutation.options.mutationKey)).toEqual([
    START_ATTACHMENT_UPLOAD_KEY,
    COMPLETE_ATTACHMENT_UPLOAD_KEY,
  ]);
  expect(container.querySelector('.mutating')?.textContent).toBe('0');
  // No act() warnings, no invalid-hook calls, no React 19-only API used.
  expect(errors).not.toHaveBeenCalled();
}

describe('under React 18', () => {
  it('runs React 18 and react-dom 18', () => {
    expect(version).toMatch(/^18\./);
    expect(domVersion).toMatch(/^18\./);
  });

  it('uploads a picked file to done inside a QueryClientProvider', async () => {
    await uploadOne((ui) => ui);
  });

  it('uploads a picked file to done under StrictMode', async () => {
    await uploadOne((ui) => <StrictMode>{ui}</StrictMode>);
  });
});
