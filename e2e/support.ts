/**
 * Shared helpers of the browser tests: the demo page (served by global-setup.ts under its strict CSP), its chat,
 * the emulator's per-contact control API, and a Node-side look at what really arrived (GetTranscript and the
 * object bytes in S3 through GetAttachment), so every flow is checked on the server, not only on screen.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, type JSHandle, type Locator, type Page } from '@playwright/test';
import type { ContactSnapshot } from '../emulator/control';
import type { AttachedFileFaultsUpdate } from '../emulator/attached-files';
import type { FaultsUpdate } from '../emulator/state';
import type { DemoConfig, StartChatReply } from '../src/demo/config';

export type { ContactSnapshot };

export const SAMPLES = fileURLToPath(new URL('../test/fixtures/samples/', import.meta.url));

/** Every type Connect accepts, one real sample file each (test/fixtures/samples/manifest.json). */
export const SAMPLE_NAMES = [
  'sample.csv', 'sample.doc', 'sample.docx', 'sample.heic', 'sample.jfif', 'sample.jpeg', 'sample.jpg', 'sample.mov',
  'sample.mp4', 'sample.pdf', 'sample.png', 'sample.ppt', 'sample.pptx', 'sample.rtf', 'sample.txt', 'sample.wav',
  'sample.xls', 'sample.xlsx',
] as const;

export function demoUrl(): string {
  const url = process.env['DEMO_URL'];
  if (!url) throw new Error('DEMO_URL is not set: run the tests with `npx playwright test` (global-setup.ts starts the demo).');
  return url;
}

export const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** A file to hand to the page: its name as the browser will see it, and its bytes. */
export interface FileSpec {
  name: string;
  bytes: Uint8Array;
  /** `File.type`; the library never trusts it, so it is usually left empty. */
  type?: string;
}

export async function sample(path: string): Promise<FileSpec> {
  return { name: basename(path), bytes: await readFile(`${SAMPLES}${path}`) };
}

/**
 * Plain text of exactly `size` bytes, different for every `seed` (so a duplicate or a swapped object would show in
 * the sha256): lines of hex from a small deterministic generator.
 */
export function textFile(name: string, size: number, seed: number): FileSpec {
  const bytes = new Uint8Array(size);
  let state = (seed * 2654435761 + 1) >>> 0;
  const hex = '0123456789abcdef';
  for (let i = 0; i < size; i++) {
    if (i % 64 === 63) {
      bytes[i] = 0x0a;
      continue;
    }
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    bytes[i] = hex.charCodeAt(state >>> 28);
  }
  return { name, bytes };
}

/** A file that a PDF reader (and the type check) takes for a PDF: the header, then text padding. */
export function pdfFile(name: string, size: number, seed: number): FileSpec {
  const file = textFile(name, size, seed);
  file.bytes.set(new TextEncoder().encode('%PDF-1.4\n'), 0);
  return file;
}

// ---------------------------------------------------------------------------------------------------------------
// Watching the page

export interface Watch {
  /** CSP violations the page reported (`securitypolicyviolation`). */
  violations: string[];
  /** Console errors and uncaught exceptions. */
  errors: string[];
  /** Every URL the page requested. */
  requests: string[];
  /** Everything the page logged, of any level. */
  console: string[];
  /** The ConnectionTokens CreateParticipantConnection handed the page, read from the network (never the page). */
  connectionTokens: string[];
  /** `window.alert` and friends: markup in a file name must never run. */
  dialogs: string[];
}

/**
 * Listens to the page before it loads: CSP violations, console, requests, dialogs, the page's ConnectionToken,
 * and (in the page) long tasks, live-region announcements and per-file progress — see `instruments`.
 */
