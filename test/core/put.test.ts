/**
 * The presigned PUT against a real HTTP server on 127.0.0.1 through axios' Node http adapter (the unit project's
 * jsdom XMLHttpRequest reports upload progress only once, at the end, so progress and stalls are tested here;
 * src/core/put.test.ts covers the XHR adapter), then with the participant client against the emulator, whose S3
 * checks the SigV4 signature for real.
 */
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../emulator/server';
import { UploadError, type UploadErrorCode } from '../../src/core/errors';
import { createParticipantClient } from '../../src/core/participant-client';
import { putFile } from '../../src/core/put';
import type { UploadTarget } from '../../src/core/types';
import { FakeClock } from '../helpers/fake-clock';
import { startPutServer, type PutServer } from './put-server';

const SIGNATURE = 'X-Amz-Signature=0123456789abcdef-secret';

let server: PutServer;
beforeEach(async () => {
  server = await startPutServer();
});
afterEach(async () => {
  await server.close();
});

function target(path: string, headersToInclude: Record<string, string> = { 'Content-Type': 'text/plain' }): UploadTarget {
  const separator = path.includes('?') ? '&' : '?';
  return { attachmentId: 'att-1', url: `${server.origin}${path}${separator}${SIGNATURE}`, urlExpiry: Date.now() + 300_000, headersToInclude };
}

function bytes(size: number): Blob {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = i % 251;
  return new Blob([data]);
}

async function failure(promise: Promise<unknown>): Promise<UploadError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(UploadError);
  const uploadError = error as UploadError;
  // The signed URL is a credential too: never in what an error exposes.
  expect([JSON.stringify(uploadError), String(uploadError), uploadError.stack].join('\n')).not.toContain('secret');
  expect(uploadError.cause).toBeUndefined();
  return uploadError;
}

