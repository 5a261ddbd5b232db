import { randomBytes } from 'node:crypto';
import { StartChatContactCommand } from '@aws-sdk/client-connect';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CompleteAttachmentUploadCommand,
  CreateParticipantConnectionCommand,
  DisconnectParticipantCommand,
  GetAttachmentCommand,
  GetTranscriptCommand,
  SendMessageCommand,
  StartAttachmentUploadCommand,
  AccessDeniedException,
} from '@aws-sdk/client-connectparticipant';
import { describe, expect, it, vi } from 'vitest';
import { putObject, sha256, sharedEmulator } from './test-support';

const env = sharedEmulator();

/** StartChatContact → CreateParticipantConnection through the official SDKs. */
async function openChatWithSdk(displayName = 'Ann'): Promise<{ contactId: string; connectionToken: string }> {
  const chat = await env.connect.send(
    new StartChatContactCommand({
      InstanceId: env.emulator.instanceId,
      ContactFlowId: env.emulator.contactFlowId,
      ParticipantDetails: { DisplayName: displayName },
    }),
  );
  const connection = await env.participant.send(
    new CreateParticipantConnectionCommand({ ParticipantToken: chat.ParticipantToken, Type: ['CONNECTION_CREDENTIALS'] }),
  );
  const connectionToken = connection.ConnectionCredentials?.ConnectionToken;
  expect(chat.ContactId).toBeTruthy();
  expect(connectionToken).toBeTruthy();
  expect(Date.parse(connection.ConnectionCredentials?.Expiry ?? '')).toBeGreaterThan(Date.now());
  return { contactId: chat.ContactId ?? '', connectionToken: connectionToken ?? '' };
}

