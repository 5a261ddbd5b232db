import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  AccessDeniedException,
  CompleteAttachedFileUploadCommand,
  DeleteAttachedFileCommand,
  GetAttachedFileCommand,
  InvalidRequestException,
  ResourceConflictException,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  StartAttachedFileUploadCommand,
  type StartAttachedFileUploadCommandInput,
  type StartAttachedFileUploadCommandOutput,
} from '@aws-sdk/client-connect';
import {
  GetAttachmentCommand,
  GetTranscriptCommand,
  ValidationException,
} from '@aws-sdk/client-connectparticipant';
import { describe, expect, it } from 'vitest';
import { attachedFileObjectKey, attachedFileScope } from './attached-files';
import { CONNECT_DEFAULT_MAX_ATTACHMENT_SIZE_BYTES } from './connect-limits';
import { attachToChat, connectClient, putObject, rawCall, sha256, sharedEmulator } from './test-support';

const EICAR_FILE = readFileSync(new URL('../test/fixtures/samples/hostile/eicar.txt', import.meta.url));

const env = sharedEmulator();

type StartInput = Partial<StartAttachedFileUploadCommandInput>;

function start(arn: string, input: StartInput = {}, client = env.connect): Promise<StartAttachedFileUploadCommandOutput> {
  return client.send(
    new StartAttachedFileUploadCommand({
      InstanceId: env.emulator.instanceId,
      AssociatedResourceArn: arn,
      FileName: 'notes.txt',
      FileSizeInBytes: 5,
      FileUseCaseType: 'ATTACHMENT',
      ...input,
    }),
  );
}

const fileRef = (arn: string, fileId: string | undefined) => ({ InstanceId: env.emulator.instanceId, AssociatedResourceArn: arn, FileId: fileId ?? '' });
const complete = (arn: string, fileId: string | undefined) => env.connect.send(new CompleteAttachedFileUploadCommand(fileRef(arn, fileId)));
const get = (arn: string, fileId: string | undefined, urlExpiryInSeconds?: number) =>
  env.connect.send(new GetAttachedFileCommand({ ...fileRef(arn, fileId), UrlExpiryInSeconds: urlExpiryInSeconds }));

async function upload(reply: StartAttachedFileUploadCommandOutput, body: Uint8Array): Promise<void> {
  const put = await putObject(reply.UploadUrlMetadata?.Url ?? '', reply.UploadUrlMetadata?.HeadersToInclude ?? {}, body);
  expect(put.status).toBe(200);
}

/** Start, PUT and Complete one file; resolves with its FileId. */
async function attach(arn: string, name: string, body: Uint8Array, target = env.emulator, client = env.connect): Promise<string> {
  const reply = await client.send(
    new StartAttachedFileUploadCommand({
      InstanceId: target.instanceId,
      AssociatedResourceArn: arn,
      FileName: name,
      FileSizeInBytes: body.length,
      FileUseCaseType: 'ATTACHMENT',
    }),
  );
  await upload(reply, body);
  await client.send(new CompleteAttachedFileUploadCommand({ InstanceId: target.instanceId, AssociatedResourceArn: arn, FileId: reply.FileId }));
  return reply.FileId ?? '';
}

