import axios from 'axios';
import { delay, http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/helpers/fake-clock';
import { UploadError } from './errors';
import { createParticipantClient } from './participant-client';

const TOKEN = 'conn-token-7f3a9c2e-SECRET';
const ENDPOINT = 'http://127.0.0.1:9911';
const START = `${ENDPOINT}/participant/start-attachment-upload`;
const COMPLETE = `${ENDPOINT}/participant/complete-attachment-upload`;
const GET = `${ENDPOINT}/participant/attachment`;

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

interface Seen {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

/** Answers `url` with `reply` and records what arrived. */
function answer(url: string, reply: () => Response | Promise<Response>): Seen[] {
  const seen: Seen[] = [];
  server.use(
    http.post(url, async ({ request }) => {
      seen.push({
        url: request.url,
        method: request.method,
        headers: Object.fromEntries(request.headers.entries()),
        body: JSON.parse(await request.text()) as unknown,
      });
      return reply();
    }),
  );
  return seen;
}

const client = (extra: Partial<Parameters<typeof createParticipantClient>[0]> = {}) =>
  createParticipantClient({ connectionToken: TOKEN, endpoint: ENDPOINT, ...extra });

const START_REQUEST = { name: 'report.pdf', sizeInBytes: 1234, contentType: 'application/pdf', clientToken: 'ct-1' };

const GOOD_START_REPLY = {
  AttachmentId: 'att-1',
  UploadMetadata: {
    Url: 'https://bucket.s3.amazonaws.com/chat/c1/att-1?X-Amz-Signature=abc',
    UrlExpiry: '2019-11-08T02:41:28.172Z',
    HeadersToInclude: {
      'Content-Type': 'application/pdf',
      'Content-Length': '1234',
      'x-amz-meta-contact_id': 'c1',
      'Content-Disposition': 'attachment; filename="report.pdf"',
    },
  },
};

/** Everything an error exposes; the ConnectionToken must be in none of it. */
function everything(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return [JSON.stringify(error), String(error), error.stack ?? '', JSON.stringify((error as UploadError).details), cause === undefined ? '' : everything(cause)].join('\n');
}

async function failure(promise: Promise<unknown>): Promise<UploadError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(UploadError);
  expect(everything(error)).not.toContain(TOKEN);
  return error as UploadError;
}

describe('StartAttachmentUpload', () => {
  it('POSTs the documented body with the token only in X-Amz-Bearer, and maps the reply', async () => {
    const seen = answer(START, () => HttpResponse.json(GOOD_START_REPLY));
    const target = await client().startUpload(START_REQUEST);

    expect(seen).toHaveLength(1);
    const [request] = seen;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe(START);
    expect(request?.url).not.toContain(TOKEN);
    expect(request?.headers['x-amz-bearer']).toBe(TOKEN);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.body).toEqual({ AttachmentName: 'report.pdf', AttachmentSizeInBytes: 1234, ClientToken: 'ct-1', ContentType: 'application/pdf' });
    expect(target).toEqual({
      attachmentId: 'att-1',
      url: GOOD_START_REPLY.UploadMetadata.Url,
      urlExpiry: Date.UTC(2019, 10, 8, 2, 41, 28, 172),
      headersToInclude: GOOD_START_REPLY.UploadMetadata.HeadersToInclude,
    });
  });

  it.each([
    ['2023-08-03T08:15:46Z', Date.UTC(2023, 7, 3, 8, 15, 46)],
    ['2023-08-03T08:15:46.5Z', Date.UTC(2023, 7, 3, 8, 15, 46, 500)],
    ['2023-08-03T08:15:46.123456Z', Date.UTC(2023, 7, 3, 8, 15, 46, 123)],
    ['2023-08-03T10:15:46+02:00', Date.UTC(2023, 7, 3, 8, 15, 46)],
    ['2023-08-03T03:15:46-0500', Date.UTC(2023, 7, 3, 8, 15, 46)],
  ])('reads UrlExpiry %s', async (urlExpiry, expected) => {
    answer(START, () => HttpResponse.json({ ...GOOD_START_REPLY, UploadMetadata: { ...GOOD_START_REPLY.UploadMetadata, UrlExpiry: urlExpiry } }));
    expect((await client().startUpload(START_REQUEST)).urlExpiry).toBe(expected);
  });

  it.each(['http://127.0.0.1:4568/b/k', 'http://127.5.6.7/b/k', 'http://localhost:4568/b/k', 'http://[::1]:4568/b/k'])(
    'accepts plain http only on a loopback host: %s',
    async (url) => {
      answer(START, () => HttpResponse.json({ ...GOOD_START_REPLY, UploadMetadata: { ...GOOD_START_REPLY.UploadMetadata, Url: url } }));
      expect((await client().startUpload(START_REQUEST)).url).toBe(url);
    },
  );

  it('takes a missing HeadersToInclude as none', async () => {
    const { HeadersToInclude: _dropped, ...metadata } = GOOD_START_REPLY.UploadMetadata;
    answer(START, () => HttpResponse.json({ ...GOOD_START_REPLY, UploadMetadata: metadata }));
    expect((await client().startUpload(START_REQUEST)).headersToInclude).toEqual({});
  });

  const metadata = GOOD_START_REPLY.UploadMetadata;
  it.each<[string, () => Response]>([
    ['not JSON', () => new HttpResponse('<html>proxy error</html>', { status: 200, headers: { 'Content-Type': 'text/html' } })],
    ['a JSON array', () => HttpResponse.json([GOOD_START_REPLY])],
    ['no AttachmentId', () => HttpResponse.json({ UploadMetadata: metadata })],
    ['an empty AttachmentId', () => HttpResponse.json({ ...GOOD_START_REPLY, AttachmentId: '' })],
    ['no UploadMetadata', () => HttpResponse.json({ AttachmentId: 'att-1' })],
    ['no Url', () => HttpResponse.json({ AttachmentId: 'att-1', UploadMetadata: { ...metadata, Url: undefined } })],
    ['a Url that is not a URL', () => HttpResponse.json({ AttachmentId: 'att-1', UploadMetadata: { ...metadata, Url: 'not a url' } })],
    ['a plain-http Url off loopback', () => HttpResponse.json({ AttachmentId: 'att-1', UploadMetadata: { ...metadata, Url: 'http://bucket.example.com/k' } })],
    ['a javascript: Url', () => HttpResponse.json({ AttachmentId: 'att-1', UploadMetadata: { ...metadata, Url: 'javascript:alert(1)' } })],
    ['no UrlExpiry', () => HttpResponse.json({ AttachmentId: 'att-1', UploadMetadata: { ...metadata, UrlExpiry: undefined } })],
    ['an unparseable UrlExpiry', () => HttpResponse.json({ AttachmentId: 'att-1', UploadMetadata: { ...metadata, UrlExpiry: 'tomorrow' } })],
    ['an epoch-number UrlExpiry', () => HttpResponse.json({ AttachmentId: 'att-1', UploadMetadata: { ...metadata, UrlExpiry: 1_700_000_000 } })],
    ['HeadersToInclude as an array', () => HttpResponse.json({ AttachmentId: 'att-1', UploadMetadata: { ...metadata, HeadersToInclude: ['a'] } })],
    ['a numeric header value', () => HttpResponse.json({ AttachmentId: 'att-1', UploadMetadata: { ...metadata, HeadersToInclude: { 'Content-Length': 9 } } })],
    ['a header name with a space', () => HttpResponse.json({ AttachmentId: 'att-1', UploadMetadata: { ...metadata, HeadersToInclude: { 'Bad Name': 'x' } } })],
    ['a header value with CRLF', () => HttpResponse.json({ AttachmentId: 'att-1', UploadMetadata: { ...metadata, HeadersToInclude: { 'x-amz-meta-a': 'x\r\nEvil: 1' } } })],
  ])('a reply with %s is a bad-response error', async (_, reply) => {
    answer(START, reply);
    const error = await failure(client().startUpload(START_REQUEST));
    expect(error.code).toBe('bad-response');
    expect(error.details.status).toBe(200);
    expect(error.message).toContain('StartAttachmentUpload');
  });
});

