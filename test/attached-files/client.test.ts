import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConnectClient } from '@aws-sdk/client-connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachedFileObjectKey, type AttachedFileFaultsUpdate, type AttachedFileResourceSnapshot } from '../../emulator/attached-files';
import { startEmulator, type Emulator } from '../../emulator/server';
import { connectClient, sha256 } from '../../emulator/test-support';
import { createAttachedFileClient, waitForScan, type AttachedFileClient, type AttachedFileClientCommonOptions } from '../../src/attached-files';
import { UploadError } from '../../src/core/errors';
import { putFile } from '../../src/core/put';
import { uploadAttachment, type UploadEvent } from '../../src/core/upload';
import { sourceFile, TEST_POLICY } from '../integration/support';
import { startBackend, startCanned, type TestServer } from './support';

const EICAR = readFileSync(new URL('../fixtures/samples/hostile/eicar.txt', import.meta.url));
const SESSION = 'agent-session-1';

let emulator: Emulator;
let backend: TestServer;

/** Every command the tests' ConnectClients sent to the emulator, in order (their SDK retries are off). */
const sent: Array<{ command: string; input: Record<string, unknown> }> = [];

/** `connectClient(emulator)` that writes down what it sends, so a test can see the ClientToken of each try. */
function recordingConnectClient(): ConnectClient {
  const connect = connectClient(emulator);
  connect.middlewareStack.add(
    (next, context) => (args) => {
      sent.push({ command: context.commandName ?? '', input: { ...args.input } });
      return next(args);
    },
    { step: 'initialize', name: 'recordSent' },
  );
  return connect;
}

beforeAll(async () => {
  emulator = await startEmulator();
  backend = await startBackend(recordingConnectClient(), { instanceId: emulator.instanceId, session: SESSION });
});
afterAll(async () => {
  await backend?.close();
  await emulator?.close();
});

/** The two ways a host calls Connect: its own configured ConnectClient, or its backend. */
const MODES = {
  sdk: (options: AttachedFileClientCommonOptions) => createAttachedFileClient({ ...options, connect: recordingConnectClient() }),
  backend: (options: AttachedFileClientCommonOptions) =>
    createAttachedFileClient({ ...options, backend: { url: backend.url, headers: () => ({ 'x-agent-session': SESSION }) } }),
};

const common = (arn = emulator.newCaseArn()): AttachedFileClientCommonOptions => ({ instanceId: emulator.instanceId, associatedResourceArn: arn });

/** Start → the library's putFile → Complete; resolves with the FileId. */
async function uploadFile(client: AttachedFileClient, name: string, bytes: Uint8Array, contentType: string): Promise<string> {
  const target = await client.startUpload({ name, sizeInBytes: bytes.length, contentType, clientToken: randomUUID() });
  await putFile(target, new Blob([Uint8Array.from(bytes)]));
  await client.completeUpload({ attachmentId: target.attachmentId, clientToken: randomUUID() });
  return target.attachmentId;
}

async function failure(promise: Promise<unknown>): Promise<UploadError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof UploadError)) throw new Error(`expected an UploadError, got ${String(error)}`);
  return error;
}

/**
 * One file through uploadAttachment (the library's retry policy) on a fresh case whose emulator faults are set
 * first. `phases` are the phases it went through, a retry's with the error code (`retrying:throttled`).
 */
async function uploadThroughFaults(
  create: (options: AttachedFileClientCommonOptions) => AttachedFileClient,
  faults: AttachedFileFaultsUpdate,
  name: string,
  size: number,
) {
  const arn = emulator.newCaseArn();
  const client = create(common(arn));
  emulator.setAttachedFileFaults(arn, faults);
  const source = sourceFile(name, size);
  const events: UploadEvent[] = [];
  const uploaded = await uploadAttachment(source.file, { client, retryPolicy: TEST_POLICY, onEvent: (event) => events.push(event) });
  const phases = events.flatMap((e) => (e.type === 'phase' ? [`${e.phase}${e.error ? `:${e.error.code}` : ''}`] : []));
  return { arn, source, uploaded, events, phases };
}

