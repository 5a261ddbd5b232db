import { InvalidParameterException, ResourceNotFoundException, StartChatContactCommand } from '@aws-sdk/client-connect';
import {
  AccessDeniedException,
  CompleteAttachmentUploadCommand,
  GetAttachmentCommand,
  ServiceQuotaExceededException,
  ThrottlingException,
  ValidationException,
  type StartAttachmentUploadCommandOutput,
} from '@aws-sdk/client-connectparticipant';
import { describe, expect, it } from 'vitest';
import { CONNECT_DEFAULT_MAX_ATTACHMENT_SIZE_BYTES } from './connect-limits';
import { startEmulator } from './server';
import { connectClient, participantClient, putObject, rawCall, sharedEmulator, startAttachment } from './test-support';

const env = sharedEmulator();

const start = (connectionToken: string, input?: Parameters<typeof startAttachment>[2]) => startAttachment(env.participant, connectionToken, input);

const complete = (connectionToken: string, attachmentId: string | undefined) =>
  env.participant.send(new CompleteAttachmentUploadCommand({ ConnectionToken: connectionToken, AttachmentIds: [attachmentId ?? ''] }));

const upload = (reply: StartAttachmentUploadCommandOutput, body: Uint8Array, change: (headers: Record<string, string>) => void = () => {}) => {
  const headers = { ...reply.UploadMetadata?.HeadersToInclude };
  change(headers);
  return putObject(reply.UploadMetadata?.Url ?? '', headers, body);
};

describe('StartAttachmentUpload refusals raise the SDK exception classes', () => {
  it.each([
    ['an empty file', { size: 0 }, /attachmentSizeInBytes|AttachmentSizeInBytes.*greater than or equal to 1/],
    ['a 257-character name', { name: `${'a'.repeat(253)}.txt` }, /AttachmentName.*less than or equal to 256/],
    ['an unsupported extension', { name: 'setup.exe', type: 'application/x-msdownload' }, /extension \.exe is not supported/],
    ['an unsupported MIME type', { name: 'notes.txt', type: 'text/html' }, /content type "text\/html" is not supported/],
    ['a MIME type that contradicts the extension', { name: 'photo.png', type: 'application/pdf' }, /does not match the file extension \.png/],
    ['a file over the 20 MB limit', { size: CONNECT_DEFAULT_MAX_ATTACHMENT_SIZE_BYTES + 1 }, /maximum attachment size is 20971520 bytes/],
    ['a 256-character content type', { type: 'x'.repeat(256) }, /ContentType.*less than or equal to 255/],
  ])('refuses %s with ValidationException', async (_label, input, message) => {
    const { connectionToken } = await env.emulator.startChat();
    const error = await start(connectionToken, input).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationException);
    expect((error as ValidationException).message).toMatch(message);
  });

  it('accepts the limits themselves: 256 code points and exactly 20 MB', async () => {
    const { connectionToken } = await env.emulator.startChat();
    const name = `${'é'.repeat(252)}.txt`;
    await expect(start(connectionToken, { name })).resolves.toHaveProperty('AttachmentId');
    await expect(start(connectionToken, { size: CONNECT_DEFAULT_MAX_ATTACHMENT_SIZE_BYTES })).resolves.toHaveProperty('AttachmentId');
  });

  it('honours a configured maximum size', async () => {
    const small = await startEmulator({ maxAttachmentSizeBytes: 1000 });
    try {
      const { connectionToken } = await small.startChat();
      const client = participantClient(small);
      const send = (size: number) => startAttachment(client, connectionToken, { name: 'a.txt', size });
      await expect(send(1000)).resolves.toHaveProperty('AttachmentId');
      await expect(send(1001)).rejects.toBeInstanceOf(ValidationException);
    } finally {
      await small.close();
    }
  });

  it('answers an unknown or expired ConnectionToken with AccessDeniedException, without echoing it', async () => {
    const unknown = 'not-a-token-but-secret-looking-0123456789';
    const error = await start(unknown).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AccessDeniedException);
    expect((error as Error).message).not.toContain(unknown);

    const { contactId, connectionToken } = await env.emulator.startChat();
    env.emulator.setFaults(contactId, { expireConnectionTokens: true });
    const expired = await start(connectionToken).catch((caught: unknown) => caught);
    expect(expired).toBeInstanceOf(AccessDeniedException);
    expect((expired as Error).message).toMatch(/expired/);
  });

  it('answers over quota with ServiceQuotaExceededException, but still replays a known ClientToken', async () => {
    const { contactId, connectionToken } = await env.emulator.startChat();
    env.emulator.setFaults(contactId, { attachmentQuota: 1 });
    await start(connectionToken, { clientToken: 'first' });
    await expect(start(connectionToken, { clientToken: 'second' })).rejects.toBeInstanceOf(ServiceQuotaExceededException);
    await expect(start(connectionToken, { clientToken: 'first' })).resolves.toHaveProperty('AttachmentId');
  });

  it('answers an injected throttle with ThrottlingException', async () => {
    const { contactId, connectionToken } = await env.emulator.startChat();
    env.emulator.setFaults(contactId, { throttleStart: { count: 1 } });
    await expect(start(connectionToken)).rejects.toBeInstanceOf(ThrottlingException);
    await expect(start(connectionToken)).resolves.toHaveProperty('AttachmentId');
  });

  it('refuses a ClientToken reused with other parameters', async () => {
    const { connectionToken } = await env.emulator.startChat();
    await start(connectionToken, { clientToken: 'same', size: 5 });
    await expect(start(connectionToken, { clientToken: 'same', size: 6 })).rejects.toBeInstanceOf(ValidationException);
  });
});