describe('putFile over the Node http adapter', () => {
  it('sends the Blob with exactly the signed headers a browser may send, and reports progress up to its size', async () => {
    const body = bytes(3 * 1024 * 1024 + 17);
    const headers = {
      'Content-Type': 'application/pdf',
      'Content-Disposition': 'attachment; filename="report.pdf"',
      'Content-Length': String(body.size),
      'x-amz-acl': 'bucket-owner-full-control',
      'x-amz-meta-contact_id': 'c-1',
      Host: 'evil.example',
      Connection: 'close',
      'Sec-Fetch-Mode': 'cors',
      'Proxy-Authorization': 'x',
    };
    const progress: number[] = [];
    await putFile(target('/ok', headers), body, { onProgress: (sent) => progress.push(sent) });

    const [put] = server.puts;
    expect(put?.bodyLength).toBe(body.size);
    expect(put?.headers['content-length']).toBe(String(body.size));
    // Exactly the signed value: the Blob's own (empty) type must not replace it, and no charset is added.
    expect(put?.headers['content-type']).toBe('application/pdf');
    expect(put?.headers['content-disposition']).toBe('attachment; filename="report.pdf"');
    expect(put?.headers['x-amz-acl']).toBe('bucket-owner-full-control');
    expect(put?.headers['x-amz-meta-contact_id']).toBe('c-1');
    expect(put?.headers.host).toBe(new URL(server.origin).host);
    expect(put?.headers['sec-fetch-mode']).toBeUndefined();
    expect(put?.headers['proxy-authorization']).toBeUndefined();

    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toBe(body.size);
    for (let i = 1; i < progress.length; i++) expect(progress[i]).toBeGreaterThan(progress[i - 1] ?? 0);
  });

  it('keeps the signed Content-Type when the Blob carries another type', async () => {
    const body = new Blob(['hello'], { type: 'text/plain;charset=utf-8' });
    await putFile(target('/ok', { 'Content-Type': 'text/plain' }), body);
    expect(server.puts[0]?.headers['content-type']).toBe('text/plain');
    expect(server.puts[0]?.bodyLength).toBe(5);
  });

  it('clears its watchdog once done, so nothing keeps running', async () => {
    const clock = new FakeClock();
    await putFile(target('/ok'), bytes(10), { clock });
    expect(clock.pending).toBe(0);
  });

  it.each<[string, Record<string, string>, UploadErrorCode, string]>([
    ['an expired URL', { status: '403', code: 'AccessDenied', message: 'Request has expired' }, 'url-expired', 'AccessDenied'],
    ['RequestExpired', { status: '400', code: 'RequestExpired', message: 'Request has expired' }, 'url-expired', 'RequestExpired'],
    ['ExpiredToken', { status: '400', code: 'ExpiredToken', message: 'The provided token has expired.' }, 'url-expired', 'ExpiredToken'],
    ['a bad signature', { status: '403', code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match' }, 'signature-mismatch', 'SignatureDoesNotMatch'],
    ['SlowDown', { status: '503', code: 'SlowDown', message: 'Please reduce your request rate.' }, 'throttled', 'SlowDown'],
    ['an internal error', { status: '500', code: 'InternalError', message: 'We encountered an internal error.' }, 'server', 'InternalError'],
    ['503 ServiceUnavailable', { status: '503', code: 'ServiceUnavailable', message: 'Reduce your request rate.' }, 'server', 'ServiceUnavailable'],
    ['a plain AccessDenied', { status: '403', code: 'AccessDenied', message: 'Access Denied' }, 'upload-failed', 'AccessDenied'],
    ['EntityTooLarge', { status: '400', code: 'EntityTooLarge', message: 'Your proposed upload exceeds the maximum allowed size' }, 'upload-failed', 'EntityTooLarge'],
  ])('%s is mapped from the S3 XML error', async (_, query, code, serverCode) => {
    const error = await failure(putFile(target(`/error?${new URLSearchParams(query).toString()}`), bytes(100)));
    expect(error.code).toBe(code);
    expect(error.details).toEqual({ status: Number(query['status']), serverCode });
    expect(error.message).toBe(`Upload to storage failed (${serverCode}): ${query['message']}`);
  });

  it('429 without a body is throttled, with Retry-After', async () => {
    const error = await failure(putFile(target('/error?status=429&retryAfter=4'), bytes(100)));
    expect(error.code).toBe('throttled');
    expect(error.details).toEqual({ status: 429, retryAfterSeconds: 4 });
    expect(error.message).toBe('Upload to storage failed (HTTP 429).');
  });

  it('a redirect is not followed: it is a failure', async () => {
    const error = await failure(putFile(target('/error?status=307'), bytes(100)));
    expect(error.code).toBe('upload-failed');
    expect(server.puts).toHaveLength(1);
  });

  it('decodes XML entities in the message', async () => {
    const query = new URLSearchParams({ status: '400', code: 'InvalidArgument', message: 'Header "x" & <y> invalid' });
    const error = await failure(putFile(target(`/error?${query.toString()}`), bytes(10)));
    expect(error.message).toBe('Upload to storage failed (InvalidArgument): Header "x" & <y> invalid');
  });

  it('a connection reset mid-body is a network error', async () => {
    const error = await failure(putFile(target('/reset?after=65536'), bytes(2 * 1024 * 1024)));
    expect(error.code).toBe('network');
    expect(server.puts[0]?.bodyLength).toBeLessThan(2 * 1024 * 1024);
  });

  it('a refused connection is a network error', async () => {
    const url = target('/ok');
    await server.close();
    expect((await failure(putFile(url, bytes(10)))).code).toBe('network');
    server = await startPutServer();
  });

  it('no progress and no reply for stallTimeoutMs ends the attempt as stalled and closes the connection', async () => {
    const started = Date.now();
    const arrived = server.nextArrival();
    const progress: number[] = [];
    const error = await failure(putFile(target('/stall'), bytes(4 * 1024 * 1024), { stallTimeoutMs: 300, onProgress: (sent) => progress.push(sent) }));
    expect(error.code).toBe('stalled');
    expect(error.message).toBe('Upload to storage: no progress for 0.3 s.');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    await server.closed(await arrived);
    // axios delivers throttled progress late (up to 1/3 s): none of it may come after the attempt ended.
    const reported = progress.length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(progress).toHaveLength(reported);
  });

  it('a server that takes the whole body but never answers is stalled too', async () => {
    const arrived = server.nextArrival();
    const promise = failure(putFile(target('/held'), bytes(1000), { stallTimeoutMs: 300 }));
    await arrived;
    server.release();
    expect((await promise).code).toBe('stalled');
  });

  it('progress re-arms the watchdog: only a quiet period as long as stallTimeoutMs counts', async () => {
    const clock = new FakeClock();
    const body = bytes(16 * 1024 * 1024);
    let sent = 0;
    const arrived = server.nextArrival();
    let settled: string | undefined;
    const promise = putFile(target('/held'), body, { clock, stallTimeoutMs: 30_000, onProgress: (bytesSent) => (sent = bytesSent) }).then(
      () => (settled = 'done'),
      (error: UploadError) => (settled = error.code),
    );
    await arrived;
    await until(() => sent > 0);
    expect(sent).toBeLessThan(body.size); // the server reads nothing yet, so the socket backs up
    await clock.advance(29_000);
    server.release();
    await until(() => sent === body.size);
    // 30 s after the start, but only 1 s after the last progress: not a stall.
    await clock.advance(29_000);
    expect(settled).toBeUndefined();
    server.respond();
    await promise;
    expect(settled).toBe('done');
  });

  it('aborting the signal ends the request at once with cancelled', async () => {
    const controller = new AbortController();
    const arrived = server.nextArrival();
    const promise = failure(putFile(target('/stall'), bytes(4 * 1024 * 1024), { signal: controller.signal }));
    const put = await arrived;
    const abortedAt = Date.now();
    controller.abort();
    expect((await promise).code).toBe('cancelled');
    await server.closed(put);
    expect(Date.now() - abortedAt).toBeLessThan(1000);
  });

  it('an already aborted signal sends nothing', async () => {
    const error = await failure(putFile(target('/ok'), bytes(10), { signal: AbortSignal.abort() }));
    expect(error.code).toBe('cancelled');
    expect(server.puts).toHaveLength(0);
  });
});

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('participant client and putFile against the emulator (real SigV4 checks)', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(async () => {
    await emulator.close();
  });

  const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

  async function started(name: string, body: Blob) {
    const chat = await emulator.startChat();
    const client = createParticipantClient({ connectionToken: chat.connectionToken, endpoint: emulator.participantEndpoint });
    const target = await client.startUpload({ name, sizeInBytes: body.size, contentType: 'application/pdf', clientToken: `ct-${name}` });
    return { chat, client, target };
  }

  it('uploads with the signed headers, completes, and downloads the same bytes', async () => {
    const data = new Uint8Array(300_000).map((_, i) => i % 256);
    const body = new Blob([data]);
    const { client, target } = await started('whole-flow.pdf', body);
    expect(target.headersToInclude).toHaveProperty('Content-Length', String(body.size));
    let sent = 0;
    await putFile(target, body, { onProgress: (bytes) => (sent = bytes) });
    expect(sent).toBe(body.size);
    await client.completeUpload({ attachmentId: target.attachmentId, clientToken: 'complete-1' });
    const download = await client.getAttachment(target.attachmentId, { urlExpiryInSeconds: 60 });
    expect(download.sizeInBytes).toBe(body.size);
    const fetched = new Uint8Array(await (await fetch(download.url ?? '')).arrayBuffer());
    expect(sha256(fetched)).toBe(sha256(data));
  });

  it('an altered signed header is a signature-mismatch; an injected 503 is throttled and the same URL then works', async () => {
    const body = new Blob([new Uint8Array(1000)]);
    const { chat, target } = await started('faults.pdf', body);
    const altered = { ...target, headersToInclude: { ...target.headersToInclude, 'Content-Type': 'text/plain' } };
    expect((await failure(putFile(altered, body))).code).toBe('signature-mismatch');
    emulator.setFaults(chat.contactId, { put: { failNext: { count: 1, status: 503 } } });
    expect((await failure(putFile(target, body))).code).toBe('throttled');
    await putFile(target, body);
  });

  it('an expired URL is url-expired', async () => {
    const body = new Blob([new Uint8Array(1000)]);
    const chat = await emulator.startChat();
    emulator.setFaults(chat.contactId, { urlExpirySeconds: 1 });
    const client = createParticipantClient({ connectionToken: chat.connectionToken, endpoint: emulator.participantEndpoint });
    const target = await client.startUpload({ name: 'late.pdf', sizeInBytes: body.size, contentType: 'application/pdf', clientToken: 'ct-late' });
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect((await failure(putFile(target, body))).code).toBe('url-expired');
  });
});