describe('CompleteAttachmentUpload', () => {
  it('POSTs exactly one AttachmentId with the ClientToken', async () => {
    const seen = answer(COMPLETE, () => HttpResponse.json({}));
    await client().completeUpload({ attachmentId: 'att-9', clientToken: 'ct-9' });
    expect(seen.map((request) => [request.url, request.headers['x-amz-bearer'], request.body])).toEqual([
      [COMPLETE, TOKEN, { AttachmentIds: ['att-9'], ClientToken: 'ct-9' }],
    ]);
  });

  it('maps ConflictException', async () => {
    answer(COMPLETE, () => HttpResponse.json({ message: 'already being uploaded' }, { status: 409, headers: { 'x-amzn-ErrorType': 'ConflictException' } }));
    const error = await failure(client().completeUpload({ attachmentId: 'att-9', clientToken: 'ct-9' }));
    expect(error.code).toBe('conflict');
    expect(error.message).toBe('CompleteAttachmentUpload failed (ConflictException): already being uploaded');
  });
});

describe('GetAttachment', () => {
  it('sends UrlExpiryInSeconds only when given and maps the reply', async () => {
    const seen = answer(GET, () =>
      HttpResponse.json({ Url: 'https://bucket.s3.amazonaws.com/k?sig', UrlExpiry: '2023-08-03T08:15:46Z', AttachmentSizeInBytes: 42 }),
    );
    const download = await client().getAttachment('att-3', { urlExpiryInSeconds: 60 });
    await client().getAttachment('att-3');
    expect(seen.map((request) => request.body)).toEqual([{ AttachmentId: 'att-3', UrlExpiryInSeconds: 60 }, { AttachmentId: 'att-3' }]);
    expect(download).toEqual({ url: 'https://bucket.s3.amazonaws.com/k?sig', urlExpiry: Date.UTC(2023, 7, 3, 8, 15, 46), sizeInBytes: 42 });
  });

  it.each([
    ['an http Url off loopback', { Url: 'http://evil.example/k' }],
    ['an unparseable UrlExpiry', { Url: 'https://b/k', UrlExpiry: 'soon' }],
    ['a negative size', { Url: 'https://b/k', AttachmentSizeInBytes: -1 }],
    ['a size as text', { Url: 'https://b/k', AttachmentSizeInBytes: '42' }],
  ])('%s is a bad-response error', async (_, reply) => {
    answer(GET, () => HttpResponse.json(reply));
    expect((await failure(client().getAttachment('att-3'))).code).toBe('bad-response');
  });
});