export async function watch(page: Page): Promise<Watch> {
  const result: Watch = { violations: [], errors: [], requests: [], console: [], connectionTokens: [], dialogs: [] };
  await page.exposeFunction('reportCspViolation', (text: string) => result.violations.push(text));
  await page.addInitScript(instrumentPage);
  page.on('console', (message) => {
    result.console.push(message.text());
    if (message.type() === 'error') result.errors.push(message.text());
  });
  page.on('pageerror', (error) => result.errors.push(error.message));
  page.on('request', (request) => result.requests.push(request.url()));
  page.on('dialog', (dialog) => {
    result.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('response', async (response) => {
    if (!response.url().endsWith('/participant/connection') || !response.ok()) return;
    const body = (await response.json()) as { ConnectionCredentials?: { ConnectionToken?: string } };
    const token = body.ConnectionCredentials?.ConnectionToken;
    if (token) result.connectionTokens.push(token);
  });
  return result;
}

/** Console errors other than the browser's own report of a refused or reset request (faults do that on purpose). */
export function unexpectedErrors(seen: Watch): string[] {
  return seen.errors.filter((line) => !/Failed to load resource|net::ERR_/.test(line));
}

interface ProgressSample {
  name: string;
  value: number | null;
  status: string;
}

export interface Instruments {
  /** Durations (ms) of long tasks, with their start (performance.now()). */
  longTasks: { start: number; duration: number }[];
  /** Each new text of the uploader's live region. */
  announcements: string[];
  /** Every change of a row's progress value or status, in order. */
  progress: ProgressSample[];
}

/** Runs in the page before its scripts (an init script: no closure, only what it declares itself). */
function instrumentPage(): void {
  const store: Instruments = { longTasks: [], announcements: [], progress: [] };
  Object.defineProperty(window, '__e2e', { value: store });
  document.addEventListener('securitypolicyviolation', (event) => {
    const report = (window as unknown as { reportCspViolation(text: string): void }).reportCspViolation;
    report(`${event.effectiveDirective} blocked ${event.blockedURI || 'inline'}`);
  });
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) store.longTasks.push({ start: entry.startTime, duration: entry.duration });
  }).observe({ type: 'longtask', buffered: true });
  const last = new Map<string, string>();
  let lastAnnouncement = '';
  const scan = () => {
    const live = document.querySelector('.cau-live');
    const text = live?.textContent ?? '';
    if (text !== '' && text !== lastAnnouncement) store.announcements.push(text);
    lastAnnouncement = text;
    for (const row of document.querySelectorAll('.cau-item')) {
      const name = row.querySelector('.cau-name')?.textContent ?? '';
      const bar = row.querySelector('progress');
      const value = bar && bar.hasAttribute('value') ? Number(bar.getAttribute('value')) : null;
      const status = /cau-item--(\w+)/.exec(row.className)?.[1] ?? '';
      const key = `${value}|${status}`;
      if (last.get(name) === key) continue;
      last.set(name, key);
      store.progress.push({ name, value, status });
    }
  };
  const start = () => new MutationObserver(scan).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start);
}

export function instruments(page: Page): Promise<Instruments> {
  return page.evaluate(() => structuredClone((window as unknown as { __e2e: Instruments }).__e2e));
}

// ---------------------------------------------------------------------------------------------------------------
// The chat, its emulator contact, and what arrived

export interface TranscriptAttachment {
  attachmentId: string;
  name: string;
  status?: string;
}

export interface Chat {
  page: Page;
  widget: Locator;
  /** The page's transcript (`role=log`). */
  transcript: Locator;
  contactId: string;
  /** The emulator's per-contact faults (`POST /_emulator/contacts/{id}/faults`); answers the contact's state. */
  faults(update: FaultsUpdate): Promise<ContactSnapshot>;
  state(): Promise<ContactSnapshot>;
  /** The uploader's row of a file, by its exact shown name. */
  row(name: string): Locator;
  /** The transcript entry of an attachment, by its exact shown name. */
  entry(name: string): Locator;
  /** The component's file input (the picker's input). */
  input: Locator;
  /** Every attachment of the chat's transcript, read in Node with a connection of its own (all pages). */
  attachments(): Promise<TranscriptAttachment[]>;
  /** The object's bytes, through GetAttachment and its presigned GET. */
  download(attachmentId: string): Promise<Buffer>;
}

