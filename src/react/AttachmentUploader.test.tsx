import '@testing-library/jest-dom/vitest';
import { MutationCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import axe from 'axe-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRef, Profiler, StrictMode, type ComponentPropsWithRef, type ReactElement } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../test/helpers/fake-clock';
import { UploadError } from '../core/errors';
import { createMemoryBackend, type MemoryBackend, type MemoryBackendOptions } from '../core/memory-backend';
import type { UploadItem } from '../core/queue';
import { waitForScan } from '../core/scan';
import { AttachmentUploader, type AttachmentUploaderHandle } from './AttachmentUploader';
import { defaultMessages } from './messages';
import { COMPLETE_ATTACHMENT_UPLOAD_KEY, START_ATTACHMENT_UPLOAD_KEY } from './mutations';

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

const samples = join(process.cwd(), 'test/fixtures/samples');

/** A file whose first bytes make it a real PDF, `size` bytes long. */
function pdf(name: string, size = 1000): File {
  const head = new TextEncoder().encode('%PDF-1.7\n');
  const bytes = new Uint8Array(size);
  bytes.set(head.subarray(0, size));
  return new File([bytes], name, { type: 'application/pdf' });
}

function png(name: string): File {
  return new File([readFileSync(join(samples, 'sample.png'))], name, { type: 'image/png' });
}

function fixture(path: string, type = ''): File {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return new File([readFileSync(join(samples, path))], name, { type });
}

/** What jsdom lacks: a DataTransfer-like object as browsers hand it to drop and paste handlers. */
function transfer(files: File[], options: { types?: string[]; folders?: string[] } = {}) {
  const folders = options.folders ?? [];
  const items = [
    ...files.map((file) => ({ kind: 'file', getAsFile: () => file, webkitGetAsEntry: () => ({ isDirectory: false, name: file.name }) })),
    // Browsers hand a folder over as an unreadable File; its entry says what it is.
    ...folders.map((name) => ({
      kind: 'file',
      getAsFile: () => new File([], name),
      webkitGetAsEntry: () => ({ isDirectory: true, name }),
    })),
  ];
  return { files, items, types: options.types ?? ['Files'], dropEffect: 'none' };
}

type Props = Partial<ComponentPropsWithRef<typeof AttachmentUploader>>;

interface Setup {
  clock: FakeClock;
  backend: MemoryBackend;
  onUploaded: ReturnType<typeof vi.fn>;
  onError: ReturnType<typeof vi.fn>;
  zone: HTMLElement;
  input: HTMLInputElement;
  rerender: (props?: Props) => void;
  unmount: () => void;
}

function setup(
  props: Props = {},
  wrap: (ui: ReactElement) => ReactElement = (ui) => ui,
  backendOptions: Omit<MemoryBackendOptions, 'clock'> = {},
): Setup {
  const clock = new FakeClock();
  // 1000 bytes a second in 100-byte ticks: a 1000-byte file takes one second of fake time.
  const backend = createMemoryBackend({ clock, bytesPerSecond: 1000, latencyMs: 10, progressIntervalMs: 100, ...backendOptions });
  const onUploaded = vi.fn();
  const onError = vi.fn();
  const ui = (extra: Props) =>
    wrap(
      <AttachmentUploader
        client={backend.client}
        put={backend.put}
        clock={clock}
        random={() => 0.999}
        // The tests step fake time in tenths of a second: the UI hears of changes every 100 ms (default 250).
        progressIntervalMs={100}
        onUploaded={onUploaded}
        onError={onError}
        {...props}
        {...extra}
      />,
    );
  const view = render(ui({}));
  const zone = view.container.querySelector<HTMLElement>('.cau');
  const input = view.container.querySelector<HTMLInputElement>('input[type="file"]');
  if (!zone || !input) throw new Error('uploader not rendered');
  return { clock, backend, onUploaded, onError, zone, input, rerender: (extra = {}) => view.rerender(ui(extra)), unmount: view.unmount };
}

/** Moves fake time on, letting real async work (reading a file's head in jsdom) and React updates settle. */
async function advance(clock: FakeClock, ms: number): Promise<void> {
  await act(async () => {
    await new Promise((resolve) => setTimeout(resolve, 0));
    await clock.advance(ms);
    await new Promise((resolve) => setTimeout(resolve, 0));
  });
}

function row(name: string): HTMLElement {
  const item = screen.getAllByRole('listitem').find((li) => li.querySelector('.cau-name')?.textContent === name);
  if (!item) throw new Error(`no row for ${name}`);
  return item;
}

function status(name: string): string {
  return row(name).querySelector('.cau-status')?.textContent ?? '';
}

function errorText(name: string): string {
  return row(name).querySelector('.cau-error')?.textContent ?? '';
}

function drop(zone: HTMLElement, files: File[], options?: Parameters<typeof transfer>[1]) {
  fireEvent.dragEnter(zone, { dataTransfer: transfer(files, options) });
  fireEvent.dragOver(zone, { dataTransfer: transfer(files, options) });
  fireEvent.drop(zone, { dataTransfer: transfer(files, options) });
}

describe('<AttachmentUploader> adding files', () => {
  it('uploads a dropped file and reports it once through onUploaded, without a QueryClientProvider', async () => {
    const { clock, backend, zone, onUploaded, onError } = setup();
    drop(zone, [pdf('report.pdf')]);
    expect(row('report.pdf')).toBeInTheDocument();
    await advance(clock, 2000);

    expect(status('report.pdf')).toBe('Uploaded');
    expect(onUploaded).toHaveBeenCalledTimes(1);
    const [attachment, item] = onUploaded.mock.calls[0] ?? [];
    expect(attachment).toEqual({
      attachmentId: expect.any(String),
      name: 'report.pdf',
      sizeInBytes: 1000,
      contentType: 'application/pdf',
    });
    expect(item).toMatchObject({ name: 'report.pdf', status: 'done' });
    expect(backend.attachments()).toMatchObject([{ name: 'report.pdf', completed: true }]);
    expect(onError).not.toHaveBeenCalled();
  });

  it('shows the zone while files are dragged over it, through nested enter/leave events', () => {
    const { zone } = setup();
    const button = screen.getByRole('button', { name: 'Choose files' });
    const files = transfer([pdf('a.pdf')]);

    fireEvent.dragEnter(zone, { dataTransfer: files });
    expect(zone).toHaveClass('cau--drag-active');
    expect(screen.getByText('Release to add.')).toBeInTheDocument();
    // Moving onto a child: enter(child) comes before leave(parent); the zone must stay active.
    fireEvent.dragEnter(button, { dataTransfer: files });
    fireEvent.dragLeave(zone, { dataTransfer: files });
    expect(zone).toHaveClass('cau--drag-active');
    fireEvent.dragLeave(button, { dataTransfer: files });
    expect(zone).not.toHaveClass('cau--drag-active');
    expect(screen.getByText('Drop or paste files here.')).toBeInTheDocument();
  });

  it('ignores drags that carry no files (text, links) and lets the browser handle them', () => {
    const { zone } = setup();
    const text = { types: ['text/plain'], files: [], items: [] };
    expect(fireEvent.dragEnter(zone, { dataTransfer: text })).toBe(true);
    expect(fireEvent.dragOver(zone, { dataTransfer: text })).toBe(true);
    expect(zone).not.toHaveClass('cau--drag-active');
    expect(fireEvent.drop(zone, { dataTransfer: text })).toBe(true);
    expect(screen.queryByRole('list')).not.toBeInTheDocument();
    // A file drag, by contrast, is accepted (default prevented) as a copy.
    const files = transfer([pdf('a.pdf')]);
    expect(fireEvent.dragOver(zone, { dataTransfer: files })).toBe(false);
    expect(files.dropEffect).toBe('copy');
  });

  it('keeps a file dropped beside the zone from replacing the page', () => {
    setup();
    const outside = document.createElement('div');
    document.body.append(outside);
    // A "no drop" cursor, whatever the browser proposed.
    const files = { ...transfer([pdf('a.pdf')]), dropEffect: 'copy' };
    expect(fireEvent.dragOver(outside, { dataTransfer: files })).toBe(false);
    expect(files.dropEffect).toBe('none');
    expect(fireEvent.drop(outside, { dataTransfer: transfer([pdf('a.pdf')]) })).toBe(false);
    // Text drags elsewhere on the page are none of our business.
    expect(fireEvent.dragOver(outside, { dataTransfer: { types: ['text/plain'] } })).toBe(true);
    outside.remove();
  });

  it("leaves file drops to the page's own drop targets and native file inputs", () => {
    setup();
    const native = document.body.appendChild(document.createElement('input'));
    native.type = 'file';
    expect(fireEvent.dragOver(native, { dataTransfer: transfer([pdf('a.pdf')]) })).toBe(true);
    expect(fireEvent.drop(native, { dataTransfer: transfer([pdf('a.pdf')]) })).toBe(true);
    // A drop area of the host's (it accepts the drag as a copy) keeps its cursor.
    const area = document.body.appendChild(document.createElement('div'));
    area.addEventListener('dragover', (event) => {
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
    });
    const files = transfer([pdf('a.pdf')]);
    fireEvent.dragOver(area, { dataTransfer: files });
    expect(files.dropEffect).toBe('copy');
    native.remove();
    area.remove();
  });

  it('takes pasted files and leaves pasted text alone', async () => {
    const { clock, zone } = setup();
    const button = screen.getByRole('button', { name: 'Choose files' });
    expect(fireEvent.paste(button, { clipboardData: { types: ['text/plain'], files: [], items: [] } })).toBe(true);
    expect(screen.queryByRole('list')).not.toBeInTheDocument();

    expect(fireEvent.paste(zone, { clipboardData: transfer([png('screenshot.png')]) })).toBe(false);
    await advance(clock, 2000);
    expect(status('screenshot.png')).toBe('Uploaded');
  });

  it('leaves text pasted into a text field alone, even with a picture of itself (cells copied from a spreadsheet)', async () => {
    const { clock, zone } = setup();
    const field = zone.appendChild(document.createElement('textarea'));
    const cells = () => transfer([png('cells.png')], { types: ['text/plain', 'text/html', 'Files'] });
    expect(fireEvent.paste(field, { clipboardData: cells() })).toBe(true);
    expect(screen.queryByRole('list')).not.toBeInTheDocument();
    // The same clipboard pasted on the zone itself (no text field to take the text) is a file.
    expect(fireEvent.paste(zone, { clipboardData: cells() })).toBe(false);
    await advance(clock, 2000);
    expect(status('cells.png')).toBe('Uploaded');
  });

  it('opens the native picker from a real button (click, Enter, Space) and uploads what is picked', async () => {
    const { clock, input, onUploaded } = setup({ accept: ['.pdf', 'image/png'] });
    const user = userEvent.setup();
    const button = screen.getByRole('button', { name: 'Choose files' });
    const click = vi.spyOn(input, 'click');

    await user.click(button);
    button.focus();
    await user.keyboard('{Enter}');
    await user.keyboard(' ');
    expect(click).toHaveBeenCalledTimes(3);

    expect(input).toHaveAttribute('accept', '.pdf,application/pdf,.png,image/png');
    expect(input).toHaveAttribute('multiple');
    // The input is not a second control: hidden from the tab order and the accessibility tree.
    expect(input).not.toBeVisible();
    expect(input.tabIndex).toBe(-1);

    await user.upload(input, [pdf('picked.pdf'), png('picked.png')]);
    await advance(clock, 3000);
    expect(onUploaded).toHaveBeenCalledTimes(2);
    expect(status('picked.pdf')).toBe('Uploaded');
    expect(status('picked.png')).toBe('Uploaded');
  });

  it('states the accepted types and the size limit in the zone, in human units', () => {
    setup({ accept: ['.pdf', 'image/png'], maxFileSizeBytes: 5 * 1024 * 1024 });
    const button = screen.getByRole('button', { name: 'Choose files' });
    expect(screen.getByText('Accepted: PDF or PNG, up to 5 MB each.')).toBeInTheDocument();
    expect(button).toHaveAccessibleDescription('Drop or paste files here. Accepted: PDF or PNG, up to 5 MB each.');
  });

  it('sends the first Start requests before reading the sizes of the rest of a big drop, and lists every file in order', async () => {
    // A picked or dropped file's size is a synchronous call to the browser: reading 25 of them must not come first.
    const log: string[] = [];
    const files = Array.from({ length: 25 }, (_, index) => {
      const file = pdf(`file-${index + 1}.pdf`);
      const { size } = file;
      let read = false;
      Object.defineProperty(file, 'size', {
        get: () => {
          if (!read) log.push(`size ${file.name}`);
          read = true;
          return size;
        },
      });
      return file;
    });
    const { clock, backend, zone, rerender } = setup({ maxConcurrentUploads: 2 });
    rerender({
      client: {
        ...backend.client,
        startUpload: (request, options) => {
          log.push(`start ${request.name}`);
          return backend.client.startUpload(request, options);
        },
      },
    });
    drop(zone, files);
    // The rest arrive over the next tasks; the list shows them with the next notification.
    await advance(clock, 100);

    const sizes = (from: number, to: number) => files.slice(from, to).map((file) => `size ${file.name}`);
    expect(log).toEqual([...sizes(0, 10), 'start file-1.pdf', 'start file-2.pdf', ...sizes(10, 25)]);
    expect(screen.getAllByRole('listitem').map((li) => li.querySelector('.cau-name')?.textContent)).toEqual(files.map((file) => file.name));
    expect(status('file-3.pdf')).toBe('Waiting');
  });

  it('takes only the first file when multiple is false, and says so: announced, and shown until the next gesture', () => {
    const { zone, input } = setup({ multiple: false });
    const notice = () => zone.querySelector('.cau-notice');
    expect(input).not.toHaveAttribute('multiple');
    expect(screen.getByRole('button', { name: 'Choose a file' })).toBeInTheDocument();
    drop(zone, [pdf('one.pdf')]);
    expect(notice()).toBeNull();

    drop(zone, [pdf('two.pdf'), pdf('three.pdf'), pdf('four.pdf')]);
    expect(screen.getAllByRole('listitem').map((li) => li.querySelector('.cau-name')?.textContent)).toEqual(['one.pdf', 'two.pdf']);
    const text = 'Only one file can be added at a time: 2 other files were left out.';
    expect(document.querySelector('[aria-live="polite"]')).toHaveTextContent(text);
    // Seen as well as heard: outside the visually hidden live region.
    expect(notice()).toHaveTextContent(text);
    expect(notice()?.closest('[aria-live]')).toBeNull();

    fireEvent.change(input, { target: { files: [pdf('five.pdf')] } });
    expect(row('five.pdf')).toBeInTheDocument();
    expect(notice()).toBeNull();
  });

  it('ignores drops, pastes and the picker while disabled', async () => {
    const { zone, input } = setup({ disabled: true });
    const user = userEvent.setup();
    const button = screen.getByRole('button', { name: 'Choose files' });
    expect(button).toBeDisabled();
    const click = vi.spyOn(input, 'click');
    await user.click(button);
    expect(click).not.toHaveBeenCalled();
    const files = transfer([pdf('a.pdf')]);
    // Still handled (so the browser does not open the file), but refused.
    expect(fireEvent.dragOver(zone, { dataTransfer: files })).toBe(false);
    expect(files.dropEffect).toBe('none');
    fireEvent.drop(zone, { dataTransfer: files });
    fireEvent.paste(zone, { clipboardData: transfer([pdf('b.pdf')]) });
    expect(zone).toHaveClass('cau--disabled');
    expect(screen.queryByRole('list')).not.toBeInTheDocument();
  });
});

describe('<AttachmentUploader> rejections', () => {
  it.each([
    ['an empty file', () => new File([], 'empty.pdf'), 'file-empty', '“empty.pdf” is empty (0 bytes).'],
    ['a file over the limit', () => pdf('big.pdf', 6 * 1024), 'file-too-large', '“big.pdf” is too large: 6 KB, and the limit is 5 KB.'],
    [
      'a name over 256 characters',
      () => pdf(`${'n'.repeat(253)}.pdf`),
      'name-too-long',
      `The name “${'n'.repeat(47)}…nnnnnnnn.pdf” is too long: 257 characters, and the limit is 256. Rename the file and try again.`,
    ],
    [
      'a name with a control character',
      () => pdf('bad\u0007name.pdf'),
      'name-invalid',
      'The name “bad\uFFFDname.pdf” contains characters that cannot be sent (control characters, / or \\). Rename the file and try again.',
    ],
    [
      'a type Connect does not take',
      () => new File(['MZ'], 'setup.exe'),
      'type-not-allowed',
      '“setup.exe” cannot be sent: .exe files are not accepted. Accepted: PDF or PNG.',
    ],
    [
      'a Windows program renamed .pdf',
      () => fixture('hostile/exe-as.pdf', 'application/pdf'),
      'type-mismatch',
      '“exe-as.pdf” is not a PDF: its content looks like a Windows program.',
    ],
    [
      'a Linux program renamed .png',
      () => fixture('hostile/elf-as.png', 'image/png'),
      'type-mismatch',
      '“elf-as.png” is not a PNG: its content looks like a Linux program.',
    ],
  ])('refuses %s in plain words and reports it once', async (_, makeFile, code, message) => {
    const { clock, zone, onError, backend } = setup({ accept: ['.pdf', '.png'], maxFileSizeBytes: 5 * 1024 });
    const file = makeFile();
    drop(zone, [file]);
    await advance(clock, 100);

    const name = screen.getAllByRole('listitem')[0]?.querySelector('.cau-name')?.textContent ?? '';
    expect(status(name)).toBe('Not added');
    expect(errorText(name)).toBe(message);
    expect(onError).toHaveBeenCalledTimes(1);
    const [error, reportedFile, item] = onError.mock.calls[0] ?? [];
    expect(error).toBeInstanceOf(UploadError);
    expect(error).toMatchObject({ code });
    expect(reportedFile).toBe(file);
    expect(item).toMatchObject({ status: 'rejected' });
    // Not a byte of the file was sent: the cheap checks refuse before any request, the content check (which runs
    // while Start is in flight) before any PUT or Complete. And nothing to retry.
    const contentCheck = code === 'type-mismatch';
    expect(backend.calls().map((call) => call.operation)).toEqual(contentCheck ? ['start'] : []);
    expect(within(row(name)).queryByRole('button', { name: /^Retry/ })).not.toBeInTheDocument();
    expect(within(row(name)).getByRole('button', { name: `Remove ${name}` })).toBeInTheDocument();
  });

  it('refuses a dropped folder with a clear message instead of reading it', async () => {
    const { clock, zone, backend } = setup();
    drop(zone, [pdf('inside.pdf')], { folders: ['Holiday photos'] });
    await advance(clock, 2000);
    expect(status('Holiday photos')).toBe('Not added');
    expect(errorText('Holiday photos')).toBe('“Holiday photos” is a folder. Open it and add the files inside instead.');
    expect(status('inside.pdf')).toBe('Uploaded');
    expect(backend.attachments()).toHaveLength(1);
  });

  it('renders a hostile file name as text, never as markup', async () => {
    const name = '<img src=x onerror=alert(1)>.png';
    const { clock, zone } = setup();
    drop(zone, [fixture(`hostile/${name}`, 'image/png')]);
    await advance(clock, 2000);
    expect(status(name)).toBe('Uploaded');
    expect(document.querySelector('img[src="x"]')).toBeNull();
  });
});

describe('<AttachmentUploader> progress and actions', () => {
  it('shows a labelled progress bar whose value follows the bytes sent, up to 100 when done', async () => {
    const { clock, zone } = setup();
    drop(zone, [pdf('report.pdf', 1000)]);
    const bar = () => within(row('report.pdf')).getByRole('progressbar', { name: 'Upload progress of report.pdf' });
    // Waiting for its turn and being checked: no value yet (indeterminate).
    // (A native <progress>: browsers expose its min, 0, and its max, 100, to assistive technology.)
    expect(bar()).not.toHaveAttribute('value');
    expect(bar()).toHaveAttribute('max', '100');

    const seen: number[] = [];
    for (let elapsed = 0; elapsed < 1500; elapsed += 100) {
      await advance(clock, 100);
      const now = bar().getAttribute('value');
      if (now !== null) seen.push(Number(now));
    }
    expect(seen.some((value) => value > 0 && value < 100)).toBe(true);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    expect(bar()).toHaveAttribute('value', '100');
    expect(bar()).toHaveValue(100);
    expect(status('report.pdf')).toBe('Uploaded');
  });

  it('shows the percentage and bytes in words while uploading', async () => {
    const { clock, zone } = setup();
    drop(zone, [pdf('report.pdf', 1000)]);
    await advance(clock, 10);
    await advance(clock, 10);
    await advance(clock, 500);
    const item = row('report.pdf');
    expect(status('report.pdf')).toBe('Uploading');
    const now = Number(within(item).getByRole('progressbar').getAttribute('value'));
    expect(now).toBeGreaterThan(0);
    expect(now).toBeLessThan(100);
    expect(item.querySelector('.cau-percent')).toHaveTextContent(`${now} % · ${now * 10} B of 1,000 B`);
    expect(within(item).getByRole('progressbar')).toHaveAttribute('aria-valuetext', `${now} %`);
  });

  it('cancels an active upload: nothing is completed, and it can be retried', async () => {
    const { clock, zone, backend, onError, onUploaded } = setup();
    const user = userEvent.setup();
    drop(zone, [pdf('report.pdf', 1000)]);
    await advance(clock, 300);
    await user.click(screen.getByRole('button', { name: 'Cancel report.pdf' }));
    await advance(clock, 2000);

    expect(status('report.pdf')).toBe('Cancelled');
    expect(backend.attachments().some((a) => a.completed)).toBe(false);
    expect(onError).not.toHaveBeenCalled();
    expect(screen.queryByRole('button', { name: 'Cancel report.pdf' })).not.toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Retry report.pdf' }));
    await advance(clock, 2000);
    expect(status('report.pdf')).toBe('Uploaded');
    expect(onUploaded).toHaveBeenCalledTimes(1);
  });

  it('retries a failed upload after the engine gave up, and reports each outcome once', async () => {
    const { clock, zone, backend, onError, onUploaded } = setup();
    const user = userEvent.setup();
    backend.inject({ kind: 'fail', operation: 'start', error: 'access-denied' });
    drop(zone, [pdf('report.pdf')]);
    await advance(clock, 100);

    expect(status('report.pdf')).toBe('Failed');
    expect(errorText('report.pdf')).toBe(
      '“report.pdf” could not be sent: sending files is not allowed in this conversation (it may have ended).',
    );
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError.mock.calls[0]?.[0]).toMatchObject({ code: 'access-denied' });

    await user.click(screen.getByRole('button', { name: 'Retry report.pdf' }));
    await advance(clock, 2000);
    expect(status('report.pdf')).toBe('Uploaded');
    expect(onUploaded).toHaveBeenCalledTimes(1);
    expect(onError).toHaveBeenCalledTimes(1);
  });

  it('counts down to the next try while retrying, with one timer for the whole list', async () => {
    const { clock, zone, backend } = setup({ retryPolicy: { baseDelayMs: 3000, maxDelayMs: 3000 } });
    backend.inject({ kind: 'fail', operation: 'put', error: 'network', count: 2 });
    drop(zone, [pdf('a.pdf'), pdf('b.pdf')]);
    await advance(clock, 10);
    await advance(clock, 10);
    await advance(clock, 100);
    // The queue tells the UI at most once per 100 ms: the failure shows on the next notification.
    await advance(clock, 100);

    // random 0.999 × 3000 ms: the try is due in 2997 ms.
    expect(status('a.pdf')).toBe('Connection lost — retrying in 3 s');
    expect(status('b.pdf')).toBe('Connection lost — retrying in 3 s');
    // Two engine waits and one countdown timer, not one per row.
    expect(clock.pending).toBe(3);
    await advance(clock, 997);
    expect(status('a.pdf')).toBe('Connection lost — retrying in 2 s');
    await advance(clock, 1000);
    expect(status('b.pdf')).toBe('Connection lost — retrying in 1 s');
    await advance(clock, 3000);
    expect(status('a.pdf')).toBe('Uploaded');
    expect(status('b.pdf')).toBe('Uploaded');
  });

  it('shows a fresh upload link being fetched, with its cause and countdown', async () => {
    const { clock, zone, backend } = setup({ retryPolicy: { baseDelayMs: 3000, maxDelayMs: 3000 } });
    backend.inject({ kind: 'expire' });
    drop(zone, [pdf('report.pdf')]);
    await advance(clock, 10);
    await advance(clock, 10);
    // The refresh's own Start is throttled: the wait belongs to the refresh.
    backend.inject({ kind: 'fail', operation: 'start', error: 'throttled' });
    // 120 ms to the throttled Start, then up to 100 ms to the queue's next notification.
    await advance(clock, 220);
    expect(status('report.pdf')).toBe('Service busy — getting a new upload link in 3 s');
    await advance(clock, 5000);
    expect(status('report.pdf')).toBe('Uploaded');
    expect(backend.attachments().map((a) => a.completed)).toEqual([false, true]);
  });

  it('re-renders only the rows that changed on a progress tick', async () => {
    const formatSize = vi.fn((bytes: number, exact?: boolean) => defaultMessages.formatSize(bytes, exact));
    const { clock, zone } = setup({ messages: { formatSize } });
    drop(zone, [pdf('small.pdf', 1111)]);
    await advance(clock, 2000);
    expect(status('small.pdf')).toBe('Uploaded');
    drop(zone, [pdf('large.pdf', 3000)]);
    await advance(clock, 500);
    const renders = () => formatSize.mock.calls.filter(([bytes]) => bytes === 1111).length;
    const before = renders();
    const progressBefore = within(row('large.pdf')).getByRole('progressbar').getAttribute('value');
    await advance(clock, 1000);
    expect(within(row('large.pdf')).getByRole('progressbar').getAttribute('value')).not.toBe(progressBefore);
    expect(renders()).toBe(before);
  });

  it('keeps rows memoized when the host passes equal messages as a new object, and applies changed ones', async () => {
    const formatSize = vi.fn((bytes: number, exact?: boolean) => defaultMessages.formatSize(bytes, exact));
    const words = () => ({ formatSize, status: { done: 'Sent' }, errors: {} });
    const { clock, zone, rerender } = setup({ messages: words() });
    drop(zone, [pdf('a.pdf', 1111)]);
    await advance(clock, 2000);
    const renders = () => formatSize.mock.calls.filter(([bytes]) => bytes === 1111).length;
    const before = renders();
    rerender({ messages: words() });
    expect(renders()).toBe(before);
    rerender({ messages: { ...words(), status: { done: 'Delivered' } } });
    expect(status('a.pdf')).toBe('Delivered');
  });

  it('commits at most once per progress interval while uploading, milestones and outcomes included', async () => {
    let commits = 0;
    const { clock, zone } = setup({ maxConcurrentUploads: 1 }, (ui) => (
      <Profiler id="uploader" onRender={() => (commits += 1)}>
        {ui}
      </Profiler>
    ));
    commits = 0;
    let lastCommitAt = clock.now();
    const startedAt = clock.now();
    // One after the other, ~1 s each: status changes 10 ms apart (the Start and Complete latency) between
    // progress ticks, ~30 progress ticks and 9 announcements.
    drop(zone, [pdf('a.pdf', 1050), pdf('b.pdf', 1050), pdf('c.pdf', 1050)]);
    // Small steps: each `act` flushes its updates as one commit, so a big step would hide extra commits.
    for (let i = 0, seen = 0; i < 400; i++, seen = commits) {
      await advance(clock, 10);
      if (commits > seen) lastCommitAt = clock.now();
    }
    expect(['a.pdf', 'b.pdf', 'c.pdf'].map(status)).toEqual(['Uploaded', 'Uploaded', 'Uploaded']);
    // The drop's own commit, then at most one per 100 ms.
    expect(commits).toBeGreaterThan(5);
    expect(commits).toBeLessThanOrEqual(2 + Math.floor((lastCommitAt - startedAt) / 100));
  });

  it('gives a ref that adds files (e.g. pasted into the host chat input) and opens the picker', async () => {
    const ref = createRef<AttachmentUploaderHandle>();
    const { clock, input } = setup({ ref });
    const click = vi.spyOn(input, 'click');
    act(() => ref.current?.openFilePicker());
    expect(click).toHaveBeenCalledTimes(1);
    act(() => {
      ref.current?.addFiles([pdf('from-host.pdf')]);
    });
    await advance(clock, 2000);
    expect(status('from-host.pdf')).toBe('Uploaded');
  });

  it("applies disabled and multiple to the files the ref's addFiles is given, as to a drop", () => {
    const ref = createRef<AttachmentUploaderHandle>();
    const { rerender } = setup({ ref, disabled: true });
    expect(ref.current?.addFiles([pdf('a.pdf')])).toEqual([]);
    expect(screen.queryByRole('list')).not.toBeInTheDocument();

    rerender({ ref, disabled: false, multiple: false });
    act(() => {
      expect(ref.current?.addFiles([pdf('one.pdf'), pdf('two.pdf')]).map((item) => item.name)).toEqual(['one.pdf']);
    });
    expect(screen.getAllByRole('listitem')).toHaveLength(1);
    expect(document.querySelector('[aria-live="polite"]')).toHaveTextContent('Only one file can be added at a time: 1 other file was left out.');
    expect(document.querySelector('.cau-notice')).toHaveTextContent('Only one file can be added at a time: 1 other file was left out.');
  });

  it('removes a row and revokes its thumbnail URL; unmounting revokes the rest', async () => {
    let next = 0;
    const create = vi.spyOn(URL, 'createObjectURL').mockImplementation(() => `blob:thumb-${++next}`);
    const revoke = vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => undefined);
    const { clock, zone, unmount } = setup();
    const user = userEvent.setup();
    drop(zone, [png('one.png'), png('two.png'), pdf('doc.pdf')]);
    await advance(clock, 3000);

    expect(row('one.png').querySelector('img')).toHaveAttribute('src', 'blob:thumb-1');
    expect(row('two.png').querySelector('img')).toHaveAttribute('src', 'blob:thumb-2');
    expect(row('doc.pdf').querySelector('img')).toBeNull();
    // Once per item, however many progress renders happened.
    expect(create).toHaveBeenCalledTimes(2);

    await user.click(screen.getByRole('button', { name: 'Remove one.png' }));
    expect(screen.queryByText('one.png')).not.toBeInTheDocument();
    expect(revoke).toHaveBeenCalledTimes(1);
    expect(revoke).toHaveBeenLastCalledWith('blob:thumb-1');

    unmount();
    expect(revoke).toHaveBeenCalledTimes(2);
    expect(revoke).toHaveBeenLastCalledWith('blob:thumb-2');
  });
});