describe('error replies', () => {
  it.each([
    ['AccessDeniedException', 403, 'access-denied'],
    ['ServiceQuotaExceededException', 402, 'quota-exceeded'],
    ['ThrottlingException', 429, 'throttled'],
    ['ValidationException', 400, 'validation'],
    ['ConflictException', 409, 'conflict'],
    ['InternalServerException', 500, 'server'],
  ] as const)('%s (%i) → %s', async (errorType, status, code) => {
    answer(START, () =>
      HttpResponse.json({ message: `the ${errorType} text` }, { status, headers: { 'x-amzn-ErrorType': `${errorType}:http://internal.amazon.com/coral/com.amazonaws.connectparticipant/` } }),
    );
    const error = await failure(client().startUpload(START_REQUEST));
    expect(error.code).toBe(code);
    expect(error.message).toBe(`StartAttachmentUpload failed (${errorType}): the ${errorType} text`);
    expect(error.details).toEqual({ status, serverCode: errorType });
  });

  it('takes the error name over the status, and reads Message and the body __type', async () => {
    answer(START, () => HttpResponse.json({ __type: 'com.amazonaws.connectparticipant#ThrottlingException', Message: 'Rate exceeded' }, { status: 400 }));
    const error = await failure(client().startUpload(START_REQUEST));
    expect(error.code).toBe('throttled');
    expect(error.details.serverCode).toBe('ThrottlingException');
    expect(error.message).toContain('Rate exceeded');
  });

  it.each([
    [500, 'server'],
    [502, 'server'],
    [503, 'server'],
    [403, 'access-denied'],
    [429, 'throttled'],
    [404, 'bad-response'],
  ] as const)('without an error name, status %i → %s', async (status, code) => {
    answer(START, () => new HttpResponse('<html>Bad Gateway</html>', { status }));
    const error = await failure(client().startUpload(START_REQUEST));
    expect(error.code).toBe(code);
    expect(error.details).toEqual({ status });
    expect(error.message).toBe(`StartAttachmentUpload failed (HTTP ${status}).`);
  });

  it('reports Retry-After in seconds, as delta-seconds or an HTTP date', async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1, 0, 0, 0));
    answer(START, () => HttpResponse.json({ message: 'slow down' }, { status: 429, headers: { 'x-amzn-ErrorType': 'ThrottlingException', 'Retry-After': '7' } }));
    expect((await failure(client({ clock }).startUpload(START_REQUEST))).details.retryAfterSeconds).toBe(7);
    server.resetHandlers();
    answer(START, () => HttpResponse.json({}, { status: 503, headers: { 'Retry-After': 'Thu, 01 Jan 2026 00:00:12 GMT' } }));
    expect((await failure(client({ clock }).startUpload(START_REQUEST))).details.retryAfterSeconds).toBe(12);
  });

  it('passes on the reason a quota error names', async () => {
    answer(START, () =>
      HttpResponse.json({ message: 'too many', Reason: 'TOTAL_FILE_COUNT_EXCEEDED' }, { status: 402, headers: { 'x-amzn-ErrorType': 'ServiceQuotaExceededException' } }),
    );
    expect((await failure(client().startUpload(START_REQUEST))).details.reason).toBe('TOTAL_FILE_COUNT_EXCEEDED');
  });

  it('scrubs the ConnectionToken from a server message that echoes it', async () => {
    answer(START, () =>
      HttpResponse.json({ message: `Invalid token ${TOKEN} for contact`, Reason: TOKEN }, { status: 403, headers: { 'x-amzn-ErrorType': `AccessDeniedException` } }),
    );
    const error = await failure(client().startUpload(START_REQUEST));
    expect(error.message).toBe('StartAttachmentUpload failed (AccessDeniedException): Invalid token [redacted] for contact');
  });

  it('scrubs the ConnectionToken before shortening a long message, so no part of it survives the cut', async () => {
    // The token straddles the 300-character cut: shortened first, its head would no longer match and stay.
    const message = `${'x'.repeat(300 - TOKEN.length / 2)} ${TOKEN} trailing text`;
    answer(START, () => HttpResponse.json({ message }, { status: 403, headers: { 'x-amzn-ErrorType': 'AccessDeniedException' } }));
    const error = await failure(client().startUpload(START_REQUEST));
    expect(error.message).toContain('[redacted]');
    expect(error.message).not.toContain(TOKEN.slice(0, 8));
  });
});

