/**
 * The bench page: the real `<AttachmentUploader>` (built from src/ like a host app would, with React's production
 * build; commits are counted through a DevTools hook) and two reference uploaders, driven by bench/run.ts through
 * `window.__bench`.
 * Every method runs the same protocol (Start → PUT → Complete); requests are timed where they are handed to the
 * browser (`XMLHttpRequest.send`, `fetch`) and where they end, on one clock.
 */
// First: it must be in place before react-dom loads.
import { listenToCommits } from './commit-hook';
import { flushSync } from 'react-dom';
import { createRoot } from 'react-dom/client';
import '../../src/react/styles.css';
import { AttachmentUploader, createParticipantClient, type AttachmentClient, type UploadError, type UploadedAttachment } from '../../src/index';
import type { BenchApi, Method, PageConfig, RunResult, RunSpec } from '../protocol';

declare global {
  interface Window {
    __bench?: BenchApi;
  }
}

const START_PATH = '/participant/start-attachment-upload';
const COMPLETE_PATH = '/participant/complete-attachment-upload';

type SpanKind = 'starts' | 'puts' | 'completes' | 'reads';

interface Run {
  spec: RunSpec;
  result: RunResult;
  finished: Promise<RunResult>;
  finish: () => void;
}

let config: PageConfig | undefined;
let client: AttachmentClient | undefined;
let current: Run | undefined;
let mountKey = 0;

function newRun(spec: RunSpec): Run {
  const result: RunResult = {
    method: spec.method,
    handoverAt: Number.NaN,
    doneAt: Number.NaN,
    starts: [],
    puts: [],
    completes: [],
    reads: [],
    referenceProgress: { events: 0, bytes: 0 },
    attachmentIds: [],
    commits: [],
    errors: [],
  };
  let finish = (): void => undefined;
  const finished = new Promise<RunResult>((resolve) => {
    finish = () => resolve(result);
  });
  return { spec, result, finished, finish };
}

function recordSpan(kind: SpanKind, t0: number, t1: number): void {
  current?.result[kind].push({ t0, t1 });
}

function fail(run: Run, message: string): void {
  run.result.errors.push(message);
  run.finish();
}

// --- Timing: every XMLHttpRequest (axios uses the XHR adapter in browsers) and every read of file content -------

function spanKind(method: string, url: string): SpanKind | undefined {
  if (method.toUpperCase() === 'PUT') return 'puts';
  if (url.endsWith(START_PATH)) return 'starts';
  if (url.endsWith(COMPLETE_PATH)) return 'completes';
  return undefined;
}

const kinds = new WeakMap<XMLHttpRequest, SpanKind>();
const nativeOpen = XMLHttpRequest.prototype.open;
const nativeSend = XMLHttpRequest.prototype.send;
XMLHttpRequest.prototype.open = function open(this: XMLHttpRequest, method: string, url: string | URL, ...rest: unknown[]): void {
  const kind = spanKind(method, String(url));
  if (kind) kinds.set(this, kind);
  Reflect.apply(nativeOpen, this, [method, url, ...rest]);
};
XMLHttpRequest.prototype.send = function send(this: XMLHttpRequest, body?: Document | XMLHttpRequestBodyInit | null): void {
  const kind = kinds.get(this);
  if (kind && current) {
    const t0 = performance.now();
    // DONE comes before load/loadend, whose handlers may already settle the run.
    const onState = (): void => {
      if (this.readyState !== XMLHttpRequest.DONE) return;
      this.removeEventListener('readystatechange', onState);
      recordSpan(kind, t0, performance.now());
    };
    this.addEventListener('readystatechange', onState);
  }
  nativeSend.call(this, body);
};

const nativeArrayBuffer = Blob.prototype.arrayBuffer;
Blob.prototype.arrayBuffer = async function arrayBuffer(this: Blob): Promise<ArrayBuffer> {
  const t0 = performance.now();
  const buffer = await nativeArrayBuffer.call(this);
  recordSpan('reads', t0, performance.now());
  return buffer;
};

// The hand-over: the file input's change event, before any handler of the page sees it.
window.addEventListener(
  'change',
  (event) => {
    const run = current;
    if (run && Number.isNaN(run.result.handoverAt) && event.target instanceof HTMLInputElement && event.target.type === 'file') {
      run.result.handoverAt = performance.now();
    }
  },
  { capture: true },
);

// --- Reference uploaders: the least code that speaks the protocol ---------------------------------------------

function postJson(path: string, body: object): Promise<unknown> {
  const { participantEndpoint, connectionToken } = requireConfig();
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `${participantEndpoint}${path}`);
    xhr.setRequestHeader('Content-Type', 'application/json');
    xhr.setRequestHeader('X-Amz-Bearer', connectionToken);
    xhr.onload = () => (xhr.status === 200 ? resolve(JSON.parse(xhr.responseText) as unknown) : reject(new Error(`${path}: HTTP ${xhr.status}`)));
    xhr.onerror = () => reject(new Error(`${path}: network error`));
    xhr.send(JSON.stringify(body));
  });
}

