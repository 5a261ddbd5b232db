import {
  CompleteAttachmentUploadCommand,
  ConflictException,
  CreateParticipantConnectionCommand,
  GetAttachmentCommand,
  GetTranscriptCommand,
  InternalServerException,
  ThrottlingException,
  ValidationException,
  AccessDeniedException,
  type ConnectParticipantClient,
} from '@aws-sdk/client-connectparticipant';
import { describe, expect, it } from 'vitest';
import type { ChatSession } from './connect';
import type { ContactSnapshot } from './control';
import { startEmulator, type Emulator } from './server';
import { attachToChat, participantClient, putObject, rawCall, sharedEmulator, startAttachment } from './test-support';

const env = sharedEmulator();

/** The control endpoint, over HTTP as browser tests and the demo use it. */
async function control(path: string, method = 'POST', body?: unknown): Promise<{ status: number; errorType: string | null; json: unknown }> {
  const reply = await rawCall(env.emulator, `/_emulator${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: reply.status, errorType: reply.errorType, json: JSON.parse(reply.body) };
}

async function chatOverHttp(): Promise<ChatSession> {
  const reply = await control('/chats', 'POST', { displayName: 'Eve' });
  expect(reply.status).toBe(200);
  return reply.json as ChatSession;
}

const setFaults = (contactId: string, faults: unknown) => control(`/contacts/${contactId}/faults`, 'POST', faults);

const start = (connectionToken: string, clientToken?: string, client = env.participant) => startAttachment(client, connectionToken, { clientToken });

const body = new TextEncoder().encode('hello');

describe('the control endpoint', () => {
  it('starts a chat whose ConnectionToken works at once', async () => {
    const chat = await chatOverHttp();
    await expect(start(chat.connectionToken)).resolves.toHaveProperty('AttachmentId');
  });

  it('throttles only the contact it was told to, with Retry-After, and the SDK retry gets through', async () => {
    const a = await chatOverHttp();
    const b = await chatOverHttp();
    expect((await setFaults(a.contactId, { throttleStart: { count: 2, retryAfterSeconds: 0 } })).status).toBe(200);
    await expect(start(b.connectionToken)).resolves.toHaveProperty('AttachmentId');

    const raw = await rawCall(env.emulator, '/participant/start-attachment-upload', {
      headers: { 'x-amz-bearer': a.connectionToken },
      body: JSON.stringify({ AttachmentName: 'a.txt', AttachmentSizeInBytes: 1, ContentType: 'text/plain', ClientToken: 'x' }),
    });
    expect(raw.status).toBe(429);
    expect(raw.errorType).toBe('ThrottlingException');
    expect(raw.headers.get('retry-after')).toBe('0');

    // One throttle left: the SDK's standard retry (3 attempts) absorbs it.
    const retried = await start(a.connectionToken, undefined, participantClient(env.emulator, 3));
    expect(retried.$metadata.attempts).toBe(2);
    const state = (await control(`/contacts/${a.contactId}`, 'GET')).json as ContactSnapshot;
    expect(state.calls.startAttachmentUpload).toBe(3);
    expect(state.attachments).toHaveLength(1);
    expect(state.faults.throttleStart).toBeUndefined();
  });

  it('fails the next N Start and Complete calls with the given error', async () => {
    const chat = await chatOverHttp();
    await setFaults(chat.contactId, {
      failStart: { count: 2 },
      failComplete: { count: 1, status: 409, errorType: 'ConflictException', message: 'busy' },
    });
    await expect(start(chat.connectionToken)).rejects.toBeInstanceOf(InternalServerException);
    await expect(start(chat.connectionToken)).rejects.toBeInstanceOf(InternalServerException);
    const reply = await start(chat.connectionToken);
    await putObject(reply.UploadMetadata?.Url ?? '', reply.UploadMetadata?.HeadersToInclude ?? {}, body);
    const complete = () =>
      env.participant.send(new CompleteAttachmentUploadCommand({ ConnectionToken: chat.connectionToken, AttachmentIds: [reply.AttachmentId ?? ''] }));
    await expect(complete()).rejects.toBeInstanceOf(ConflictException);
    await expect(complete()).resolves.toBeDefined();
    const state = env.emulator.contactState(chat.contactId);
    expect(state.calls).toEqual({ startAttachmentUpload: 3, completeAttachmentUpload: 2, getAttachment: 0 });
  });

  it('garbles the next StartAttachmentUpload replies in each documented way, while a retry gets the real reply', async () => {
    const chat = await chatOverHttp();

    await setFaults(chat.contactId, { malformedStart: { count: 1, kind: 'not-json' } });
    await expect(start(chat.connectionToken, 'garbled-1')).rejects.toThrow();
    const good = await start(chat.connectionToken, 'garbled-1');
    expect(good.UploadMetadata?.Url).toMatch(/^http:/);

    await setFaults(chat.contactId, { malformedStart: { count: 1, kind: 'missing-upload-metadata' } });
    const missing = await start(chat.connectionToken);
    expect(missing.AttachmentId).toBeTruthy();
    expect(missing.UploadMetadata).toBeUndefined();

    await setFaults(chat.contactId, { malformedStart: { count: 1, kind: 'bad-url-expiry' } });
    expect(Number.isNaN(Date.parse((await start(chat.connectionToken)).UploadMetadata?.UrlExpiry ?? ''))).toBe(true);

    await setFaults(chat.contactId, { malformedStart: { count: 1, kind: 'forbidden-headers' } });
    const forbidden = await start(chat.connectionToken);
    const headers = forbidden.UploadMetadata?.HeadersToInclude ?? {};
    expect(headers['Host']).toBe(new URL(env.emulator.s3Endpoint).host);
    // A browser drops Host and Connection (they are not signed): the PUT still succeeds without them.
    const { Host: _host, Connection: _connection, ...browserSafe } = headers;
    expect((await putObject(forbidden.UploadMetadata?.Url ?? '', browserSafe, body)).status).toBe(200);
  });

  it('expires a contact ConnectionToken now; the ParticipantToken gets a fresh one', async () => {
    const chat = await chatOverHttp();
    await setFaults(chat.contactId, { expireConnectionTokens: true });
    await expect(start(chat.connectionToken)).rejects.toBeInstanceOf(AccessDeniedException);
    const fresh = await env.participant.send(
      new CreateParticipantConnectionCommand({ ParticipantToken: chat.participantToken, Type: ['CONNECTION_CREDENTIALS'] }),
    );
    await expect(start(fresh.ConnectionCredentials?.ConnectionToken ?? '')).resolves.toHaveProperty('AttachmentId');
  });

  it('injects PUT faults scoped to the contact and reports their stats', async () => {
    const chat = await chatOverHttp();
    const other = await chatOverHttp();
    await setFaults(chat.contactId, { put: { failNext: { count: 1, status: 503 } } });
    const reply = await start(chat.connectionToken);
    const otherReply = await start(other.connectionToken);
    const url = reply.UploadMetadata?.Url ?? '';
    const headers = reply.UploadMetadata?.HeadersToInclude ?? {};
    expect((await putObject(otherReply.UploadMetadata?.Url ?? '', otherReply.UploadMetadata?.HeadersToInclude ?? {}, body)).status).toBe(200);
    expect((await putObject(url, headers, body)).status).toBe(503);
    expect((await putObject(url, headers, body)).status).toBe(200);
    const state = (await control(`/contacts/${chat.contactId}`, 'GET')).json as ContactSnapshot;
    expect(state.putStats).toMatchObject({ puts: 2, failed: 1, succeeded: 1 });
  });

  it('sets the quota and the URL expiry, and clears everything with DELETE', async () => {
    const chat = await chatOverHttp();
    const set = await setFaults(chat.contactId, { attachmentQuota: 0, urlExpirySeconds: 7, put: { bandwidthBytesPerSecond: 1000 } });
    expect(set.json).toMatchObject({ attachmentQuota: 0, urlExpirySeconds: 7, putFaults: { bandwidthBytesPerSecond: 1000 } });
    const cleared = await control(`/contacts/${chat.contactId}/faults`, 'DELETE');
    expect(cleared.json).toMatchObject({ attachmentQuota: 50, urlExpirySeconds: 300, faults: {}, putFaults: {} });
    await expect(start(chat.connectionToken)).resolves.toHaveProperty('AttachmentId');
  });

  it('answers every Start of the contact, and only of that contact, startLatencyMs late', async () => {
    const slow = await chatOverHttp();
    const other = await chatOverHttp();
    expect((await setFaults(slow.contactId, { startLatencyMs: 300 })).json).toMatchObject({ faults: { startLatencyMs: 300 } });
    const timed = async (connectionToken: string) => {
      const t0 = performance.now();
      await start(connectionToken);
      return performance.now() - t0;
    };
    // Every call, not a counted fault: both Starts wait.
    expect(await timed(slow.connectionToken)).toBeGreaterThanOrEqual(290);
    expect(await timed(slow.connectionToken)).toBeGreaterThanOrEqual(290);
    expect(await timed(other.connectionToken)).toBeLessThan(250);
    await setFaults(slow.contactId, { startLatencyMs: null });
    expect(await timed(slow.connectionToken)).toBeLessThan(250);
  });

  it('removes a single fault with null', async () => {
    const chat = await chatOverHttp();
    await setFaults(chat.contactId, { throttleStart: { count: 5 }, attachmentQuota: 3 });
    const reply = await setFaults(chat.contactId, { throttleStart: null });
    expect((reply.json as ContactSnapshot).faults).toEqual({ attachmentQuota: 3 });
    await expect(start(chat.connectionToken)).resolves.toHaveProperty('AttachmentId');
  });

  it.each([
    ['an unknown fault', { explode: true }],
    ['a negative count', { failStart: { count: -1 } }],
    ['an unknown malformed kind', { malformedStart: { count: 1, kind: 'xml' } }],
    ['a PUT failure with a success status', { put: { failNext: { count: 1, status: 200 } } }],
    ['a string count', { throttleStart: { count: '1' } }],
    ['a negative Start latency', { startLatencyMs: -1 }],
    ['a Start latency over a minute', { startLatencyMs: 60_001 }],
  ])('refuses %s with a 400', async (_label, faults) => {
    const chat = await chatOverHttp();
    const reply = await setFaults(chat.contactId, faults);
    expect(reply.status).toBe(400);
    expect(reply.json).toEqual({ message: expect.any(String) });
  });

  it('answers an unknown contact with 404', async () => {
    const reply = await control('/contacts/no-such-contact', 'GET');
    expect(reply.status).toBe(404);
    expect(reply.errorType).toBe('ResourceNotFoundException');
  });
});

describe('attachment status (the malware-scan hook)', () => {
  async function completedAttachment(target: Emulator, client: ConnectParticipantClient) {
    const chat = await target.startChat();
    return { chat, attachmentId: await attachToChat(client, chat.connectionToken, 'notes.txt', body) };
  }

  it('shows a REJECTED attachment in the transcript and refuses to hand out its URL', async () => {
    const { chat, attachmentId } = await completedAttachment(env.emulator, env.participant);
    const reply = await control(`/contacts/${chat.contactId}/attachments/${attachmentId}/status`, 'POST', { status: 'REJECTED' });
    expect(reply.status).toBe(200);
    const transcript = await env.participant.send(new GetTranscriptCommand({ ConnectionToken: chat.connectionToken }));
    expect(transcript.Transcript?.find((item) => item.Type === 'ATTACHMENT')?.Attachments?.[0]?.Status).toBe('REJECTED');
    await expect(
      env.participant.send(new GetAttachmentCommand({ ConnectionToken: chat.connectionToken, AttachmentId: attachmentId })),
    ).rejects.toBeInstanceOf(ValidationException);
  });

  it('takes the initial status from the scanAttachment option', async () => {
    const scanning = await startEmulator({ scanAttachment: () => 'IN_PROGRESS' });
    try {
      const client = participantClient(scanning);
      const { chat, attachmentId } = await completedAttachment(scanning, client);
      expect(scanning.contactState(chat.contactId).attachments[0]).toMatchObject({ attachmentId, status: 'IN_PROGRESS' });
      scanning.setAttachmentStatus(chat.contactId, attachmentId, 'APPROVED');
      await expect(
        client.send(new GetAttachmentCommand({ ConnectionToken: chat.connectionToken, AttachmentId: attachmentId })),
      ).resolves.toHaveProperty('AttachmentSizeInBytes', 5);
    } finally {
      await scanning.close();
    }
  });

  it('throttles with the SDK class when asked through setFaults', async () => {
    const chat = await env.emulator.startChat();
    env.emulator.setFaults(chat.contactId, { throttleStart: { count: 1 } });
    await expect(start(chat.connectionToken)).rejects.toBeInstanceOf(ThrottlingException);
  });
});
