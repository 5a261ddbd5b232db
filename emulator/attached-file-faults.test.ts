import {
  CompleteAttachedFileUploadCommand,
  GetAttachedFileCommand,
  InternalServiceException,
  ResourceConflictException,
  StartAttachedFileUploadCommand,
  ThrottlingException,
  type StartAttachedFileUploadCommandOutput,
} from '@aws-sdk/client-connect';
import { describe, expect, it } from 'vitest';
import { attachedFileObjectKey, attachedFileScope, type AttachedFileResourceSnapshot } from './attached-files';
import type { PutFaultStats } from './faults';
import { connectClient, putObject, rawCall, sharedEmulator } from './test-support';

const env = sharedEmulator();
const body = new TextEncoder().encode('hello');
const NO_PUTS: PutFaultStats = { puts: 0, failed: 0, resets: 0, stalls: 0, succeeded: 0 };

function start(arn: string, clientToken?: string, client = env.connect): Promise<StartAttachedFileUploadCommandOutput> {
  return client.send(
    new StartAttachedFileUploadCommand({
      InstanceId: env.emulator.instanceId,
      AssociatedResourceArn: arn,
      FileName: 'notes.txt',
      FileSizeInBytes: body.length,
      FileUseCaseType: 'ATTACHMENT',
      ...(clientToken === undefined ? {} : { ClientToken: clientToken }),
    }),
  );
}

const complete = (arn: string, fileId: string | undefined) =>
  env.connect.send(new CompleteAttachedFileUploadCommand({ InstanceId: env.emulator.instanceId, AssociatedResourceArn: arn, FileId: fileId }));

/** The control endpoint, over HTTP as browser tests and the demo use it. */
async function control(method: string, payload: unknown): Promise<{ status: number; errorType: string | null; json: unknown }> {
  const reply = await rawCall(env.emulator, '/_emulator/attached-files/faults', { method, body: JSON.stringify(payload) });
  return { status: reply.status, errorType: reply.errorType, json: JSON.parse(reply.body) };
}