let configPromise: Promise<DemoConfig> | undefined;

function demoConfig(): Promise<DemoConfig> {
  configPromise ??= fetch(new URL('demo-api/config', demoUrl())).then((response) => response.json() as Promise<DemoConfig>);
  return configPromise;
}

/** The emulator's faults of one associated resource (`POST /_emulator/attached-files/faults`), for the agent view. */
export async function setAttachedFileFaults(associatedResourceArn: string, faults: AttachedFileFaultsUpdate): Promise<void> {
  const { controlEndpoint } = await demoConfig();
  if (!controlEndpoint) throw new Error('The demo runs without the emulator: no control endpoint.');
  const response = await fetch(`${controlEndpoint}/attached-files/faults`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ associatedResourceArn, ...faults }),
  });
  expect(response.status).toBe(200);
}

/** Opens the demo, starts a chat (its own emulator contact), waits until the page is connected. */
export async function startChat(page: Page, displayName = 'Playwright'): Promise<Chat> {
  const config = await demoConfig();
  const response = await page.goto(demoUrl());
  expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
  await page.getByLabel('Your name').fill(displayName);
  const started = page.waitForResponse((reply) => reply.url().endsWith('/demo-api/start-chat'));
  await page.getByRole('button', { name: 'Start chat' }).click();
  const reply = (await (await started).json()) as StartChatReply;
  const widget = page.getByRole('region', { name: 'Support chat' });
  await expect(widget.getByText('Connected', { exact: true })).toBeVisible();
  const transcript = page.getByRole('log', { name: 'Transcript' });
  await expect(transcript).toContainText(`${displayName} joined the chat`);
  return chatOf(page, config, reply, widget, transcript);
}

function exactly(text: string): RegExp {
  return new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
}