describe('<AttachmentUploader> messages, live region and react-query', () => {
  it('takes partial custom messages and keeps the defaults for the rest', async () => {
    const { clock, zone } = setup({
      messages: {
        chooseFiles: 'Fichiers…',
        status: { done: 'Envoyé' },
        errors: { 'file-empty': ({ name }) => `« ${name} » est vide.` },
      },
    });
    expect(screen.getByRole('button', { name: 'Fichiers…' })).toBeInTheDocument();
    drop(zone, [new File([], 'vide.pdf'), pdf('plein.pdf')]);
    await advance(clock, 2000);
    expect(errorText('vide.pdf')).toBe('« vide.pdf » est vide.');
    expect(status('plein.pdf')).toBe('Envoyé');
    expect(status('vide.pdf')).toBe('Not added');
  });

  it('announces milestones and outcomes through one polite live region, not every percent', async () => {
    const { clock, zone, backend } = setup();
    const regions = document.querySelectorAll('[aria-live]');
    expect(regions).toHaveLength(1);
    const region = regions[0] as HTMLElement;
    expect(region).toHaveAttribute('aria-live', 'polite');
    const heard: string[] = [];
    const observer = new MutationObserver(() => heard.push(region.textContent ?? ''));
    observer.observe(region, { childList: true, characterData: true, subtree: true });

    drop(zone, [pdf('report.pdf', 1000)]);
    await advance(clock, 2000);
    backend.inject({ kind: 'fail', operation: 'complete', error: 'quota-exceeded' });
    drop(zone, [pdf('second.pdf', 1000), new File([], 'empty.pdf')]);
    await advance(clock, 2000);
    observer.disconnect();

    expect(heard).toEqual([
      'Uploading report.pdf.',
      'report.pdf: half uploaded.',
      'report.pdf uploaded.',
      'Not added. “empty.pdf” is empty (0 bytes).',
      'Uploading second.pdf.',
      'second.pdf: half uploaded.',
      'Upload failed. “second.pdf” could not be sent: this conversation has reached its limit of attachments.',
    ]);
  });

  it('says "half uploaded" only of a file that uploads alone, not of each in a batch', async () => {
    const { clock, zone } = setup();
    const region = document.querySelector('[aria-live]') as HTMLElement;
    const heard: string[] = [];
    const observer = new MutationObserver(() => heard.push(region.textContent ?? ''));
    observer.observe(region, { childList: true, characterData: true, subtree: true });

    drop(zone, [pdf('a.pdf', 1000), pdf('b.pdf', 1000), pdf('c.pdf', 1000)]);
    await advance(clock, 2000);
    observer.disconnect();

    const said = heard.join(' ');
    for (const name of ['a.pdf', 'b.pdf', 'c.pdf']) {
      expect(said).toContain(`Uploading ${name}.`);
      expect(said).toContain(`${name} uploaded.`);
    }
    expect(said).not.toContain('half uploaded');
  });

  it('announces each run of a retried file anew: its failure or cancellation again', async () => {
    const { clock, zone, backend } = setup();
    const region = document.querySelector('[aria-live]') as HTMLElement;
    const heard: string[] = [];
    const observer = new MutationObserver(() => heard.push(region.textContent ?? ''));
    observer.observe(region, { childList: true, characterData: true, subtree: true });
    const press = (action: string) => fireEvent.click(within(row('r.pdf')).getByRole('button', { name: `${action} r.pdf` }));

    backend.inject({ kind: 'fail', operation: 'start', error: 'validation', count: 2 });
    drop(zone, [pdf('r.pdf', 1000)]);
    await advance(clock, 100);
    press('Retry');
    await advance(clock, 100);
    press('Retry');
    await advance(clock, 300);
    press('Cancel');
    await advance(clock, 100);
    press('Retry');
    await advance(clock, 300);
    press('Cancel');
    await advance(clock, 100);
    observer.disconnect();

    const failed = 'Upload failed. “r.pdf” could not be sent: the service refused it.';
    // Said again, it ends with a no-break space: otherwise the region would not change.
    expect(heard).toEqual([failed, `${failed}\u00a0`, 'Uploading r.pdf.', 'Upload of r.pdf cancelled.', 'Uploading r.pdf.', 'Upload of r.pdf cancelled.']);
  });

  it('announces every milestone even when throttled notifications skip the steps in between', async () => {
    const { clock, zone, backend } = setup({ progressIntervalMs: 5000 });
    const region = document.querySelector('[aria-live]') as HTMLElement;
    backend.inject({ kind: 'fail', operation: 'put', error: 'network', count: 2 });
    drop(zone, [pdf('quick.pdf', 200)]);
    await advance(clock, 20_000);
    // One notification at the drop, the next 5 s later: by then two failed tries and the upload itself are over.
    expect(region).toHaveTextContent(/^Uploading quick\.pdf\. quick\.pdf uploaded\.$/);
    expect(status('quick.pdf')).toBe('Uploaded');
  });

  it("runs Start and Complete as named mutations in the host's QueryClient, never retried by react-query", async () => {
    const seen: unknown[] = [];
    const queryClient = new QueryClient({
      // A host default that must not apply to our calls: the engine owns retries (same ClientToken).
      defaultOptions: { mutations: { retry: 3 } },
      mutationCache: new MutationCache({ onSettled: (_data, _error, _variables, _context, mutation) => seen.push(mutation.options.mutationKey) }),
    });
    const { clock, zone, backend } = setup({}, (ui) => <QueryClientProvider client={queryClient}>{ui}</QueryClientProvider>);
    backend.inject({ kind: 'fail', operation: 'start', error: 'validation' });
    drop(zone, [pdf('refused.pdf')]);
    await advance(clock, 100);
    expect(status('refused.pdf')).toBe('Failed');
    expect(backend.calls().filter((call) => call.operation === 'start')).toHaveLength(1);

    drop(zone, [pdf('report.pdf')]);
    await advance(clock, 2000);
    expect(status('report.pdf')).toBe('Uploaded');
    expect(seen).toEqual([START_ATTACHMENT_UPLOAD_KEY, START_ATTACHMENT_UPLOAD_KEY, COMPLETE_ATTACHMENT_UPLOAD_KEY]);

    const mutations = queryClient.getMutationCache().getAll();
    expect(mutations.map((m) => m.options.mutationKey)).toEqual(seen);
    for (const mutation of mutations) expect(mutation.options.retry).toBe(false);
    // The variables are the requests themselves (what Devtools shows), never the client.
    expect(mutations[1]?.state.variables).toEqual({
      name: 'report.pdf',
      sizeInBytes: 1000,
      contentType: 'application/pdf',
      clientToken: expect.any(String),
    });
    expect(mutations[2]?.state.variables).toEqual({ attachmentId: expect.any(String), clientToken: expect.any(String) });
    expect(mutations[2]?.state.status).toBe('success');
  });

  it('leaves no settled mutation in the cache once its gcTime is over', async () => {
    const queryClient = new QueryClient({ defaultOptions: { mutations: { gcTime: 20 } } });
    const { clock, zone } = setup({}, (ui) => <QueryClientProvider client={queryClient}>{ui}</QueryClientProvider>);
    drop(zone, [pdf('report.pdf')]);
    await advance(clock, 2000);
    expect(status('report.pdf')).toBe('Uploaded');
    // react-query's gc runs on real timers.
    await vi.waitFor(() => expect(queryClient.getMutationCache().getAll()).toEqual([]));
  });

  it('works under StrictMode (the queue survives the double mount), dropped or picked', async () => {
    const { clock, zone, input, onUploaded } = setup({}, (ui) => <StrictMode>{ui}</StrictMode>);
    drop(zone, [pdf('strict.pdf')]);
    await advance(clock, 2000);
    expect(status('strict.pdf')).toBe('Uploaded');
    // The input's props are memoized: they must reach the queue that replaced the first mount's.
    await userEvent.setup({ delay: null }).upload(input, pdf('picked.pdf'));
    await advance(clock, 2000);
    expect(status('picked.pdf')).toBe('Uploaded');
    expect(onUploaded).toHaveBeenCalledTimes(2);
  });

  it('keeps the same <input> props while files upload, so React does not touch the input on progress renders', async () => {
    const { clock, zone, input } = setup();
    const changes: string[] = [];
    new MutationObserver((records) => changes.push(...records.map((record) => String(record.attributeName)))).observe(input, {
      attributes: true,
    });
    drop(zone, [pdf('large.pdf', 5000)]);
    await advance(clock, 2500);
    // Several progress renders happened.
    expect(Number(within(row('large.pdf')).getByRole('progressbar').getAttribute('value'))).toBeGreaterThan(30);
    expect(changes).toEqual([]);
  });

  it('applies new props to the queue: a narrowed accept refuses what it allowed before', async () => {
    const { clock, zone, rerender } = setup();
    rerender({ accept: ['.png'] });
    expect(screen.getByText('Accepted: PNG, up to 20 MB each.')).toBeInTheDocument();
    drop(zone, [pdf('report.pdf')]);
    await advance(clock, 100);
    expect(errorText('report.pdf')).toBe('“report.pdf” cannot be sent: .pdf files are not accepted. Accepted: PNG.');
  });

  it('passes axe-core with files in every state', async () => {
    const { clock, zone, backend } = setup();
    backend.inject({ kind: 'fail', operation: 'start', error: 'server', count: Infinity });
    drop(zone, [new File([], 'empty.pdf'), pdf('failing.pdf')]);
    await advance(clock, 60_000);
    backend.clearFaults();
    drop(zone, [png('done.png'), pdf('active.pdf', 100_000)]);
    await advance(clock, 3000);
    expect(status('failing.pdf')).toBe('Failed');
    expect(status('done.png')).toBe('Uploaded');
    expect(status('active.pdf')).toBe('Uploading');

    // jsdom cannot compute colours; `region` (all page content inside landmarks) is the host page's duty.
    const results = await axe.run(document.body, {
      rules: { 'color-contrast': { enabled: false }, region: { enabled: false } },
    });
    expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.html).join(', ')}`)).toEqual([]);
    // The zone is no control of its own: the button is the only tab stop before the rows' actions.
    expect(zone).not.toHaveAttribute('tabindex');
    expect(zone).not.toHaveAttribute('role');
  });
});

describe('<AttachmentUploader> malware scan (awaitScan)', () => {
  const scan = { scanMs: 3000, scanOutcome: ({ name }: { name: string }) => (name.startsWith('eicar') ? 'REJECTED' : 'APPROVED') } as const;

  it('shows scanning after Complete, then the outcome; a refused file is not shown as a success', async () => {
    const onScanned = vi.fn<(item: UploadItem) => void>();
    const { clock, zone, onUploaded } = setup({ awaitScan: waitForScan, onScanned }, undefined, scan);
    drop(zone, [pdf('report.pdf'), pdf('eicar.pdf')]);
    await advance(clock, 2000);

    expect(status('report.pdf')).toBe('Scanning for malware');
    expect(onUploaded).toHaveBeenCalledTimes(2);
    // Already attached: nothing to cancel, but the row can go.
    expect(within(row('report.pdf')).queryByRole('button', { name: 'Cancel report.pdf' })).not.toBeInTheDocument();
    expect(within(row('report.pdf')).getByRole('button', { name: 'Remove report.pdf' })).toBeInTheDocument();
    expect(within(row('report.pdf')).getByRole('progressbar')).toHaveAttribute('value', '100');

    await advance(clock, 10_000);
    expect(status('report.pdf')).toBe('Uploaded and scanned');
    expect(row('report.pdf')).toHaveClass('cau-item--done');
    expect(status('eicar.pdf')).toBe('Refused by the malware scan');
    expect(row('eicar.pdf')).toHaveClass('cau-item--scan-refused');
    expect(row('eicar.pdf')).not.toHaveClass('cau-item--done');
    expect(within(row('eicar.pdf')).queryByRole('progressbar')).not.toBeInTheDocument();
    expect(onScanned.mock.calls.map(([item]) => `${item.name} ${item.scanStatus}`).sort()).toEqual([
      'eicar.pdf REJECTED',
      'report.pdf APPROVED',
    ]);
  });

  it('announces the scan and its outcome', async () => {
    const { clock, zone } = setup({ awaitScan: waitForScan }, undefined, scan);
    const region = document.querySelector('[aria-live]') as HTMLElement;
    const heard: string[] = [];
    const observer = new MutationObserver(() => heard.push(region.textContent ?? ''));
    observer.observe(region, { childList: true, characterData: true, subtree: true });
    drop(zone, [pdf('eicar.pdf', 1000)]);
    await advance(clock, 12_000);
    observer.disconnect();
    expect(heard).toEqual([
      'Uploading eicar.pdf.',
      'eicar.pdf: half uploaded.',
      'eicar.pdf: scanning for malware.',
      'eicar.pdf: Refused by the malware scan.',
    ]);
  });

  it('says the scan result is unknown when the wait for it gives up', async () => {
    const { clock, zone, backend, onError } = setup({ awaitScan: waitForScan });
    const denied = new UploadError('access-denied', 'Denied.', { status: 403 });
    vi.spyOn(backend.client, 'getAttachment').mockRejectedValue(denied);
    drop(zone, [pdf('report.pdf')]);
    await advance(clock, 3000);
    expect(status('report.pdf')).toBe('Uploaded, scan result unknown');
    expect(onError).toHaveBeenCalledWith(denied, expect.any(File), expect.objectContaining({ status: 'done' }));
  });
});
