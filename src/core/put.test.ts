/**
 * headersForPut, and putFile through axios' XHR adapter (jsdom's XMLHttpRequest does real HTTP, with CORS,
 * to a server on 127.0.0.1). Progress, stalls and resets over the Node adapter: test/core/put.test.ts.
 */
import axios from 'axios';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startPutServer, type PutServer } from '../../test/core/put-server';
import { UploadError } from './errors';
import { BROWSER_FORBIDDEN_HEADERS, headersForPut, putFile } from './put';
import type { UploadTarget } from './types';

describe('headersForPut', () => {
  it('keeps the signed headers a script may set and drops the forbidden ones, whatever their case', () => {
    const fromConnect = {
      'x-amz-meta-contact_id': 'c-1',
      'x-amz-acl': 'bucket-owner-full-control',
      'Content-Disposition': 'attachment; filename="56102_file.txt"',
      'Content-Length': '9',
      'Content-Type': 'text/plain',
      HOST: 'bucket.s3.amazonaws.com',
      'Transfer-Encoding': 'chunked',
      'Sec-Fetch-Site': 'cross-site',
      'proxy-authorization': 'Basic x',
    };
    expect(headersForPut(fromConnect)).toEqual({
      'x-amz-meta-contact_id': 'c-1',
      'x-amz-acl': 'bucket-owner-full-control',
      'Content-Disposition': 'attachment; filename="56102_file.txt"',
      'Content-Type': 'text/plain',
    });
  });

  it('drops every listed header', () => {
    const all = Object.fromEntries(BROWSER_FORBIDDEN_HEADERS.map((name) => [name, 'x']));
    expect(headersForPut(all)).toEqual({});
  });

  it('lists names in lower case, the ones the Fetch standard forbids among them', () => {
    for (const name of BROWSER_FORBIDDEN_HEADERS) expect(name).toBe(name.toLowerCase());
    expect(BROWSER_FORBIDDEN_HEADERS).toEqual(expect.arrayContaining(['content-length', 'host', 'connection', 'origin', 'referer', 'cookie']));
  });
});

describe('progress from whatever adapter a host plugs in', () => {
  it('is capped at the body size and never goes backwards (some stacks count headers or resend bytes)', async () => {
    const reports = [4, 4, 9, 7, 15, 11, 30];
    const instance = axios.create({
      adapter: async (config) => {
        for (const loaded of reports) config.onUploadProgress?.({ loaded, bytes: 0, lengthComputable: false });
        return { status: 200, statusText: 'OK', headers: {}, config, data: '' };
      },
    });
    const progress: number[] = [];
    await putFile(
      { attachmentId: 'a', url: 'https://bucket.example/k', urlExpiry: 0, headersToInclude: {} },
      new Blob(['hello world']),
      { axios: instance, onProgress: (sent) => progress.push(sent) },
    );
    expect(progress).toEqual([4, 9, 11]);
  });
});

describe('putFile over the XHR adapter (jsdom)', () => {
  let server: PutServer;
  beforeEach(async () => {
    server = await startPutServer();
  });
  afterEach(async () => {
    await server.close();
  });

  const target = (path: string): UploadTarget => ({
    attachmentId: 'att-1',
    url: `${server.origin}${path}`,
    urlExpiry: Date.now() + 300_000,
    headersToInclude: { 'Content-Type': 'text/plain', 'Content-Length': '11', 'x-amz-meta-contact_id': 'c-1' },
  });

  it('PUTs the Blob with the signed Content-Type and reports its full size', async () => {
    const progress: number[] = [];
    await putFile(target('/ok'), new Blob(['hello world']), { onProgress: (sent) => progress.push(sent) });
    const [put] = server.puts;
    expect(put?.bodyLength).toBe(11);
    expect(put?.headers['content-length']).toBe('11');
    expect(put?.headers['content-type']).toBe('text/plain');
    expect(put?.headers['x-amz-meta-contact_id']).toBe('c-1');
    // It came through the browser-like path: a cross-origin XMLHttpRequest, not Node's http.
    expect(put?.headers.origin).toBe(window.location.origin);
    expect(put?.headers['user-agent']).toContain('jsdom');
    expect(progress.at(-1)).toBe(11);
  });

  it('maps an S3 XML error read through XMLHttpRequest', async () => {
    const query = new URLSearchParams({ status: '403', code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match' });
    const error = await putFile(target(`/error?${query.toString()}`), new Blob(['hello world'])).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(UploadError);
    expect((error as UploadError).code).toBe('signature-mismatch');
    expect((error as UploadError).details).toEqual({ status: 403, serverCode: 'SignatureDoesNotMatch' });
  });

  it('a stalled request is aborted as stalled', async () => {
    const error = await putFile(target('/stall'), new Blob(['hello world']), { stallTimeoutMs: 200 }).catch((reason: unknown) => reason);
    expect((error as UploadError).code).toBe('stalled');
  });

  it('an abort ends the request with cancelled', async () => {
    const controller = new AbortController();
    const arrived = server.nextArrival();
    const promise = putFile(target('/stall'), new Blob(['hello world']), { signal: controller.signal }).catch((reason: unknown) => reason);
    const put = await arrived;
    controller.abort();
    expect(((await promise) as UploadError).code).toBe('cancelled');
    await server.closed(put);
  });

  it('a refused connection is a network error', async () => {
    const url = target('/ok');
    await server.close();
    const error = await putFile(url, new Blob(['hello world'])).catch((reason: unknown) => reason);
    expect((error as UploadError).code).toBe('network');
    server = await startPutServer();
  });
});