describe('attached-file faults per associated resource', () => {
  it('throttles Start with 429 ThrottlingException and Retry-After; a retry gets through', async () => {
    const arn = env.emulator.newCaseArn();
    env.emulator.setAttachedFileFaults(arn, { throttleStart: { count: 1, retryAfterSeconds: 3 } });

    const error = await start(arn, 'token-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ThrottlingException);
    expect(error).toMatchObject({ message: 'Rate exceeded.', $metadata: { httpStatusCode: 429 }, $response: { headers: { 'retry-after': '3' } } });

    // Another throttle, without Retry-After (the SDK would wait for it): the SDK's standard retry absorbs it.
    env.emulator.setAttachedFileFaults(arn, { throttleStart: { count: 1 } });
    const retried = await start(arn, 'token-1', connectClient(env.emulator, env.emulator.credentials, 3));
    expect(retried.$metadata.attempts).toBe(2);
    expect(retried.FileId).toEqual(expect.any(String));
    expect(env.emulator.attachedFileResourceState(arn)).toEqual({
      associatedResourceArn: arn,
      faults: {},
      calls: { startAttachedFileUpload: 3, completeAttachedFileUpload: 0, getAttachedFile: 0 },
      putFaults: {},
      putStats: NO_PUTS,
    });
  });

  it('fails Complete once, and completes the same file on the next call', async () => {
    const arn = env.emulator.newCaseArn();
    env.emulator.setAttachedFileFaults(arn, { failComplete: { count: 1 } });
    const reply = await start(arn);
    expect((await putObject(reply.UploadUrlMetadata?.Url ?? '', reply.UploadUrlMetadata?.HeadersToInclude ?? {}, body)).status).toBe(200);

    const error = await complete(arn, reply.FileId).catch((e: unknown) => e);
    // Connect's model calls its 500 InternalServiceException (the participant model: InternalServerException).
    expect(error).toBeInstanceOf(InternalServiceException);
    expect(error).toMatchObject({ message: 'Injected failure.', $metadata: { httpStatusCode: 500 } });
    expect(env.emulator.attachedFileState(reply.FileId ?? '')).toMatchObject({ state: 'PENDING', status: 'PROCESSING' });

    await expect(complete(arn, reply.FileId)).resolves.toMatchObject({ $metadata: { httpStatusCode: 200 } });
    const file = await env.connect.send(
      new GetAttachedFileCommand({ InstanceId: env.emulator.instanceId, AssociatedResourceArn: arn, FileId: reply.FileId }),
    );
    expect(file.FileStatus).toBe('APPROVED');
    expect(env.emulator.attachedFileState(reply.FileId ?? '')).toMatchObject({ state: 'COMPLETED', status: 'APPROVED' });
    expect(env.emulator.attachedFileResourceState(arn).calls).toEqual({
      startAttachedFileUpload: 1,
      completeAttachedFileUpload: 2,
      getAttachedFile: 1,
    });
  });

  it('fails Start with the status, error type and message given, and creates no file meanwhile', async () => {
    const arn = env.emulator.newCaseArn();
    env.emulator.setAttachedFileLimits(arn, { fileCountQuota: 1 });
    env.emulator.setAttachedFileFaults(arn, { failStart: { count: 1, status: 409, errorType: 'ResourceConflictException', message: 'busy' } });
    const error = await start(arn).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceConflictException);
    expect(error).toMatchObject({ message: 'busy', $metadata: { httpStatusCode: 409 } });
    // The quota of one file is still free: the failed Start created nothing.
    await expect(start(arn)).resolves.toHaveProperty('FileId');
  });

  it('touches only the associated resource it was set for', async () => {
    const faulty = env.emulator.newCaseArn();
    const other = env.emulator.newCaseArn();
    env.emulator.setAttachedFileFaults(faulty, { throttleStart: { count: 1 }, failComplete: { count: 1 } });

    const reply = await start(other);
    await putObject(reply.UploadUrlMetadata?.Url ?? '', reply.UploadUrlMetadata?.HeadersToInclude ?? {}, body);
    await expect(complete(other, reply.FileId)).resolves.toBeDefined();
    expect(env.emulator.attachedFileResourceState(other)).toMatchObject({
      faults: {},
      calls: { startAttachedFileUpload: 1, completeAttachedFileUpload: 1 },
    });
    expect(env.emulator.attachedFileResourceState(faulty)).toMatchObject({
      faults: { throttleStart: { count: 1 }, failComplete: { count: 1 } },
      calls: { startAttachedFileUpload: 0, completeAttachedFileUpload: 0 },
    });
    await expect(start(faulty)).rejects.toBeInstanceOf(ThrottlingException);
  });

  it('clears them from code', async () => {
    const arn = env.emulator.newCaseArn();
    env.emulator.setAttachedFileFaults(arn, { failStart: { count: 5 } });
    env.emulator.clearAttachedFileFaults(arn);
    await expect(start(arn)).resolves.toHaveProperty('FileId');
  });
});