describe('no reply', () => {
  it('a network failure is a network error without the axios error as cause', async () => {
    answer(START, () => HttpResponse.error());
    const error = await failure(client().startUpload(START_REQUEST));
    expect(error.code).toBe('network');
    expect(error.cause).toBeUndefined();
  });

  it('a call with no reply within timeoutMs is a timeout error', async () => {
    const clock = new FakeClock();
    let arrived = 0;
    answer(START, async () => {
      arrived++;
      await delay('infinite');
      return HttpResponse.json({});
    });
    const promise = failure(client({ clock, timeoutMs: 5000 }).startUpload(START_REQUEST));
    await clock.advance(4999);
    await expect(Promise.race([promise, delay(50).then(() => 'still waiting')])).resolves.toBe('still waiting');
    await clock.advance(1);
    const error = await promise;
    expect(arrived).toBe(1);
    expect(error.code).toBe('timeout');
    expect(error.message).toBe('StartAttachmentUpload: no reply for 5 s.');
    expect(clock.pending).toBe(0);
  });

  it('aborting the signal cancels the call at once', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    answer(COMPLETE, async () => {
      controller.abort();
      await delay('infinite');
      return HttpResponse.json({});
    });
    const error = await failure(client({ clock }).completeUpload({ attachmentId: 'a', clientToken: 'c' }, { signal: controller.signal }));
    expect(error.code).toBe('cancelled');
    expect(clock.pending).toBe(0);
  });

  it('an already aborted signal sends nothing', async () => {
    const seen = answer(START, () => HttpResponse.json(GOOD_START_REPLY));
    const error = await failure(client().startUpload(START_REQUEST, { signal: AbortSignal.abort() }));
    expect(error.code).toBe('cancelled');
    expect(seen).toHaveLength(0);
  });
});

