import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { PutFaultRegistry } from './faults';
import { startLocalS3, type LocalS3, type LocalS3Options } from './s3';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One request on its own connection; rejects on a connection error (code ECONNRESET, EPIPE, …). */
function send(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: Buffer; signal?: AbortSignal } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: init.method ?? 'GET', headers: init.headers, agent: false, signal: init.signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** HeadersToInclude shaped like a real StartAttachmentUpload reply. */
function headersFor(body: Buffer, contentType = 'text/plain'): Record<string, string> {
  return {
    'x-amz-meta-contact_id': 'contact-1',
    'x-amz-meta-initial_contact_id': 'contact-1',
    'x-amz-meta-account_id': '123456789012',
    'x-amz-meta-organization_id': 'org-1',
    'x-amz-acl': 'bucket-owner-full-control',
    'Content-Disposition': 'attachment; filename="56102_file.txt"',
    'Content-Length': String(body.length),
    'Content-Type': contentType,
  };
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

const started: LocalS3[] = [];
const directories: string[] = [];

async function start(options: Partial<LocalS3Options> = {}): Promise<LocalS3> {
  const directory = await mkdtemp(path.join(tmpdir(), 'local-s3-'));
  directories.push(directory);
  const s3 = await startLocalS3({ directory, ...options });
  started.push(s3);
  return s3;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((s3) => s3.close()));
  await Promise.all(directories.splice(0).map((directory) => rm(directory, { recursive: true, force: true })));
});

const BODY = Buffer.from('hello s3!');
const KEY = 'chat/contact-1/attachment-1';
const ORIGIN = 'http://127.0.0.1:5173';

describe('presigned PUT', () => {
  it('stores the object with its size, content type and metadata when every signed header is sent', async () => {
    const s3 = await start();
    const headers = headersFor(BODY);
    const url = await s3.presignPut(KEY, headers, 60);
    expect(url.startsWith(`${s3.endpoint}/connect-attachments/${KEY}?`)).toBe(true);
    expect(new URL(url).searchParams.get('X-Amz-SignedHeaders')).toBe(
      'content-disposition;content-length;content-type;host;x-amz-acl;x-amz-meta-account_id;x-amz-meta-contact_id;x-amz-meta-initial_contact_id;x-amz-meta-organization_id',
    );

    const reply = await send(url, { method: 'PUT', headers, body: BODY });
    expect(reply.status).toBe(200);
    expect(reply.headers.etag).toBe(`"${createHash('md5').update(BODY).digest('hex')}"`);
    expect(reply.headers['x-amz-request-id']).toMatch(/^[0-9A-F]{16}$/);
    expect(await s3.headObject(KEY)).toEqual({
      size: 9,
      contentType: 'text/plain',
      metadata: { contact_id: 'contact-1', initial_contact_id: 'contact-1', account_id: '123456789012', organization_id: 'org-1' },
    });
    expect(await s3.readObject(KEY)).toEqual(BODY);
  });

  it.each([
    ['a signed header is missing', (h: Record<string, string>) => delete h['Content-Disposition'], BODY],
    ['Content-Type is altered', (h: Record<string, string>) => (h['Content-Type'] = 'application/pdf'), BODY],
    ['an x-amz-meta value is altered', (h: Record<string, string>) => (h['x-amz-meta-contact_id'] = 'contact-2'), BODY],
    ['the body has another length', (h: Record<string, string>) => (h['Content-Length'] = '10'), Buffer.from('hello s3!!')],
  ])('answers 403 SignatureDoesNotMatch and stores nothing when %s', async (_case, alter, body) => {
    const s3 = await start();
    const headers = headersFor(BODY);
    const url = await s3.presignPut(KEY, headers, 60);
    const sent = { ...headers };
    alter(sent);

    const reply = await send(url, { method: 'PUT', headers: sent, body });
    expect(reply.status).toBe(403);
    expect(reply.body.toString()).toContain('<Code>SignatureDoesNotMatch</Code>');
    expect(await s3.headObject(KEY)).toBeUndefined();
  });

  it('verifies a signed header value containing a run of spaces, as S3 does', async () => {
    const s3 = await start();
    const headers = { ...headersFor(BODY), 'Content-Disposition': 'attachment; filename="two  spaces.txt"' };
    const url = await s3.presignPut(KEY, headers, 60);
    expect((await send(url, { method: 'PUT', headers, body: BODY })).status).toBe(200);
  });

  it('answers 403 AccessDenied "Request has expired" once the URL has expired', async () => {
    const s3 = await start();
    const headers = headersFor(BODY);
    const url = await s3.presignPut(KEY, headers, 1);
    await sleep(2100);

    const reply = await send(url, { method: 'PUT', headers, body: BODY });
    expect(reply.status).toBe(403);
    expect(reply.body.toString()).toContain('<Code>AccessDenied</Code>');
    expect(reply.body.toString()).toContain('Request has expired');
  });

  it('removes what an interrupted PUT had written', async () => {
    const s3 = await start();
    const body = randomBytes(256 * 1024);
    const headers = headersFor(body, 'application/pdf');
    const url = await s3.presignPut(KEY, headers, 60);
    const req = http.request(url, { method: 'PUT', headers, agent: false });
    req.on('error', () => undefined);
    req.write(body.subarray(0, 128 * 1024));
    await until(async () => (await s3.headObject(KEY)) !== undefined);

    req.destroy();
    await until(async () => (await s3.headObject(KEY)) === undefined);
  });
});