function chatOf(page: Page, config: DemoConfig, reply: StartChatReply, widget: Locator, transcript: Locator): Chat {
  const { controlEndpoint, participantEndpoint } = config;
  if (!controlEndpoint) throw new Error('The demo runs without the emulator: no control endpoint.');
  const contactUrl = `${controlEndpoint}/contacts/${encodeURIComponent(reply.contactId)}`;
  const control = async (method: string, path: string, body?: unknown): Promise<ContactSnapshot> => {
    const response = await fetch(`${contactUrl}${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`Emulator control ${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as ContactSnapshot;
  };

  // The test's own ConnectionToken (from the same ParticipantToken), renewed when the page's faults expire it.
  let token: Promise<string> | undefined;
  const connect = async (): Promise<string> => {
    const body = (await participantCall(participantEndpoint, '/participant/connection', reply.participantToken, {
      Type: ['CONNECTION_CREDENTIALS'],
    })) as { ConnectionCredentials: { ConnectionToken: string } };
    return body.ConnectionCredentials.ConnectionToken;
  };
  const call = async (path: string, body: object): Promise<unknown> => {
    token ??= connect();
    try {
      return await participantCall(participantEndpoint, path, await token, body);
    } catch (error) {
      if (!(error instanceof ParticipantCallError && error.status === 403)) throw error;
      token = connect();
      return participantCall(participantEndpoint, path, await token, body);
    }
  };

  return {
    page,
    widget,
    transcript,
    contactId: reply.contactId,
    faults: (update) => control('POST', '/faults', update),
    state: () => control('GET', ''),
    row: (name) => widget.locator('.cau-item').filter({ has: page.locator('.cau-name', { hasText: exactly(name) }) }),
    entry: (name) =>
      transcript.locator('.demo-item--attachment').filter({ has: page.locator('.demo-file-name', { hasText: exactly(name) }) }),
    input: widget.locator('.cau input[type="file"]'),
    async attachments() {
      const found: TranscriptAttachment[] = [];
      let nextToken: string | undefined;
      do {
        const reply = (await call('/participant/transcript', {
          MaxResults: 100,
          ScanDirection: 'FORWARD',
          SortOrder: 'ASCENDING',
          ...(nextToken ? { NextToken: nextToken } : {}),
        })) as { Transcript: { Type: string; Attachments?: { AttachmentId: string; AttachmentName: string; Status?: string }[] }[]; NextToken?: string };
        for (const item of reply.Transcript) {
          if (item.Type !== 'ATTACHMENT') continue;
          for (const a of item.Attachments ?? []) {
            found.push({ attachmentId: a.AttachmentId, name: a.AttachmentName, ...(a.Status ? { status: a.Status } : {}) });
          }
        }
        nextToken = reply.NextToken;
      } while (nextToken);
      return found;
    },
    async download(attachmentId) {
      const { Url } = (await call('/participant/attachment', { AttachmentId: attachmentId, UrlExpiryInSeconds: 60 })) as { Url: string };
      const response = await fetch(Url);
      if (!response.ok) throw new Error(`GET of attachment ${attachmentId} answered ${response.status}`);
      return Buffer.from(await response.arrayBuffer());
    },
  };
}

class ParticipantCallError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

async function participantCall(endpoint: string, path: string, bearer: string, body: object): Promise<unknown> {
  const response = await fetch(`${endpoint}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Amz-Bearer': bearer },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  // The error names the operation and status only: never the bearer.
  if (!response.ok) throw new ParticipantCallError(`${path} answered ${response.status}: ${text.slice(0, 200)}`, response.status);
  return JSON.parse(text) as unknown;
}

/**
 * Waits until each file is in the transcript exactly once (and nothing else when `exact`), then checks the
 * object bytes in S3 against the file's sha256, and that the page's transcript shows it once.
 */
export async function expectDelivered(chat: Chat, files: readonly FileSpec[], options: { exact?: boolean; timeout?: number } = {}): Promise<void> {
  const wanted = new Set(files.map((file) => file.name));
  await expect
    .poll(async () => (await chat.attachments()).filter((a) => wanted.has(a.name)).length, { timeout: options.timeout ?? 30_000 })
    .toBeGreaterThanOrEqual(files.length);
  const attachments = await chat.attachments();
  if (options.exact) expect(attachments.map((a) => a.name).sort()).toEqual([...wanted].sort());
  const byName = new Map<string, TranscriptAttachment[]>();
  for (const a of attachments) byName.set(a.name, [...(byName.get(a.name) ?? []), a]);
  const pending = [...files];
  const worker = async () => {
    for (let file = pending.shift(); file; file = pending.shift()) {
      const arrived = byName.get(file.name) ?? [];
      expect(arrived, `${file.name} arrives once`).toHaveLength(1);
      const [only] = arrived;
      expect(only?.status, `${file.name} is approved`).toBe('APPROVED');
      expect(sha256(await chat.download(only?.attachmentId ?? '')), `${file.name} arrives intact`).toBe(sha256(file.bytes));
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  // The page's own transcript (its newest 100 items) shows them once too.
  if (files.length <= 50) {
    for (const file of files) await expect(chat.entry(file.name)).toHaveCount(1);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Giving files to the page

type Gesture = 'drop' | 'paste';

/**
 * Files built in the page into a real `DataTransfer`, then dropped on `target` (dragenter, dragover, drop, as a
 * browser fires them) or pasted into it (a `paste` ClipboardEvent).
 */
export async function giveFiles(target: Locator, files: readonly FileSpec[], gesture: Gesture = 'drop'): Promise<void> {
  const transfer = await transferOf(target.page(), files);
  if (gesture === 'paste') {
    await target.evaluate((node, data) => {
      node.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    }, transfer);
  } else {
    await dropTransfer(target, transfer);
  }
  await transfer.dispose();
}

/** A real `DataTransfer` in the page holding `files` (built there from their bytes). */
export function transferOf(page: Page, files: readonly FileSpec[]): Promise<JSHandle<DataTransfer>> {
  return page.evaluateHandle(
    (specs) => {
      const data = new DataTransfer();
      for (const spec of specs) {
        const bytes = Uint8Array.from(atob(spec.base64), (char) => char.charCodeAt(0));
        data.items.add(new File([bytes], spec.name, { type: spec.type }));
      }
      return data;
    },
    files.map((file) => ({ name: file.name, type: file.type ?? '', base64: Buffer.from(file.bytes).toString('base64') })),
  );
}

/** dragenter, dragover and drop on `target`, as a browser fires them for a drop. */
export async function dropTransfer(target: Locator, transfer: JSHandle<DataTransfer>): Promise<void> {
  for (const type of ['dragenter', 'dragover', 'drop']) await target.dispatchEvent(type, { dataTransfer: transfer });
}

/**
 * A drop of files and folders from disk the way the OS delivers it (Chromium's own drag pipeline through the
 * DevTools protocol): the page gets real disk-backed Files and real FileSystemEntries (a folder is a directory).
 * `items` are other dragged data, e.g. text.
 */
export async function dropPaths(target: Locator, paths: readonly string[], items: readonly { mimeType: string; data: string }[] = []): Promise<void> {
  const page = target.page();
  await target.scrollIntoViewIfNeeded();
  const box = await target.boundingBox();
  if (!box) throw new Error('The drop target is not visible.');
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  const cdp = await page.context().newCDPSession(page);
  const data = { items: [...items], files: [...paths], dragOperationsMask: 1 };
  for (const type of ['dragEnter', 'dragOver', 'drop'] as const) await cdp.send('Input.dispatchDragEvent', { type, x, y, data });
  await cdp.detach();
}

/** Picks the files with the component's own `<input type=file>`, as the file chooser would. */
export async function pickFiles(chat: Chat, files: readonly FileSpec[]): Promise<void> {
  await chat.input.setInputFiles(
    files.map((file) => ({ name: file.name, mimeType: file.type ?? '', buffer: Buffer.from(file.bytes) })),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// The ConnectionToken

/**
 * The page's ConnectionToken is nowhere it could leak: not in a URL it requested (or its resource timings), the
 * console, the DOM (markup, attribute and form values), storage, cookies, IndexedDB or the window name.
 */
export async function expectTokenNowhere(page: Page, seen: Watch): Promise<void> {
  expect(seen.connectionTokens.length).toBeGreaterThan(0);
  for (const token of seen.connectionTokens) {
    expect(token.length).toBeGreaterThan(20);
    const leaks = (texts: readonly string[]) => texts.filter((text) => text.includes(token) || text.includes(encodeURIComponent(token)));
    expect(leaks(seen.requests), 'requested URLs').toEqual([]);
    expect(leaks(seen.console), 'console').toEqual([]);
    const inPage = await page.evaluate(async () => {
      const values = [...document.querySelectorAll('input, textarea')].map((node) => (node as HTMLInputElement).value);
      const attributes = [...document.querySelectorAll('*')].flatMap((node) => [...node.attributes].map((attribute) => attribute.value));
      const databases = typeof indexedDB.databases === 'function' ? (await indexedDB.databases()).map((db) => db.name ?? '') : [];
      return [
        document.documentElement.outerHTML,
        document.title,
        ...values,
        ...attributes,
        JSON.stringify({ ...localStorage }),
        JSON.stringify({ ...sessionStorage }),
        document.cookie,
        window.name,
        location.href,
        ...performance.getEntriesByType('resource').map((entry) => entry.name),
        ...databases,
      ];
    });
    expect(leaks(inPage), 'DOM, storage and timings').toEqual([]);
  }
}