/**
 * Every fault of the case fired, with these calls and PUTs; the file ended COMPLETED and APPROVED, and S3 holds
 * exactly the source's bytes under the case's key.
 */
async function expectCompleted(
  arn: string,
  fileId: string,
  source: { bytes: Uint8Array; sha256: string },
  expected: Pick<AttachedFileResourceSnapshot, 'calls' | 'putStats'>,
): Promise<void> {
  expect(emulator.attachedFileResourceState(arn)).toEqual({ associatedResourceArn: arn, faults: {}, putFaults: {}, ...expected });
  expect(emulator.attachedFileState(fileId)).toMatchObject({ sizeInBytes: source.bytes.length, state: 'COMPLETED', status: 'APPROVED' });
  const stored = await emulator.s3.readObject(attachedFileObjectKey(arn, fileId));
  expect(stored === undefined ? undefined : sha256(stored)).toBe(source.sha256);
}

describe.each(Object.entries(MODES))('createAttachedFileClient through %s against the emulator', (_mode, create) => {
  it('uploads with putFile, completes, and gets an approved file with a download URL', async () => {
    const arn = emulator.newCaseArn();
    const client = create({ ...common(arn), tags: { team: 'billing' }, urlExpiryInSeconds: 60 });
    expect(client.kind).toBe('attached-file');
    const bytes = randomBytes(150_000);
    const target = await client.startUpload({ name: 'scan.png', sizeInBytes: bytes.length, contentType: 'image/png', clientToken: randomUUID() });
    expect(target.urlExpiry - Date.now()).toBeGreaterThan(50_000);
    expect(target.urlExpiry - Date.now()).toBeLessThanOrEqual(60_000);
    expect(target.headersToInclude).toMatchObject({ 'Content-Type': 'image/png', 'Content-Length': String(bytes.length) });
    await putFile(target, new Blob([Uint8Array.from(bytes)]));
    await client.completeUpload({ attachmentId: target.attachmentId, clientToken: randomUUID() });

    const scanned = await waitForScan(client, target.attachmentId, { urlExpiryInSeconds: 30 });
    expect(scanned).toMatchObject({ status: 'APPROVED', sizeInBytes: bytes.length, url: expect.stringContaining(emulator.s3Endpoint) });
    expect(scanned.urlExpiry).toBeGreaterThan(Date.now());
    const download = await fetch(scanned.url ?? '');
    expect(sha256(new Uint8Array(await download.arrayBuffer()))).toBe(sha256(bytes));
    expect(emulator.attachedFileState(target.attachmentId)).toMatchObject({ associatedResourceArn: arn, fileName: 'scan.png' });
  });

  it('ends an EICAR file REJECTED, with no download URL', async () => {
    const client = create(common());
    const fileId = await uploadFile(client, 'eicar.txt', EICAR, 'text/plain');
    const statuses: string[] = [];
    const scanned = await waitForScan(client, fileId, { onStatus: (status) => statuses.push(status) });
    expect(scanned.status).toBe('REJECTED');
    expect(scanned.url).toBeUndefined();
    expect(statuses).toEqual(['REJECTED']);
    await expect(client.getAttachment(fileId)).resolves.toEqual({ status: 'REJECTED', sizeInBytes: EICAR.length });
  });

  it('maps quota errors to quota-exceeded, naming the reason in details and message', async () => {
    const arn = emulator.newCaseArn();
    const client = create(common(arn));
    emulator.setAttachedFileLimits(arn, { fileCountQuota: 1, totalFileSizeBytes: 100 });
    const start = (sizeInBytes: number) => client.startUpload({ name: 'a.txt', sizeInBytes, contentType: 'text/plain', clientToken: randomUUID() });

    const tooBig = await failure(start(101));
    expect(tooBig).toMatchObject({
      code: 'quota-exceeded',
      details: { status: 402, serverCode: 'ServiceQuotaExceededException', reason: 'TOTAL_FILE_SIZE_EXCEEDED' },
    });
    expect(tooBig.message).toMatch(/^StartAttachedFileUpload failed \(ServiceQuotaExceededException: TOTAL_FILE_SIZE_EXCEEDED\): /);

    const { attachmentId } = await start(10);
    const tooMany = await failure(start(10));
    expect(tooMany).toMatchObject({ code: 'quota-exceeded', details: { reason: 'TOTAL_FILE_COUNT_EXCEEDED' } });
    expect(tooMany.message).toContain('TOTAL_FILE_COUNT_EXCEEDED');

    await client.deleteFile(attachmentId);
    await expect(start(10)).resolves.toHaveProperty('attachmentId');
  });

  it('maps refused files and unknown files to validation', async () => {
    const client = create(common());
    const refused = await failure(client.startUpload({ name: 'setup.exe', sizeInBytes: 5, contentType: 'application/x-msdownload', clientToken: randomUUID() }));
    expect(refused).toMatchObject({ code: 'validation', details: { status: 400, serverCode: 'InvalidRequestException', reason: 'INVALID_FILE_TYPE' } });
    const empty = await failure(client.startUpload({ name: 'a.txt', sizeInBytes: 0, contentType: 'text/plain', clientToken: randomUUID() }));
    expect(empty).toMatchObject({ code: 'validation', message: expect.stringMatching(/FileSizeInBytes/) });
    const unknown = await failure(client.getAttachment('no-such-file'));
    expect(unknown).toMatchObject({ code: 'validation', details: { status: 404, serverCode: 'ResourceNotFoundException' } });
    const notUploaded = await client.startUpload({ name: 'a.txt', sizeInBytes: 5, contentType: 'text/plain', clientToken: randomUUID() });
    await expect(failure(client.completeUpload({ attachmentId: notUploaded.attachmentId, clientToken: randomUUID() }))).resolves.toMatchObject({
      code: 'validation',
      message: expect.stringContaining('has not been uploaded'),
    });
  });

  it('uploads through a throttled Start (retried with the same ClientToken) and a failed Complete: the file ends COMPLETED', async () => {
    const faults = { throttleStart: { count: 1, retryAfterSeconds: 1 }, failComplete: { count: 1 } };
    const { arn, source, uploaded, events, phases } = await uploadThroughFaults(create, faults, 'statement.pdf', 60_000);

    expect(phases).toEqual(['checking', 'starting', 'retrying:throttled', 'starting', 'uploading', 'completing', 'retrying:server', 'completing']);
    // In backend mode too: the README's recipe (support.ts) passes Retry-After on.
    const throttled = events.find((e) => e.type === 'phase' && e.error?.code === 'throttled');
    expect(throttled).toMatchObject({ error: { details: { status: 429, serverCode: 'ThrottlingException', retryAfterSeconds: 1 } } });

    const calls = (command: string) => sent.filter((c) => c.command === command && c.input['AssociatedResourceArn'] === arn);
    const starts = calls('StartAttachedFileUploadCommand');
    expect(starts).toHaveLength(2);
    expect(starts[0]?.input['ClientToken']).toEqual(expect.any(String));
    expect(starts[1]?.input['ClientToken']).toBe(starts[0]?.input['ClientToken']);
    expect(calls('CompleteAttachedFileUploadCommand').map((c) => c.input['FileId'])).toEqual([uploaded.attachmentId, uploaded.attachmentId]);

    expect(emulator.attachedFileState(uploaded.attachmentId)).toMatchObject({ fileName: 'statement.pdf' });
    await expectCompleted(arn, uploaded.attachmentId, source, {
      calls: { startAttachedFileUpload: 2, completeAttachedFileUpload: 2, getAttachedFile: 0 },
      putStats: { puts: 1, failed: 0, resets: 0, stalls: 0, succeeded: 1 },
    });
  });

  it('uploads through a PUT that fails with 503 and one reset mid-body, retried on the same URL: the file ends COMPLETED', async () => {
    // Node's http stack sees the reset itself (no silent browser retry): one is enough. The failure fires first.
    const faults = { put: { failNext: { count: 1, status: 503 }, resetNext: { count: 1, afterBytes: 65_536 } } };
    const { arn, source, uploaded, events, phases } = await uploadThroughFaults(create, faults, 'scan.png', 300_000);

    // S3's 503 SlowDown (the code the emulator gives a 503 by default) is a throttle to the library.
    expect(phases).toEqual(['checking', 'starting', 'uploading', 'retrying:throttled', 'uploading', 'retrying:network', 'uploading', 'completing']);
    const slowedDown = events.find((e) => e.type === 'phase' && e.error?.code === 'throttled');
    expect(slowedDown).toMatchObject({ error: { details: { status: 503, serverCode: 'SlowDown' } } });
    // The same URL all along: one Start, one Complete; three PUTs.
    await expectCompleted(arn, uploaded.attachmentId, source, {
      calls: { startAttachedFileUpload: 1, completeAttachedFileUpload: 1, getAttachedFile: 0 },
      putStats: { puts: 3, failed: 1, resets: 1, stalls: 0, succeeded: 1 },
    });
  });

  it('reports a cancelled call as cancelled', async () => {
    const client = create(common());
    const controller = new AbortController();
    controller.abort();
    await expect(failure(client.getAttachment('any', { signal: controller.signal }))).resolves.toMatchObject({ code: 'cancelled' });
  });
});