describe('CompleteAttachmentUpload checks S3 for real', () => {
  it('refuses Complete before the PUT', async () => {
    const { connectionToken } = await env.emulator.startChat();
    const reply = await start(connectionToken);
    const error = await complete(connectionToken, reply.AttachmentId).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationException);
    expect((error as Error).message).toMatch(/has not been uploaded/);
  });

  it('refuses Complete after a PUT that S3 refused, as the official chat library would send it', async () => {
    const { connectionToken } = await env.emulator.startChat();
    const reply = await start(connectionToken);
    const put = await upload(reply, new TextEncoder().encode('hello'), (headers) => {
      headers['Content-Type'] = 'text/csv';
    });
    expect(put.status).toBe(403);
    await expect(complete(connectionToken, reply.AttachmentId)).rejects.toBeInstanceOf(ValidationException);
  });

  it('refuses an unknown attachment id, and GetAttachment before Complete', async () => {
    const { connectionToken } = await env.emulator.startChat();
    await expect(complete(connectionToken, 'no-such-attachment')).rejects.toBeInstanceOf(ValidationException);
    const reply = await start(connectionToken);
    await expect(
      env.participant.send(new GetAttachmentCommand({ ConnectionToken: connectionToken, AttachmentId: reply.AttachmentId })),
    ).rejects.toBeInstanceOf(ValidationException);
    await expect(
      env.participant.send(new GetAttachmentCommand({ ConnectionToken: connectionToken, AttachmentId: reply.AttachmentId, UrlExpiryInSeconds: 4 })),
    ).rejects.toThrow(/UrlExpiryInSeconds.*greater than or equal to 5/);
  });
});

describe('the presigned PUT is checked by S3', () => {
  const body = new TextEncoder().encode('hello');

  it('refuses a PUT missing a signed header', async () => {
    const { connectionToken } = await env.emulator.startChat();
    const put = await upload(await start(connectionToken), body, (headers) => {
      delete headers['x-amz-acl'];
    });
    expect(put.status).toBe(403);
    expect(put.text).toContain('SignatureDoesNotMatch');
  });

  it('refuses a PUT with another Content-Type', async () => {
    const { connectionToken } = await env.emulator.startChat();
    const put = await upload(await start(connectionToken), body, (headers) => {
      headers['Content-Type'] = 'application/octet-stream';
    });
    expect(put.status).toBe(403);
    expect(put.text).toContain('SignatureDoesNotMatch');
  });

  it('refuses a body of another length than declared', async () => {
    const { connectionToken } = await env.emulator.startChat();
    const put = await upload(await start(connectionToken), new TextEncoder().encode('hello!'));
    expect(put.status).toBe(403);
  });

  it('refuses a PUT after the URL expired', async () => {
    const { contactId, connectionToken } = await env.emulator.startChat();
    env.emulator.setFaults(contactId, { urlExpirySeconds: 1 });
    const reply = await start(connectionToken);
    expect(Date.parse(reply.UploadMetadata?.UrlExpiry ?? '') - Date.now()).toBeLessThanOrEqual(1000);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const put = await upload(reply, body);
    expect(put.status).toBe(403);
    expect(put.text).toContain('Request has expired');
  });

  it('refuses an unsigned PUT', async () => {
    const { connectionToken } = await env.emulator.startChat();
    const reply = await start(connectionToken);
    const url = new URL(reply.UploadMetadata?.Url ?? '');
    const put = await putObject(`${url.origin}${url.pathname}`, reply.UploadMetadata?.HeadersToInclude ?? {}, body);
    expect(put.status).toBe(403);
  });
});