describe('configuration', () => {
  it('builds the regional endpoint', async () => {
    const seen = answer('https://participant.connect.eu-west-2.amazonaws.com/participant/attachment', () => HttpResponse.json({}));
    await createParticipantClient({ connectionToken: TOKEN, region: 'eu-west-2' }).getAttachment('a');
    expect(seen).toHaveLength(1);
  });

  it('lets an endpoint with a trailing slash override the region', async () => {
    const seen = answer(GET, () => HttpResponse.json({}));
    await createParticipantClient({ connectionToken: TOKEN, region: 'us-east-1', endpoint: `${ENDPOINT}/` }).getAttachment('a');
    expect(seen.map((request) => request.url)).toEqual([GET]);
  });

  it('uses a host-provided axios instance, interceptors included, without its response transforms', async () => {
    const instance = axios.create({ timeout: 1, transformResponse: [() => 'mangled'] });
    instance.interceptors.request.use((config) => {
      config.headers.set('x-host-trace', 'trace-1');
      return config;
    });
    const seen = answer(START, async () => {
      await delay(20); // longer than the instance's own 1 ms timeout, which must not apply
      return HttpResponse.json(GOOD_START_REPLY);
    });
    const target = await client({ axios: instance }).startUpload(START_REQUEST);
    expect(seen[0]?.headers['x-host-trace']).toBe('trace-1');
    expect(target.attachmentId).toBe('att-1');
  });

  it('sets no upload progress listener on its calls: in a browser it only makes each request costlier', async () => {
    const instance = axios.create();
    const listeners: unknown[] = [];
    instance.interceptors.request.use((config) => {
      listeners.push(config.onUploadProgress);
      return config;
    });
    answer(START, () => HttpResponse.json(GOOD_START_REPLY));
    answer(COMPLETE, () => HttpResponse.json({}));
    await client({ axios: instance }).startUpload(START_REQUEST);
    await client({ axios: instance }).completeUpload({ attachmentId: 'att-1', clientToken: 'ct-2' });
    expect(listeners).toEqual([undefined, undefined]);
  });

  it.each([
    [{ connectionToken: '', endpoint: ENDPOINT }, /connectionToken/],
    [{ connectionToken: TOKEN }, /region/],
    [{ connectionToken: TOKEN, region: 'evil.example.com/x' }, /region/],
    [{ connectionToken: TOKEN, endpoint: 'http://participant.example.com' }, /https/],
    [{ connectionToken: TOKEN, endpoint: 'nonsense' }, /https/],
  ])('refuses a configuration that cannot work or would leak the token: %j', (options, message) => {
    expect(() => createParticipantClient(options)).toThrow(message);
  });

  it('reports its kind', () => {
    expect(client().kind).toBe('participant');
  });
});