describe('access refused', () => {
  it('maps a wrong signature (SDK mode) to access-denied', async () => {
    const connect = connectClient(emulator, { ...emulator.credentials, secretAccessKey: 'wrong' });
    const client = createAttachedFileClient({ ...common(), connect });
    const error = await failure(client.startUpload({ name: 'a.txt', sizeInBytes: 5, contentType: 'text/plain', clientToken: randomUUID() }));
    expect(error).toMatchObject({ code: 'access-denied', details: { status: 403, serverCode: 'InvalidSignatureException' } });
  });

  it('maps a backend refusal (no session) to access-denied, and sends the host headers', async () => {
    const client = createAttachedFileClient({ ...common(), backend: { url: backend.url, headers: { 'x-agent-session': 'someone-else' } } });
    const error = await failure(client.getAttachment('any'));
    expect(error).toMatchObject({ code: 'access-denied', message: 'GetAttachedFile failed (AccessDeniedException): Sign in first.' });
  });
});

describe('what goes to a host backend', () => {
  it('posts {operation, input} with the Connect member names, and nothing else', async () => {
    const arn = emulator.newCaseArn();
    const agent = `arn:aws:connect:us-east-1:123456789012:instance/${emulator.instanceId}/agent/a1`;
    const client = MODES.backend({ ...common(arn), fileUseCaseType: 'EMAIL_MESSAGE', createdBy: { ConnectUserArn: agent }, urlExpiryInSeconds: 90 });
    const before = backend.received.length;
    const target = await client.startUpload({ name: 'a.txt', sizeInBytes: 5, contentType: 'text/plain', clientToken: 'token-42' });
    await client.getAttachment(target.attachmentId, { urlExpiryInSeconds: 10 });
    expect(backend.received.slice(before)).toEqual([
      {
        operation: 'StartAttachedFileUpload',
        input: {
          InstanceId: emulator.instanceId,
          AssociatedResourceArn: arn,
          FileName: 'a.txt',
          FileSizeInBytes: 5,
          FileUseCaseType: 'EMAIL_MESSAGE',
          ClientToken: 'token-42',
          UrlExpiryInSeconds: 90,
          CreatedBy: { ConnectUserArn: agent },
        },
      },
      {
        operation: 'GetAttachedFile',
        input: { InstanceId: emulator.instanceId, AssociatedResourceArn: arn, FileId: target.attachmentId, UrlExpiryInSeconds: 10 },
      },
    ]);
  });
});