describe('StartChatContact verifies SigV4 like AWS', () => {
  const input = () => ({
    InstanceId: env.emulator.instanceId,
    ContactFlowId: env.emulator.contactFlowId,
    ParticipantDetails: { DisplayName: 'Dee' },
  });

  it('refuses a wrong secret with InvalidSignatureException and an unknown key with UnrecognizedClientException', async () => {
    const wrongSecret = connectClient(env.emulator, { accessKeyId: env.emulator.credentials.accessKeyId, secretAccessKey: 'wrong' });
    await expect(wrongSecret.send(new StartChatContactCommand(input()))).rejects.toMatchObject({
      name: 'InvalidSignatureException',
      $metadata: { httpStatusCode: 403 },
    });
    const unknownKey = connectClient(env.emulator, { accessKeyId: 'AKIDUNKNOWN', secretAccessKey: 'x' });
    await expect(unknownKey.send(new StartChatContactCommand(input()))).rejects.toMatchObject({
      name: 'UnrecognizedClientException',
      $metadata: { httpStatusCode: 403 },
    });
  });

  it('refuses an unsigned request', async () => {
    const reply = await rawCall(env.emulator, '/contact/chat', { method: 'PUT', body: JSON.stringify(input()) });
    expect(reply.status).toBe(403);
    expect(reply.errorType).toBe('MissingAuthenticationTokenException');
  });

  it('answers a wrong instance with ResourceNotFoundException and bad input with InvalidParameterException', async () => {
    const client = env.connect;
    await expect(client.send(new StartChatContactCommand({ ...input(), InstanceId: 'other-instance' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await expect(
      client.send(new StartChatContactCommand({ ...input(), ParticipantDetails: { DisplayName: '' } })),
    ).rejects.toBeInstanceOf(InvalidParameterException);
  });
});

describe('bad requests never crash the emulator', () => {
  const bearer = { 'x-amz-bearer': 'whatever' };

  it.each([
    ['malformed JSON', { body: '{"AttachmentName":' }, 400, 'SerializationException'],
    ['a JSON array', { body: '[]' }, 400, 'SerializationException'],
    ['a string where a number belongs', { body: '{"AttachmentSizeInBytes":"5"}' }, 400, 'SerializationException'],
    ['no X-Amz-Bearer header', { body: '{}', headers: {} }, 400, 'ValidationException'],
    ['a body over 1 MiB', { body: `{"AttachmentName":"${'a'.repeat(2 * 1024 * 1024)}"}` }, 413, 'RequestEntityTooLargeException'],
    ['a wrong method', { method: 'GET' }, 405, 'UnknownOperationException'],
  ])('answers %s properly', async (_label, init, status, errorType) => {
    const reply = await rawCall(env.emulator, '/participant/start-attachment-upload', { headers: bearer, ...init });
    expect(reply.status).toBe(status);
    expect(reply.errorType).toBe(errorType);
    expect(JSON.parse(reply.body)).toEqual({ message: expect.any(String) });
  });

  it('answers an unknown path with UnknownOperationException', async () => {
    const reply = await rawCall(env.emulator, '/participant/nope', { body: '{}' });
    expect(reply.status).toBe(404);
    expect(reply.errorType).toBe('UnknownOperationException');
  });

  it('lists every violation without echoing the (too long) bearer token', async () => {
    const token = 't'.repeat(1001);
    const reply = await rawCall(env.emulator, '/participant/start-attachment-upload', {
      headers: { 'x-amz-bearer': token },
      body: JSON.stringify({ AttachmentName: '', AttachmentSizeInBytes: 0, ClientToken: 'c', ContentType: 'text/plain' }),
    });
    expect(reply.status).toBe(400);
    expect(reply.body).toContain('3 validation errors detected');
    expect(reply.body).not.toContain(token.slice(0, 50));
  });

  it('still serves normal calls afterwards', async () => {
    const { connectionToken } = await env.emulator.startChat();
    await expect(start(connectionToken)).resolves.toHaveProperty('AttachmentId');
  });
});

describe('CORS on the API origin', () => {
  it('answers a preflight from a loopback page with the headers the SDK sends', async () => {
    const response = await fetch(`${env.emulator.participantEndpoint}/participant/start-attachment-upload`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'http://127.0.0.1:5173',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type,x-amz-bearer,amz-sdk-invocation-id',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:5173');
    expect(response.headers.get('access-control-allow-headers')).toContain('x-amz-bearer');
    expect(response.headers.get('access-control-allow-headers')).toContain('amz-sdk-invocation-id');
  });

  it('does not allow other origins', async () => {
    const response = await fetch(`${env.emulator.participantEndpoint}/participant/attachment`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' },
    });
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('exposes the error type to pages', async () => {
    const response = await fetch(`${env.emulator.participantEndpoint}/participant/attachment`, {
      method: 'POST',
      headers: { Origin: 'http://localhost:6006', 'content-type': 'application/json', 'x-amz-bearer': 'nope' },
      body: JSON.stringify({ AttachmentId: 'x' }),
    });
    expect(response.status).toBe(403);
    expect(response.headers.get('access-control-expose-headers')).toContain('x-amzn-ErrorType');
  });
});