interface Target {
  attachmentId: string;
  url: string;
  headers: Record<string, string>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function targetOf(reply: unknown): Target {
  const metadata = isObject(reply) ? reply['UploadMetadata'] : undefined;
  if (!isObject(reply) || typeof reply['AttachmentId'] !== 'string' || !isObject(metadata) || typeof metadata['Url'] !== 'string') {
    throw new Error('StartAttachmentUpload: unexpected reply');
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(isObject(metadata['HeadersToInclude']) ? metadata['HeadersToInclude'] : {})) {
    // The browser computes Content-Length from the body (and refuses to let a script set it).
    if (typeof value === 'string' && name.toLowerCase() !== 'content-length') headers[name] = value;
  }
  return { attachmentId: reply['AttachmentId'], url: metadata['Url'], headers };
}

function putWithXhr(target: Target, file: File, run: Run): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', target.url);
    for (const [name, value] of Object.entries(target.headers)) xhr.setRequestHeader(name, value);
    // What a minimal progress listener does: note the count. (Chromium need not report the last bytes before load.)
    xhr.upload.onprogress = (event) => {
      run.result.referenceProgress = { events: run.result.referenceProgress.events + 1, bytes: event.loaded };
    };
    xhr.onload = () => (xhr.status === 200 ? resolve() : reject(new Error(`PUT: HTTP ${xhr.status}`)));
    xhr.onerror = () => reject(new Error('PUT: network error'));
    xhr.send(file);
  });
}

async function putWithFetch(target: Target, file: File): Promise<void> {
  const t0 = performance.now();
  const response = await fetch(target.url, { method: 'PUT', headers: target.headers, body: file });
  await response.arrayBuffer();
  recordSpan('puts', t0, performance.now());
  if (!response.ok) throw new Error(`PUT: HTTP ${response.status}`);
}

async function referenceUpload(file: File, method: Exclude<Method, 'ours'>, run: Run): Promise<void> {
  const target = targetOf(
    await postJson(START_PATH, {
      AttachmentName: file.name,
      AttachmentSizeInBytes: file.size,
      ClientToken: crypto.randomUUID(),
      // No detection: the reference trusts the extension (the files are .mp4).
      ContentType: 'video/mp4',
    }),
  );
  await (method === 'xhr' ? putWithXhr(target, file, run) : putWithFetch(target, file));
  await postJson(COMPLETE_PATH, { AttachmentIds: [target.attachmentId], ClientToken: crypto.randomUUID() });
  run.result.attachmentIds.push(target.attachmentId);
}

async function referenceBatch(files: readonly File[], method: Exclude<Method, 'ours'>, run: Run): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let file = files[next++]; file; file = files[next++]) await referenceUpload(file, method, run);
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(run.spec.concurrency, files.length)) }, worker));
    run.result.doneAt = performance.now();
    run.finish();
  } catch (error) {
    fail(run, error instanceof Error ? error.message : String(error));
  }
}

const referenceInput = document.getElementById('reference-input');
if (!(referenceInput instanceof HTMLInputElement)) throw new Error('The bench page has no #reference-input.');
referenceInput.addEventListener('change', () => {
  const run = current;
  const files = Array.from(referenceInput.files ?? []);
  referenceInput.value = '';
  if (run && run.spec.method !== 'ours') void referenceBatch(files, run.spec.method, run);
});

// --- Ours ------------------------------------------------------------------------------------------------------

// Only the uploader renders into the page's one root: every commit is the uploader's (the references render nothing).
listenToCommits((at) => current?.result.commits.push(at));

function onUploaded(attachment: UploadedAttachment): void {
  const run = current;
  if (!run) return;
  run.result.attachmentIds.push(attachment.attachmentId);
  if (run.result.attachmentIds.length >= run.spec.files) {
    run.result.doneAt = performance.now();
    run.finish();
  }
}

function onError(error: UploadError): void {
  if (current) fail(current, `${error.code}: ${error.message}`);
}

const container = document.getElementById('root');
if (!container) throw new Error('The bench page has no #root.');
const root = createRoot(container);

function requireConfig(): PageConfig {
  if (!config) throw new Error('configure() first');
  return config;
}

function renderUploader(): void {
  const { maxFileSizeBytes, connectionToken, participantEndpoint } = requireConfig();
  const uploaderClient = (client ??= createParticipantClient({ connectionToken, endpoint: participantEndpoint }));
  mountKey += 1;
  flushSync(() =>
    root.render(
      <AttachmentUploader key={mountKey} client={uploaderClient} maxFileSizeBytes={maxFileSizeBytes} onUploaded={onUploaded} onError={onError} />,
    ),
  );
}

/** Two frames: the commit has been laid out and painted. */
function painted(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve())));
}

window.__bench = {
  configure(next) {
    config = next;
    client = undefined;
  },
  async prepare(spec) {
    const keep = spec.keep === true && spec.method === 'ours' && current?.spec.method === 'ours';
    current = undefined;
    if (!keep) {
      if (spec.method === 'ours') renderUploader();
      else flushSync(() => root.render(null));
    }
    await painted();
    current = newRun(spec);
  },
  result() {
    if (!current) return Promise.reject(new Error('prepare() first'));
    return current.finished;
  },
  async reset() {
    current = undefined;
    flushSync(() => root.render(null));
    await painted();
  },
};