describe('replies Connect gives on a bad day', () => {
  /** A client of each mode pointed at a canned server; the SDK gets one attempt, so its own retries stay out. */
  function clients(server: TestServer): Record<string, AttachedFileClient> {
    const origin = new URL(server.url).origin;
    const connect = new ConnectClient({ endpoint: origin, region: 'us-east-1', credentials: emulator.credentials, maxAttempts: 1 });
    return {
      sdk: createAttachedFileClient({ ...common(), connect }),
      backend: createAttachedFileClient({ ...common(), backend: { url: server.url } }),
    };
  }

  it.each([
    [429, 'ThrottlingException', 'throttled', { 'Retry-After': '7' }, { retryAfterSeconds: 7 }],
    [500, 'InternalServiceException', 'server', {}, {}],
    [409, 'ResourceConflictException', 'conflict', {}, {}],
  ])('maps %i %s to %s in both modes', async (status, name, code, headers, details) => {
    const server = await startCanned({ status, headers: { 'x-amzn-ErrorType': name, ...headers }, body: JSON.stringify({ Message: 'Try later.' }) });
    try {
      for (const [mode, client] of Object.entries(clients(server))) {
        const error = await failure(client.getAttachment('f1'));
        expect({ mode, code: error.code, details: error.details, message: error.message }).toEqual({
          mode,
          code,
          details: { status, serverCode: name, ...details },
          message: `GetAttachedFile failed (${name}): Try later.`,
        });
      }
    } finally {
      await server.close();
    }
  });

  it.each([
    ['no UploadUrlMetadata', { FileId: 'f1' }, /no UploadUrlMetadata/],
    ['a plain-http URL off loopback', { FileId: 'f1', UploadUrlMetadata: { Url: 'http://example.com/x', UrlExpiry: '2030-01-01T00:00:00Z' } }, /not an https URL/],
    ['a bad UrlExpiry', { FileId: 'f1', UploadUrlMetadata: { Url: 'https://example.com/x', UrlExpiry: 'soon' } }, /UrlExpiry/],
  ])('refuses a Start reply with %s as bad-response in both modes', async (_label, body, message) => {
    const server = await startCanned({ status: 200, body: JSON.stringify(body) });
    try {
      for (const client of Object.values(clients(server))) {
        const error = await failure(client.startUpload({ name: 'a.txt', sizeInBytes: 5, contentType: 'text/plain', clientToken: randomUUID() }));
        expect(error).toMatchObject({ code: 'bad-response', message: expect.stringMatching(message) });
      }
    } finally {
      await server.close();
    }
  });

  it('drops a download URL of a file that is not approved, and refuses an unknown status', async () => {
    const rejected = await startCanned({
      status: 200,
      body: JSON.stringify({ FileStatus: 'REJECTED', FileSizeInBytes: 3, DownloadUrlMetadata: { Url: 'https://example.com/x', UrlExpiry: '2030-01-01T00:00:00Z' } }),
    });
    const unknown = await startCanned({ status: 200, body: JSON.stringify({ FileStatus: 'CLEAN', FileSizeInBytes: 3 }) });
    try {
      for (const client of Object.values(clients(rejected))) {
        await expect(client.getAttachment('f1')).resolves.toEqual({ status: 'REJECTED', sizeInBytes: 3 });
      }
      for (const client of Object.values(clients(unknown))) {
        await expect(failure(client.getAttachment('f1'))).resolves.toMatchObject({ code: 'bad-response' });
      }
    } finally {
      await rejected.close();
      await unknown.close();
    }
  });

  it('maps no reply at all to network in both modes', async () => {
    const server = await startCanned({ status: 200, body: '{}' });
    await server.close();
    for (const client of Object.values(clients(server))) {
      await expect(failure(client.getAttachment('f1'))).resolves.toMatchObject({ code: 'network' });
    }
  });
});

describe('options', () => {
  const connect = () => connectClient(emulator);
  it.each([
    // The types refuse these too; plain JavaScript callers meet the runtime check.
    // @ts-expect-error neither connect nor backend
    ['neither connect nor backend', () => createAttachedFileClient({ ...common() })],
    // @ts-expect-error both connect and backend
    ['both connect and backend', () => createAttachedFileClient({ ...common(), connect: connect(), backend: { url: '/x' } })],
    ['no instanceId', () => createAttachedFileClient({ ...common(), instanceId: '', connect: connect() })],
    ['an associatedResourceArn that is no ARN', () => createAttachedFileClient({ ...common(), associatedResourceArn: 'case-1', connect: connect() })],
    ['a URL expiry over 300 s', () => createAttachedFileClient({ ...common(), urlExpiryInSeconds: 301, connect: connect() })],
  ])('refuses %s', (_label, create) => {
    expect(create).toThrow(TypeError);
  });
});