describe('unsigned requests', () => {
  it('refuses an unsigned PUT and an unsigned GET with 403 AccessDenied', async () => {
    const s3 = await start();
    const objectUrl = `${s3.endpoint}/${s3.bucket}/${KEY}`;

    const put = await send(objectUrl, { method: 'PUT', headers: { 'Content-Type': 'text/plain' }, body: BODY });
    expect(put.status).toBe(403);
    expect(put.body.toString()).toContain('<Code>AccessDenied</Code>');
    expect(await s3.headObject(KEY)).toBeUndefined();

    const signedPut = await send(await s3.presignPut(KEY, headersFor(BODY), 60), { method: 'PUT', headers: headersFor(BODY), body: BODY });
    expect(signedPut.status).toBe(200);
    const get = await send(objectUrl);
    expect(get.status).toBe(403);
    expect(get.body.toString()).toContain('<Code>AccessDenied</Code>');
    expect(get.body.includes(BODY)).toBe(false);
  });
});

describe('presigned GET', () => {
  // Parentheses, quotes and `*` are escaped differently by s3rver and the SDK unless s3-signing.ts aligns them.
  it('downloads the bytes that were uploaded, with the requested Content-Disposition', async () => {
    const s3 = await start();
    const body = randomBytes(300 * 1024 + 7);
    const headers = headersFor(body, 'image/png');
    expect((await send(await s3.presignPut(KEY, headers, 60), { method: 'PUT', headers, body })).status).toBe(200);

    const disposition = `attachment; filename="holiday photo (1)!.png"; filename*=UTF-8''holiday%20photo%20%281%29%21.png`;
    const reply = await send(await s3.presignGet(KEY, 60, { responseContentDisposition: disposition }));
    expect(reply.status).toBe(200);
    expect(sha256(reply.body)).toBe(sha256(body));
    expect(reply.headers['content-disposition']).toBe(disposition);
    expect(reply.headers['content-type']).toBe('image/png');
  });
});