describe('attached-file PUT faults per associated resource', () => {
  const url = (reply: StartAttachedFileUploadCommandOutput) => reply.UploadUrlMetadata?.Url ?? '';
  const headers = (reply: StartAttachedFileUploadCommandOutput) => reply.UploadUrlMetadata?.HeadersToInclude ?? {};

  it("fails the next PUT of one case, not another case's, and a retry on the same URL gets through", async () => {
    const faulty = env.emulator.newCaseArn();
    const other = env.emulator.newCaseArn();
    const set = env.emulator.setAttachedFileFaults(faulty, { put: { failNext: { count: 1, status: 503 } } });
    expect(set).toMatchObject({ faults: {}, putFaults: { failNext: { count: 1, status: 503 } }, putStats: NO_PUTS });
    const mine = await start(faulty);
    const theirs = await start(other);

    expect(await putObject(url(theirs), headers(theirs), body)).toEqual({ status: 200, text: '' });
    const failed = await putObject(url(mine), headers(mine), body);
    expect(failed.status).toBe(503);
    expect(failed.text).toContain('<Code>SlowDown</Code>');
    expect(await env.emulator.s3.readObject(attachedFileObjectKey(faulty, mine.FileId ?? ''))).toBeUndefined();
    expect((await putObject(url(mine), headers(mine), body)).status).toBe(200);
    await expect(complete(faulty, mine.FileId)).resolves.toBeDefined();

    expect(env.emulator.attachedFileResourceState(faulty)).toEqual({
      associatedResourceArn: faulty,
      faults: {},
      calls: { startAttachedFileUpload: 1, completeAttachedFileUpload: 1, getAttachedFile: 0 },
      putFaults: {},
      putStats: { puts: 2, failed: 1, resets: 0, stalls: 0, succeeded: 1 },
    });
    expect(env.emulator.attachedFileResourceState(other)).toEqual({
      associatedResourceArn: other,
      faults: {},
      calls: { startAttachedFileUpload: 1, completeAttachedFileUpload: 0, getAttachedFile: 0 },
      putFaults: {},
      putStats: { ...NO_PUTS, puts: 1, succeeded: 1 },
    });
  });

  it('keeps cases apart from each other and from chat contacts in the S3 key', async () => {
    const arn = env.emulator.newCaseArn();
    const scope = attachedFileScope(arn);
    expect(scope).toMatch(/^res-[0-9a-f]{32}$/);
    expect(attachedFileScope(arn)).toBe(scope);
    expect(attachedFileScope(env.emulator.newCaseArn())).not.toBe(scope);
    // A chat contact's PUT faults stay with its chat/<contactId>/… objects.
    const chat = await env.emulator.startChat();
    env.emulator.setFaults(chat.contactId, { put: { failNext: { count: 1, status: 500 } } });
    const reply = await start(arn);
    expect((await putObject(url(reply), headers(reply), body)).status).toBe(200);
    expect(env.emulator.contactState(chat.contactId).putFaults).toEqual({ failNext: { count: 1, status: 500 } });
    env.emulator.clearFaults(chat.contactId);
  });

  it('refuses invalid PUT faults from code and changes nothing, and clears them with the other faults', async () => {
    const arn = env.emulator.newCaseArn();
    const untouched: AttachedFileResourceSnapshot = {
      associatedResourceArn: arn,
      faults: {},
      calls: { startAttachedFileUpload: 0, completeAttachedFileUpload: 0, getAttachedFile: 0 },
      putFaults: {},
      putStats: NO_PUTS,
    };
    expect(() => env.emulator.setAttachedFileFaults(arn, { failStart: { count: 1 }, put: { resetNext: { count: -1, afterBytes: 0 } } })).toThrow(
      /Invalid PUT faults/,
    );
    expect(env.emulator.attachedFileResourceState(arn)).toEqual(untouched);

    env.emulator.setAttachedFileFaults(arn, { failStart: { count: 1 }, put: { stallNext: { count: 1, afterBytes: 0 }, bandwidthBytesPerSecond: 1000 } });
    env.emulator.clearAttachedFileFaults(arn);
    expect(env.emulator.attachedFileResourceState(arn)).toEqual(untouched);
    const reply = await start(arn);
    expect((await putObject(url(reply), headers(reply), body)).status).toBe(200);
  });
});