describe('the whole attachment flow with the official AWS SDKs', () => {
  it('uploads, completes, downloads byte-identical and lists the attachment in the transcript', async () => {
    const { contactId, connectionToken } = await openChatWithSdk();
    const file = randomBytes(300_000);
    const start = await env.participant.send(
      new StartAttachmentUploadCommand({
        ConnectionToken: connectionToken,
        AttachmentName: 'report.pdf',
        AttachmentSizeInBytes: file.length,
        ContentType: 'application/pdf',
      }),
    );
    const metadata = start.UploadMetadata;
    expect(start.AttachmentId).toBeTruthy();
    expect(metadata?.Url?.length).toBeLessThanOrEqual(2000);
    expect(metadata?.Url?.startsWith(`${env.emulator.s3Endpoint}/`)).toBe(true);
    expect(Date.parse(metadata?.UrlExpiry ?? '') - Date.now()).toBeGreaterThan(290_000);
    expect(metadata?.HeadersToInclude).toEqual({
      'Content-Type': 'application/pdf',
      'Content-Length': String(file.length),
      'Content-Disposition': 'attachment; filename="report.pdf"',
      'x-amz-acl': 'bucket-owner-full-control',
      'x-amz-meta-contact_id': contactId,
      'x-amz-meta-initial_contact_id': contactId,
      'x-amz-meta-account_id': expect.stringMatching(/^\d{12}$/),
      'x-amz-meta-organization_id': env.emulator.instanceId,
    });

    const put = await putObject(metadata?.Url ?? '', metadata?.HeadersToInclude ?? {}, file);
    expect(put.status).toBe(200);
    await env.participant.send(
      new CompleteAttachmentUploadCommand({ ConnectionToken: connectionToken, AttachmentIds: [start.AttachmentId ?? ''] }),
    );

    const download = await env.participant.send(
      new GetAttachmentCommand({ ConnectionToken: connectionToken, AttachmentId: start.AttachmentId, UrlExpiryInSeconds: 30 }),
    );
    expect(download.AttachmentSizeInBytes).toBe(file.length);
    const expiresIn = Date.parse(download.UrlExpiry ?? '') - Date.now();
    expect(expiresIn).toBeGreaterThan(25_000);
    expect(expiresIn).toBeLessThanOrEqual(30_000);
    expect(new URL(download.Url ?? '').searchParams.get('X-Amz-Expires')).toBe('30');
    const response = await fetch(download.Url ?? '');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="report.pdf"');
    expect(sha256(new Uint8Array(await response.arrayBuffer()))).toBe(sha256(file));

    // The stored object itself, through the official S3 client (s3rver's credentials).
    const s3 = new S3Client({
      endpoint: env.emulator.s3Endpoint,
      region: env.emulator.region,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    const stored = await s3.send(
      new GetObjectCommand({ Bucket: env.emulator.s3.bucket, Key: `chat/${contactId}/${start.AttachmentId ?? ''}` }),
    );
    expect(stored.ContentType).toBe('application/pdf');
    expect(stored.Metadata).toMatchObject({ contact_id: contactId });
    expect(sha256(await stored.Body?.transformToByteArray() ?? new Uint8Array())).toBe(sha256(file));
    s3.destroy();

    const transcript = await env.participant.send(new GetTranscriptCommand({ ConnectionToken: connectionToken }));
    const item = transcript.Transcript?.find((entry) => entry.Type === 'ATTACHMENT');
    expect(transcript.InitialContactId).toBe(contactId);
    expect(item?.Attachments).toEqual([
      { ContentType: 'application/pdf', AttachmentId: start.AttachmentId, AttachmentName: 'report.pdf', Status: 'APPROVED' },
    ]);
    expect(env.emulator.contactState(contactId).attachments).toEqual([
      expect.objectContaining({ attachmentId: start.AttachmentId, state: 'COMPLETED', status: 'APPROVED' }),
    ]);
  });

  it('encodes a hostile name safely in Content-Disposition and still accepts the PUT', async () => {
    const { connectionToken } = await env.emulator.startChat();
    const name = 'naïve "quote"\\back%slash\r\n.txt';
    const body = new TextEncoder().encode('hello');
    const start = await env.participant.send(
      new StartAttachmentUploadCommand({
        ConnectionToken: connectionToken,
        AttachmentName: name,
        AttachmentSizeInBytes: body.length,
        ContentType: 'text/plain',
      }),
    );
    const disposition = start.UploadMetadata?.HeadersToInclude?.['Content-Disposition'];
    expect(disposition).toBe(
      `attachment; filename="na_ve _quote__back_slash__.txt"; filename*=UTF-8''na%C3%AFve%20%22quote%22%5Cback%25slash%0D%0A.txt`,
    );
    const put = await putObject(start.UploadMetadata?.Url ?? '', start.UploadMetadata?.HeadersToInclude ?? {}, body);
    expect(put.status).toBe(200);
    await env.participant.send(new CompleteAttachmentUploadCommand({ ConnectionToken: connectionToken, AttachmentIds: [start.AttachmentId ?? ''] }));
    const download = await env.participant.send(new GetAttachmentCommand({ ConnectionToken: connectionToken, AttachmentId: start.AttachmentId }));
    const response = await fetch(download.Url ?? '');
    expect(await response.text()).toBe('hello');
    // The download carries the same disposition, filename* included, so browsers save it under its real name.
    expect(response.headers.get('content-disposition')).toBe(disposition);
  });

  it('answers a repeated StartAttachmentUpload ClientToken with the first reply, not a second attachment', async () => {
    const { contactId, connectionToken } = await env.emulator.startChat();
    const request = {
      ConnectionToken: connectionToken,
      AttachmentName: 'photo.png',
      AttachmentSizeInBytes: 10,
      ContentType: 'image/png',
      ClientToken: 'retry-me',
    };
    const first = await env.participant.send(new StartAttachmentUploadCommand(request));
    const second = await env.participant.send(new StartAttachmentUploadCommand(request));
    expect(second.AttachmentId).toBe(first.AttachmentId);
    expect(second.UploadMetadata).toEqual(first.UploadMetadata);
    const fresh = await env.participant.send(new StartAttachmentUploadCommand({ ...request, ClientToken: 'new-request' }));
    expect(fresh.AttachmentId).not.toBe(first.AttachmentId);
    expect(env.emulator.contactState(contactId).attachments).toHaveLength(2);
    expect(env.emulator.contactState(contactId).calls.startAttachmentUpload).toBe(3);

    // A retry that overlaps the first request (e.g. after a client-side timeout) gets the same attachment too:
    // presigning is slowed down so the two requests really overlap.
    const presign = env.emulator.s3.presignPut.bind(env.emulator.s3);
    const slow = vi.spyOn(env.emulator.s3, 'presignPut').mockImplementation(async (...args) => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      return presign(...args);
    });
    const [a, b] = await Promise.all([
      env.participant.send(new StartAttachmentUploadCommand({ ...request, ClientToken: 'overlapping' })),
      env.participant.send(new StartAttachmentUploadCommand({ ...request, ClientToken: 'overlapping' })),
    ]);
    slow.mockRestore();
    expect(b.AttachmentId).toBe(a.AttachmentId);
    expect(env.emulator.contactState(contactId).attachments).toHaveLength(3);
  });

  it('returns the same contact for a repeated StartChatContact ClientToken', async () => {
    const client = env.connect;
    const input = {
      InstanceId: env.emulator.instanceId,
      ContactFlowId: env.emulator.contactFlowId,
      ParticipantDetails: { DisplayName: 'Bo' },
      ClientToken: 'chat-once',
    };
    const first = await client.send(new StartChatContactCommand(input));
    const second = await client.send(new StartChatContactCommand(input));
    expect(second.ContactId).toBe(first.ContactId);
    expect(second.ParticipantToken).toBe(first.ParticipantToken);
  });

  it('completes idempotently: a second Complete succeeds without a second transcript item', async () => {
    const { connectionToken } = await env.emulator.startChat();
    const body = new TextEncoder().encode('a,b\n1,2\n');
    const start = await env.participant.send(
      new StartAttachmentUploadCommand({
        ConnectionToken: connectionToken,
        AttachmentName: 'data.csv',
        AttachmentSizeInBytes: body.length,
        ContentType: 'text/csv',
      }),
    );
    await putObject(start.UploadMetadata?.Url ?? '', start.UploadMetadata?.HeadersToInclude ?? {}, body);
    const complete = () =>
      env.participant.send(new CompleteAttachmentUploadCommand({ ConnectionToken: connectionToken, AttachmentIds: [start.AttachmentId ?? ''] }));
    await complete();
    await complete();
    const transcript = await env.participant.send(new GetTranscriptCommand({ ConnectionToken: connectionToken }));
    expect(transcript.Transcript?.filter((item) => item.Type === 'ATTACHMENT')).toHaveLength(1);
  });

  it('keeps messages in the transcript and pages through it', async () => {
    const { connectionToken } = await env.emulator.startChat({ displayName: 'Cy' });
    for (const text of ['one', 'two', 'three']) {
      await env.participant.send(new SendMessageCommand({ ConnectionToken: connectionToken, ContentType: 'text/plain', Content: text }));
    }
    const page1 = await env.participant.send(
      new GetTranscriptCommand({ ConnectionToken: connectionToken, MaxResults: 2, SortOrder: 'ASCENDING', ScanDirection: 'FORWARD' }),
    );
    expect(page1.Transcript?.map((item) => item.Content ?? item.Type)).toEqual(['EVENT', 'one']);
    const page2 = await env.participant.send(
      new GetTranscriptCommand({
        ConnectionToken: connectionToken,
        MaxResults: 2,
        SortOrder: 'ASCENDING',
        ScanDirection: 'FORWARD',
        NextToken: page1.NextToken,
      }),
    );
    expect(page2.Transcript?.map((item) => item.Content)).toEqual(['two', 'three']);
    expect(page2.NextToken).toBeUndefined();
    const newest = await env.participant.send(new GetTranscriptCommand({ ConnectionToken: connectionToken, MaxResults: 1 }));
    expect(newest.Transcript?.[0]?.Content).toBe('three');
    expect(newest.Transcript?.[0]?.DisplayName).toBe('Cy');
  });

  it('refuses every token of a participant after DisconnectParticipant', async () => {
    const { connectionToken, participantToken } = await env.emulator.startChat();
    await env.participant.send(new DisconnectParticipantCommand({ ConnectionToken: connectionToken }));
    await expect(env.participant.send(new GetTranscriptCommand({ ConnectionToken: connectionToken }))).rejects.toBeInstanceOf(
      AccessDeniedException,
    );
    await expect(
      env.participant.send(new CreateParticipantConnectionCommand({ ParticipantToken: participantToken, Type: ['CONNECTION_CREDENTIALS'] })),
    ).rejects.toBeInstanceOf(AccessDeniedException);
  });
});