describe('PUT faults', () => {
  it('fails the next PUTs of the scope with the configured status, then lets the same URL through', async () => {
    const s3 = await start();
    const headers = headersFor(BODY);
    const url = await s3.presignPut(KEY, headers, 60);
    s3.faults.set('contact-1', { failNext: { count: 2, status: 503 } });

    for (let attempt = 0; attempt < 2; attempt++) {
      const reply = await send(url, { method: 'PUT', headers, body: BODY });
      expect(reply.status).toBe(503);
      expect(reply.headers['content-type']).toBe('application/xml');
      expect(reply.body.toString()).toContain('<Code>SlowDown</Code>');
      expect(await s3.headObject(KEY)).toBeUndefined();
    }
    expect((await send(url, { method: 'PUT', headers, body: BODY })).status).toBe(200);
    expect(await s3.readObject(KEY)).toEqual(BODY);
    expect(s3.faults.get('contact-1')).toEqual({});
  });

  it('leaves other scopes alone', async () => {
    const s3 = await start();
    const headers = headersFor(BODY);
    s3.faults.set('contact-1', { failNext: { count: 1, status: 500 } });
    const other = 'chat/contact-2/attachment-1';
    expect((await send(await s3.presignPut(other, headers, 60), { method: 'PUT', headers, body: BODY })).status).toBe(200);
    expect(s3.faults.get('contact-1').failNext?.count).toBe(1);
  });

  it('resets the connection of the next PUTs after the configured bytes, then lets the same URL through', async () => {
    const s3 = await start();
    const body = randomBytes(64 * 1024);
    const headers = headersFor(body, 'application/pdf');
    const url = await s3.presignPut(KEY, headers, 60);
    s3.faults.set('contact-1', { resetNext: { count: 2, afterBytes: 1000 } });

    for (let attempt = 0; attempt < 2; attempt++) {
      const error: unknown = await send(url, { method: 'PUT', headers, body }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: expect.stringMatching(/^(ECONNRESET|EPIPE)$/) });
    }
    expect((await send(url, { method: 'PUT', headers, body })).status).toBe(200);
    expect(sha256((await s3.readObject(KEY)) ?? Buffer.alloc(0))).toBe(sha256(body));
    expect(s3.faults.stats('contact-1')).toEqual({ puts: 3, failed: 0, resets: 2, stalls: 0, succeeded: 1 });
  });

  it('stalls the next PUT until the client gives up, then lets the same URL through', async () => {
    const s3 = await start();
    const headers = headersFor(BODY);
    const url = await s3.presignPut(KEY, headers, 60);
    s3.faults.set('contact-1', { stallNext: { count: 1, afterBytes: 0 } });

    const startedAt = Date.now();
    await expect(send(url, { method: 'PUT', headers, body: BODY, signal: AbortSignal.timeout(800) })).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(750);
    expect(await s3.headObject(KEY)).toBeUndefined();
    expect((await send(url, { method: 'PUT', headers, body: BODY })).status).toBe(200);
    expect(s3.faults.stats('contact-1')).toMatchObject({ puts: 2, stalls: 1, succeeded: 1 });
  });

  it('releases a stalled PUT on close()', async () => {
    const s3 = await start();
    const body = randomBytes(32 * 1024);
    const headers = headersFor(body, 'application/pdf');
    s3.faults.set('contact-1', { stallNext: { count: 1, afterBytes: 4096 } });
    const stalled = send(await s3.presignPut(KEY, headers, 60), { method: 'PUT', headers, body });
    const outcome = stalled.then(
      () => 'answered',
      () => 'connection closed',
    );
    await until(() => s3.faults.stats('contact-1').stalls === 1);
    await sleep(200);

    await s3.close();
    expect(await outcome).toBe('connection closed');
  });

  it('throttles every PUT body of the scope to the configured bandwidth', async () => {
    const s3 = await start();
    const body = randomBytes(128 * 1024);
    const headers = headersFor(body, 'application/pdf');
    s3.faults.set('contact-1', { bandwidthBytesPerSecond: 64 * 1024 });

    const fastKey = 'chat/contact-2/attachment-1';
    let startedAt = Date.now();
    expect((await send(await s3.presignPut(fastKey, headers, 60), { method: 'PUT', headers, body })).status).toBe(200);
    const unthrottledMs = Date.now() - startedAt;

    startedAt = Date.now();
    expect((await send(await s3.presignPut(KEY, headers, 60), { method: 'PUT', headers, body })).status).toBe(200);
    const throttledMs = Date.now() - startedAt;

    expect(unthrottledMs).toBeLessThan(1000);
    expect(throttledMs).toBeGreaterThanOrEqual(1800); // 128 KiB at 64 KiB/s
    expect(throttledMs).toBeLessThan(4000);
    expect(sha256((await s3.readObject(KEY)) ?? Buffer.alloc(0))).toBe(sha256(body));
  });

  it('answers a failure with the CORS headers s3rver gives the origin, so a browser can read it', async () => {
    const s3 = await start();
    const headers = headersFor(BODY);
    s3.faults.set('contact-1', { failNext: { count: 1, status: 500 } });

    const reply = await send(await s3.presignPut(KEY, headers, 60), { method: 'PUT', headers: { ...headers, Origin: ORIGIN }, body: BODY });
    expect(reply.status).toBe(500);
    expect(reply.body.toString()).toContain('<Code>InternalError</Code>');
    expect(reply.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(reply.headers['access-control-expose-headers']).toBe('ETag, x-amz-request-id');

    const ok = await send(await s3.presignPut(KEY, headers, 60), { method: 'PUT', headers: { ...headers, Origin: ORIGIN }, body: BODY });
    expect(ok.status).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe(ORIGIN);

    const unsigned = await send(`${s3.endpoint}/${s3.bucket}/${KEY}`, { headers: { Origin: ORIGIN } });
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers['access-control-allow-origin']).toBe(ORIGIN);
  });

  it('counts PUTs, failures (injected and S3 refusals), resets, stalls and successes per scope', async () => {
    const s3 = await start();
    const headers = headersFor(BODY);
    const url = await s3.presignPut(KEY, headers, 60);
    s3.faults.set('contact-1', { failNext: { count: 1, status: 403, code: 'AccessDenied' } });

    const injected = await send(url, { method: 'PUT', headers, body: BODY });
    expect(injected.body.toString()).toContain('<Code>AccessDenied</Code>');
    expect((await send(url, { method: 'PUT', headers: { ...headers, 'Content-Type': 'text/csv' }, body: BODY })).status).toBe(403);
    expect((await send(url, { method: 'PUT', headers, body: BODY })).status).toBe(200);
    expect((await send(await s3.presignGet(KEY, 60))).status).toBe(200);

    expect(s3.faults.stats('contact-1')).toEqual({ puts: 3, failed: 2, resets: 0, stalls: 0, succeeded: 1 });
    expect(s3.faults.stats('contact-2')).toEqual({ puts: 0, failed: 0, resets: 0, stalls: 0, succeeded: 0 });
    s3.faults.clear('contact-1');
    expect(s3.faults.stats('contact-1').puts).toBe(0);
  });
});