describe('the attached-file faults control endpoint (/_emulator/attached-files/faults)', () => {
  it('sets faults, removes one with null and clears all with DELETE, answering the faults and calls', async () => {
    const arn = env.emulator.newCaseArn();
    const set = await control('POST', {
      associatedResourceArn: arn,
      throttleStart: { count: 1, retryAfterSeconds: 0 },
      failStart: { count: 1, status: 503, errorType: 'ServiceUnavailableException' },
      failComplete: { count: 2 },
    });
    expect(set.status).toBe(200);
    expect(set.json).toEqual({
      associatedResourceArn: arn,
      faults: {
        throttleStart: { count: 1, retryAfterSeconds: 0 },
        failStart: { count: 1, status: 503, errorType: 'ServiceUnavailableException' },
        failComplete: { count: 2 },
      },
      calls: { startAttachedFileUpload: 0, completeAttachedFileUpload: 0, getAttachedFile: 0 },
      putFaults: {},
      putStats: NO_PUTS,
    } satisfies AttachedFileResourceSnapshot);

    await expect(start(arn)).rejects.toBeInstanceOf(ThrottlingException);
    const removed = await control('POST', { associatedResourceArn: arn, failStart: null });
    expect(removed.json).toMatchObject({ faults: { failComplete: { count: 2 } }, calls: { startAttachedFileUpload: 1 } });
    expect((removed.json as AttachedFileResourceSnapshot).faults).not.toHaveProperty('failStart');

    const cleared = await control('DELETE', { associatedResourceArn: arn });
    expect(cleared).toMatchObject({ status: 200, json: { associatedResourceArn: arn, faults: {} } });
    const reply = await start(arn);
    await putObject(reply.UploadUrlMetadata?.Url ?? '', reply.UploadUrlMetadata?.HeadersToInclude ?? {}, body);
    await expect(complete(arn, reply.FileId)).resolves.toBeDefined();
  });

  it('sets PUT faults, removes one with null and clears them with DELETE, answering putFaults and putStats', async () => {
    const arn = env.emulator.newCaseArn();
    const set = await control('POST', {
      associatedResourceArn: arn,
      put: { failNext: { count: 1, status: 500, code: 'InternalError' }, resetNext: { count: 2, afterBytes: 1024 }, bandwidthBytesPerSecond: 50_000 },
    });
    expect(set).toMatchObject({
      status: 200,
      json: {
        faults: {},
        putFaults: { failNext: { count: 1, status: 500, code: 'InternalError' }, resetNext: { count: 2, afterBytes: 1024 }, bandwidthBytesPerSecond: 50_000 },
        putStats: NO_PUTS,
      },
    });

    const reply = await start(arn);
    expect((await putObject(reply.UploadUrlMetadata?.Url ?? '', reply.UploadUrlMetadata?.HeadersToInclude ?? {}, body)).status).toBe(500);
    const removed = await control('POST', { associatedResourceArn: arn, put: { resetNext: null } });
    expect(removed.json).toMatchObject({ putFaults: { bandwidthBytesPerSecond: 50_000 }, putStats: { puts: 1, failed: 1 } });
    expect((removed.json as AttachedFileResourceSnapshot).putFaults).not.toHaveProperty('resetNext');

    const cleared = await control('DELETE', { associatedResourceArn: arn });
    expect(cleared.status).toBe(200);
    expect(cleared.json).toMatchObject({ faults: {}, calls: { startAttachedFileUpload: 1 } });
    expect((cleared.json as AttachedFileResourceSnapshot).putFaults).toEqual({});
    expect((cleared.json as AttachedFileResourceSnapshot).putStats).toEqual(NO_PUTS);
  });

  it.each([
    ['an unknown fault', { explode: true }],
    ['a PUT failure with a success status', { put: { failNext: { count: 1, status: 200 } } }],
    ['a PUT failure without a status', { put: { failNext: { count: 1 } } }],
    ['a reset without afterBytes', { put: { resetNext: { count: 1 } } }],
    ['a negative stall count', { put: { stallNext: { count: -1, afterBytes: 0 } } }],
    ['a negative bandwidth', { put: { bandwidthBytesPerSecond: -1 } }],
    ['PUT faults that are not an object', { put: 5 }],
    ['a chat-only fault', { malformedStart: { count: 1, kind: 'not-json' } }],
    ['no associatedResourceArn', { throttleStart: { count: 1 } }],
    ['a negative count', { failStart: { count: -1 } }],
    ['a string count', { throttleStart: { count: '1' } }],
    ['a missing count', { failComplete: { status: 500 } }],
    ['a success status', { failStart: { count: 1, status: 200 } }],
    ['a Retry-After over an hour', { throttleStart: { count: 1, retryAfterSeconds: 3601 } }],
    ['a fault that is not an object', { failComplete: 1 }],
  ])('refuses %s with a 400', async (label, faults) => {
    const arn = env.emulator.newCaseArn();
    const payload = label === 'no associatedResourceArn' ? faults : { associatedResourceArn: arn, ...faults };
    const reply = await control('POST', payload);
    expect(reply.status).toBe(400);
    expect(reply.json).toEqual({ message: expect.any(String) });
    const state = env.emulator.attachedFileResourceState(arn);
    expect(state.faults).toEqual({});
    expect(state.putFaults).toEqual({});
  });

  it('refuses faults in a DELETE, and other methods', async () => {
    const arn = env.emulator.newCaseArn();
    expect((await control('DELETE', { associatedResourceArn: arn, failStart: null })).status).toBe(400);
    expect((await control('DELETE', { associatedResourceArn: arn, put: null })).status).toBe(400);
    expect((await control('PUT', { associatedResourceArn: arn })).status).toBe(405);
  });
});