describe('the attached-file flow with the official @aws-sdk/client-connect', () => {
  it('starts, uploads, completes, scans, downloads byte-identical and deletes', async () => {
    const arn = env.emulator.newCaseArn();
    const file = randomBytes(200_000);
    const agent = `arn:aws:connect:${env.emulator.region}:123456789012:instance/${env.emulator.instanceId}/agent/0000-agent`;
    const reply = await start(arn, {
      FileName: 'report.pdf',
      FileSizeInBytes: file.length,
      CreatedBy: { ConnectUserArn: agent },
      Tags: { team: 'billing' },
      UrlExpiryInSeconds: 120,
    });
    expect(reply).toMatchObject({
      FileId: expect.any(String),
      FileArn: `arn:aws:connect:${env.emulator.region}:123456789012:instance/${env.emulator.instanceId}/file/${reply.FileId}`,
      FileStatus: 'PROCESSING',
      CreatedBy: { ConnectUserArn: agent },
    });
    expect(Date.parse(reply.CreationTime ?? '')).toBeLessThanOrEqual(Date.now());
    const expiresIn = Date.parse(reply.UploadUrlMetadata?.UrlExpiry ?? '') - Date.now();
    expect(expiresIn).toBeGreaterThan(110_000);
    expect(expiresIn).toBeLessThanOrEqual(120_000);
    expect(reply.UploadUrlMetadata?.Url?.startsWith(`${env.emulator.s3Endpoint}/`)).toBe(true);
    expect(reply.UploadUrlMetadata?.HeadersToInclude).toMatchObject({
      'Content-Type': 'application/pdf',
      'Content-Length': String(file.length),
      'Content-Disposition': 'attachment; filename="report.pdf"',
      'x-amz-acl': 'bucket-owner-full-control',
    });

    // Before Complete: metadata, no download.
    const pending = await get(arn, reply.FileId);
    expect(pending).toMatchObject({ FileStatus: 'PROCESSING', FileName: 'report.pdf', FileSizeInBytes: file.length });
    expect(pending.DownloadUrlMetadata).toBeUndefined();

    // A PUT missing a signed header is refused by S3, and Complete sees no object.
    const unsigned = { ...reply.UploadUrlMetadata?.HeadersToInclude };
    delete unsigned['x-amz-acl'];
    expect((await putObject(reply.UploadUrlMetadata?.Url ?? '', unsigned, file)).status).toBe(403);
    await expect(complete(arn, reply.FileId)).rejects.toThrow(/has not been uploaded/);

    await upload(reply, file);
    await expect(complete(arn, reply.FileId)).resolves.toMatchObject({ $metadata: { httpStatusCode: 200 } });
    await complete(arn, reply.FileId); // a repeat is harmless
    const approved = await get(arn, reply.FileId, 30);
    expect(approved).toMatchObject({
      FileStatus: 'APPROVED',
      FileId: reply.FileId,
      FileArn: reply.FileArn,
      AssociatedResourceArn: arn,
      FileUseCaseType: 'ATTACHMENT',
      Tags: { team: 'billing' },
      CreatedBy: { ConnectUserArn: agent },
    });
    expect(Date.parse(approved.DownloadUrlMetadata?.UrlExpiry ?? '') - Date.now()).toBeLessThanOrEqual(30_000);
    const download = await fetch(approved.DownloadUrlMetadata?.Url ?? '');
    expect(download.status).toBe(200);
    expect(sha256(new Uint8Array(await download.arrayBuffer()))).toBe(sha256(file));

    // Stored under the resource's scope (PUT faults are set per resource); Delete removes the object.
    const key = attachedFileObjectKey(arn, reply.FileId ?? '');
    expect(key).toBe(`attached-files/${attachedFileScope(arn)}/${reply.FileId}`);
    expect(await env.emulator.s3.readObject(key)).toEqual(file);
    await env.connect.send(new DeleteAttachedFileCommand(fileRef(arn, reply.FileId)));
    await expect(get(arn, reply.FileId)).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect(await env.emulator.s3.readObject(key)).toBeUndefined();
  });

  it('fills CreatedBy with the caller identity and accepts an email contact ARN', async () => {
    const arn = `arn:aws:connect:${env.emulator.region}:123456789012:instance/${env.emulator.instanceId}/contact/0000-email`;
    const reply = await start(arn, { FileUseCaseType: 'EMAIL_MESSAGE' });
    expect(reply.CreatedBy).toEqual({ AWSIdentityArn: expect.stringMatching(/^arn:aws:iam::123456789012:/) });
    expect((await get(arn, reply.FileId)).FileUseCaseType).toBe('EMAIL_MESSAGE');
  });

  it('makes Start idempotent by ClientToken and refuses the token with other parameters', async () => {
    const arn = env.emulator.newCaseArn();
    const first = await start(arn, { ClientToken: 'token-1' });
    const again = await start(arn, { ClientToken: 'token-1' });
    expect(again.FileId).toBe(first.FileId);
    expect(again.UploadUrlMetadata?.Url).toBe(first.UploadUrlMetadata?.Url);
    await expect(start(arn, { ClientToken: 'token-1', FileSizeInBytes: 6 })).rejects.toBeInstanceOf(ResourceConflictException);
  });
});