describe('CORS', () => {
  const preflight = (s3: LocalS3, origin: string): Promise<Reply> =>
    send(`${s3.endpoint}/${s3.bucket}/${KEY}`, {
      method: 'OPTIONS',
      headers: {
        Origin: origin,
        'Access-Control-Request-Method': 'PUT',
        'Access-Control-Request-Headers': 'content-type,content-disposition,x-amz-acl,x-amz-meta-contact_id',
      },
    });

  it('allows a preflight from the default loopback origins on any port and refuses other origins', async () => {
    const s3 = await start();
    for (const origin of [ORIGIN, 'http://localhost:6006']) {
      const reply = await preflight(s3, origin);
      expect(reply.status).toBe(200);
      expect(reply.headers['access-control-allow-methods']).toBe('PUT, GET, HEAD');
      expect(reply.headers['access-control-allow-headers']).toBe('content-type, content-disposition, x-amz-acl, x-amz-meta-contact_id');
    }
    const refused = await preflight(s3, 'http://evil.example');
    expect(refused.status).toBe(403);
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('uses the configured origins instead of the defaults', async () => {
    const s3 = await start({ corsOrigins: ['https://app.example.com', 'https://*.widget.example'] });
    expect((await preflight(s3, 'https://app.example.com')).status).toBe(200);
    expect((await preflight(s3, 'https://eu.widget.example')).status).toBe(200);
    expect((await preflight(s3, ORIGIN)).status).toBe(403);
  });
});

describe('lifecycle', () => {
  it('frees its port on close(), so a new server can start on it', async () => {
    const first = await start({ bucket: 'first-bucket' });
    const port = Number(new URL(first.endpoint).port);
    await first.close();

    const second = await start({ port, bucket: 'second-bucket' });
    expect(second.endpoint).toBe(`http://127.0.0.1:${port}`);
    const headers = headersFor(BODY);
    const reply = await send(await second.presignPut(KEY, headers, 60), { method: 'PUT', headers, body: BODY });
    expect(reply.status).toBe(200);
    expect(await second.readObject(KEY)).toEqual(BODY);
  });

  it('reads nothing and deletes quietly for a missing key, and deletes a stored object', async () => {
    const s3 = await start();
    expect(await s3.headObject(KEY)).toBeUndefined();
    expect(await s3.readObject(KEY)).toBeUndefined();
    await s3.deleteObject(KEY);

    const headers = headersFor(BODY);
    expect((await send(await s3.presignPut(KEY, headers, 60), { method: 'PUT', headers, body: BODY })).status).toBe(200);
    await s3.deleteObject(KEY);
    expect(await s3.headObject(KEY)).toBeUndefined();
  });
});

describe('PutFaultRegistry', () => {
  it('applies fail, then reset, then stall, each exactly count times', () => {
    const registry = new PutFaultRegistry();
    registry.set('s', {
      failNext: { count: 1, status: 500 },
      resetNext: { count: 2, afterBytes: 10 },
      stallNext: { count: 1, afterBytes: 0 },
      bandwidthBytesPerSecond: 1000,
    });
    expect([1, 2, 3, 4, 5].map(() => registry.take('s')?.kind)).toEqual(['fail', 'reset', 'reset', 'stall', undefined]);
    expect(registry.get('s')).toEqual({ bandwidthBytesPerSecond: 1000 });
    expect(registry.stats('s')).toEqual({ puts: 5, failed: 1, resets: 2, stalls: 1, succeeded: 0 });
  });

  it('derives the S3 error code from the status unless one is given', () => {
    const registry = new PutFaultRegistry();
    registry.set('s', { failNext: { count: 3, status: 503 } });
    expect(registry.take('s')).toEqual({ kind: 'fail', status: 503, code: 'SlowDown' });
    registry.update('s', { failNext: { count: 1, status: 403 } });
    expect(registry.take('s')).toEqual({ kind: 'fail', status: 403, code: 'AccessDenied' });
    registry.set('s', { failNext: { count: 1, status: 500, code: 'ServiceUnavailable' } });
    expect(registry.take('s')).toEqual({ kind: 'fail', status: 500, code: 'ServiceUnavailable' });
  });

  it('updates only the given fields and hands out copies', () => {
    const registry = new PutFaultRegistry();
    registry.set('s', { failNext: { count: 1, status: 500 }, bandwidthBytesPerSecond: 10 });
    registry.update('s', { bandwidthBytesPerSecond: undefined, resetNext: { count: 1, afterBytes: 0 } });
    const faults = registry.get('s');
    expect(faults).toEqual({ failNext: { count: 1, status: 500 }, resetNext: { count: 1, afterBytes: 0 } });
    if (faults.failNext) faults.failNext.count = 5;
    expect(registry.get('s').failNext?.count).toBe(1);
    registry.clear();
    expect(registry.get('s')).toEqual({});
  });

  it('refuses nonsensical faults', () => {
    const registry = new PutFaultRegistry();
    expect(() => registry.set('s', { failNext: { count: 1, status: 200 } })).toThrow(RangeError);
    expect(() => registry.set('s', { resetNext: { count: -1, afterBytes: 0 } })).toThrow(RangeError);
    expect(() => registry.set('s', { stallNext: { count: 1, afterBytes: 1.5 } })).toThrow(RangeError);
    expect(() => registry.set('s', { bandwidthBytesPerSecond: -1 })).toThrow(RangeError);
  });
});