describe('attached-file refusals raise the SDK exception classes', () => {
  it.each([
    ['a malformed ARN', { AssociatedResourceArn: 'not-an-arn' }, /must be the ARN of an Amazon Connect case or email contact/],
    ['an ARN of another service', { AssociatedResourceArn: 'arn:aws:s3:::bucket/key' }, /must be the ARN/],
    ['an empty file', { FileSizeInBytes: 0 }, /FileSizeInBytes.*greater than or equal to 1/],
    ['a 257-character name', { FileName: `${'a'.repeat(253)}.txt` }, /FileName.*less than or equal to 256/],
    ['a URL expiry under 5 s', { UrlExpiryInSeconds: 4 }, /UrlExpiryInSeconds.*greater than or equal to 5/],
    ['a URL expiry over 300 s', { UrlExpiryInSeconds: 301 }, /UrlExpiryInSeconds.*less than or equal to 300/],
    ['an unknown use case', { FileUseCaseType: 'VOICE_RECORDING' as const }, /FileUseCaseType.*enum value set/],
    ['a tag key starting with aws:', { Tags: { 'aws:owner': 'x' } }, /Tag key "aws:owner"/],
    ['an AWSIdentityArn set by the caller', { CreatedBy: { AWSIdentityArn: 'arn:aws:iam::123456789012:user/x' } }, /computed by the service/],
  ])('refuses %s with InvalidRequestException', async (_label, input, message) => {
    const error = await start(env.emulator.newCaseArn(), input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequestException);
    expect(error).toMatchObject({ message: expect.stringMatching(message), $metadata: { httpStatusCode: 400 } });
  });

  it.each([
    ['a control character in the name', { FileName: 'notes\u0007.txt' }, 'INVALID_FILE_NAME'],
    ['a bidi override in the name', { FileName: 'invoice\u202Etxt.exe' }, 'INVALID_FILE_NAME'],
    ['an extension that is not allowed', { FileName: 'setup.exe' }, 'INVALID_FILE_TYPE'],
    ['a file over the size limit', { FileName: 'big.mp4', FileSizeInBytes: CONNECT_DEFAULT_MAX_ATTACHMENT_SIZE_BYTES + 1 }, 'INVALID_FILE_SIZE'],
  ])('refuses %s with InvalidRequestException and its Reason', async (_label, input, reason) => {
    const error = await start(env.emulator.newCaseArn(), input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequestException);
    expect(error).toMatchObject({ Reason: { AttachedFileInvalidRequestExceptionReason: reason } });
  });

  it('refuses a resource of another account and an unknown instance', async () => {
    const otherAccount = env.emulator.newCaseArn().replace(':123456789012:', ':210987654321:');
    await expect(start(otherAccount)).rejects.toBeInstanceOf(AccessDeniedException);
    await expect(start(env.emulator.newCaseArn(), { InstanceId: '11111111-1111-4111-a111-111111111111' })).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('answers an unknown file, or a file of another resource, with ResourceNotFoundException', async () => {
    const arn = env.emulator.newCaseArn();
    await expect(get(arn, 'no-such-file')).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(complete(arn, 'no-such-file')).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(env.connect.send(new DeleteAttachedFileCommand(fileRef(arn, 'no-such-file')))).rejects.toBeInstanceOf(ResourceNotFoundException);
    const { FileId } = await start(arn);
    await expect(get(env.emulator.newCaseArn(), FileId)).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('refuses a GetAttachedFile URL expiry outside 5..300', async () => {
    const arn = env.emulator.newCaseArn();
    const { FileId } = await start(arn);
    await expect(get(arn, FileId, 4)).rejects.toBeInstanceOf(InvalidRequestException);
    await expect(get(arn, FileId, 301)).rejects.toThrow(/urlExpiryInSeconds.*less than or equal to 300/);
  });

  it('names TOTAL_FILE_COUNT_EXCEEDED in the Reason and the message; a deleted file frees its place', async () => {
    const arn = env.emulator.newCaseArn();
    expect(env.emulator.setAttachedFileLimits(arn, { fileCountQuota: 2 })).toMatchObject({ fileCountQuota: 2 });
    const first = await start(arn);
    await start(arn);
    const error = await start(arn).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceQuotaExceededException);
    expect(error).toMatchObject({
      Reason: { AttachedFileServiceQuotaExceededExceptionReason: 'TOTAL_FILE_COUNT_EXCEEDED' },
      message: expect.stringContaining('TOTAL_FILE_COUNT_EXCEEDED'),
      $metadata: { httpStatusCode: 402 },
    });
    await env.connect.send(new DeleteAttachedFileCommand(fileRef(arn, first.FileId)));
    await expect(start(arn)).resolves.toHaveProperty('FileId');
    // Another case is not affected by this one's limit.
    await expect(start(env.emulator.newCaseArn())).resolves.toHaveProperty('FileId');
  });

  it('names TOTAL_FILE_SIZE_EXCEEDED when the files of a resource would outgrow its total', async () => {
    const arn = env.emulator.newCaseArn();
    env.emulator.setAttachedFileLimits(arn, { totalFileSizeBytes: 10 });
    await start(arn, { FileSizeInBytes: 6 });
    const error = await start(arn, { FileSizeInBytes: 5 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceQuotaExceededException);
    expect(error).toMatchObject({
      Reason: { AttachedFileServiceQuotaExceededExceptionReason: 'TOTAL_FILE_SIZE_EXCEEDED' },
      message: expect.stringContaining('TOTAL_FILE_SIZE_EXCEEDED'),
    });
    await expect(start(arn, { FileSizeInBytes: 4 })).resolves.toHaveProperty('FileId');
  });

  it('refuses a wrong secret, an unknown key and a missing signature as AWS does', async () => {
    const arn = env.emulator.newCaseArn();
    const wrongSecret = connectClient(env.emulator, { ...env.emulator.credentials, secretAccessKey: 'not-the-secret' });
    await expect(start(arn, {}, wrongSecret)).rejects.toMatchObject({ name: 'InvalidSignatureException', $metadata: { httpStatusCode: 403 } });
    const unknownKey = connectClient(env.emulator, { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'x' });
    await expect(start(arn, {}, unknownKey)).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    const unsigned = await rawCall(env.emulator, `/attached-files/${env.emulator.instanceId}?associatedResourceArn=${encodeURIComponent(arn)}`, {
      method: 'PUT',
      body: JSON.stringify({ FileName: 'notes.txt', FileSizeInBytes: 5, FileUseCaseType: 'ATTACHMENT' }),
    });
    expect(unsigned).toMatchObject({ status: 403, errorType: 'MissingAuthenticationTokenException' });
    expect(JSON.parse(unsigned.body)).toEqual({ Message: 'Missing Authentication Token' });
  });
});

describe('the simulated malware scan', () => {
  it('rejects an attached file holding the EICAR test string: REJECTED, no download URL', async () => {
    const arn = env.emulator.newCaseArn();
    const fileId = await attach(arn, 'eicar.txt', EICAR_FILE);
    const reply = await get(arn, fileId);
    expect(reply.FileStatus).toBe('REJECTED');
    expect(reply.DownloadUrlMetadata).toBeUndefined();
    expect(env.emulator.attachedFileState(fileId)).toMatchObject({ state: 'COMPLETED', status: 'REJECTED' });
    // The string anywhere in the object counts, not only at its start.
    const embedded = await attach(arn, 'notes.txt', Buffer.concat([Buffer.from('hello\n'), EICAR_FILE, Buffer.from('\nbye')]));
    expect((await get(arn, embedded)).FileStatus).toBe('REJECTED');
  });

  it('rejects a chat attachment holding the EICAR string: REJECTED in the transcript, GetAttachment refuses it', async () => {
    const { participant } = env;
    const chat = await env.emulator.startChat();
    const attachmentId = await attachToChat(participant, chat.connectionToken, 'eicar.txt', EICAR_FILE);
    const transcript = await participant.send(new GetTranscriptCommand({ ConnectionToken: chat.connectionToken }));
    expect(transcript.Transcript?.find((item) => item.Type === 'ATTACHMENT')?.Attachments?.[0]).toMatchObject({
      AttachmentName: 'eicar.txt',
      Status: 'REJECTED',
    });
    await expect(
      participant.send(new GetAttachmentCommand({ ConnectionToken: chat.connectionToken, AttachmentId: attachmentId })),
    ).rejects.toBeInstanceOf(ValidationException);
  });

  describe('with a scan that takes a moment (scanDelayMs)', () => {
    const slow = sharedEmulator({ scanDelayMs: 400 });

    /** Polls until the status is not `pending` any more (or 5 s passed); returns every status seen, in order. */
    async function statusesUntilDone(read: () => Promise<string | undefined>, pending: string): Promise<string[]> {
      const seen: string[] = [];
      const deadline = Date.now() + 5000;
      for (;;) {
        const status = (await read()) ?? 'none';
        if (seen.at(-1) !== status) seen.push(status);
        if (status !== pending || Date.now() > deadline) return seen;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }

    it('keeps an attached file PROCESSING, then APPROVED (clean) or REJECTED (EICAR)', async () => {
      const arn = slow.emulator.newCaseArn();
      const read = (fileId: string) => () =>
        slow.connect
          .send(new GetAttachedFileCommand({ InstanceId: slow.emulator.instanceId, AssociatedResourceArn: arn, FileId: fileId }))
          .then((reply) => reply.FileStatus);
      const [clean, infected] = await Promise.all([
        attach(arn, 'notes.txt', Buffer.from('hello'), slow.emulator, slow.connect),
        attach(arn, 'eicar.txt', EICAR_FILE, slow.emulator, slow.connect),
      ]);
      const [cleanSeen, infectedSeen] = await Promise.all([
        statusesUntilDone(read(clean), 'PROCESSING'),
        statusesUntilDone(read(infected), 'PROCESSING'),
      ]);
      expect(cleanSeen).toEqual(['PROCESSING', 'APPROVED']);
      expect(infectedSeen).toEqual(['PROCESSING', 'REJECTED']);
    });

    it('keeps a chat attachment IN_PROGRESS in the transcript, then REJECTED for EICAR', async () => {
      const chat = await slow.emulator.startChat();
      await attachToChat(slow.participant, chat.connectionToken, 'eicar.txt', EICAR_FILE);
      const read = async () => {
        const transcript = await slow.participant.send(new GetTranscriptCommand({ ConnectionToken: chat.connectionToken }));
        return transcript.Transcript?.find((item) => item.Type === 'ATTACHMENT')?.Attachments?.[0]?.Status;
      };
      expect(await statusesUntilDone(read, 'IN_PROGRESS')).toEqual(['IN_PROGRESS', 'REJECTED']);
    });

    it('lets a status set by hand during the scan stand', async () => {
      const arn = slow.emulator.newCaseArn();
      const fileId = await attach(arn, 'notes.txt', Buffer.from('hello'), slow.emulator, slow.connect);
      slow.emulator.setAttachedFileStatus(fileId, 'FAILED');
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(slow.emulator.attachedFileState(fileId).status).toBe('FAILED');
    });
  });
});

describe('the attached-file control endpoint (/_emulator/attached-files)', () => {
  const control = async (path: string, method: string, body?: unknown) => {
    const reply = await rawCall(env.emulator, `/_emulator/attached-files${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { ...reply, json: JSON.parse(reply.body) as Record<string, unknown> };
  };

  it('hands out case ARNs, sets limits, shows a file and sets its status', async () => {
    const { json: created } = await control('/cases', 'POST');
    const arn = String(created['associatedResourceArn']);
    expect(arn).toMatch(/^arn:aws:cases:us-east-1:123456789012:domain\/[^/]+\/case\/[^/]+$/);
    expect((await control('/limits', 'POST', { associatedResourceArn: arn, fileCountQuota: 1 })).json).toMatchObject({ fileCountQuota: 1 });
    const fileId = await attach(arn, 'notes.txt', Buffer.from('hello'));
    await expect(start(arn)).rejects.toBeInstanceOf(ServiceQuotaExceededException);
    expect((await control(`/${fileId}`, 'GET')).json).toMatchObject({ fileId, state: 'COMPLETED', status: 'APPROVED', contentType: 'text/plain' });
    expect((await control(`/${fileId}/status`, 'POST', { status: 'FAILED' })).json).toMatchObject({ status: 'FAILED' });
    expect((await get(arn, fileId)).DownloadUrlMetadata).toBeUndefined();
    expect((await control('/limits', 'POST', { associatedResourceArn: arn, fileCountQuota: null })).json).toMatchObject({ fileCountQuota: 50 });
  });

  it('refuses a bad status, a status before Complete and an unknown file', async () => {
    const arn = env.emulator.newCaseArn();
    const { FileId } = await start(arn);
    expect((await control(`/${FileId}/status`, 'POST', { status: 'CLEAN' })).status).toBe(400);
    expect((await control(`/${FileId}/status`, 'POST', { status: 'APPROVED' })).status).toBe(400);
    expect((await control('/no-such-file', 'GET')).status).toBe(404);
  });
});
