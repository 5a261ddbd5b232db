/**
 * The engine against the emulator when things go wrong for good or for a while: URLs that expire mid-retry,
 * cancellation of a slow or stalled PUT, a ConnectionToken that expires mid-batch, the attachment quota, and
 * Start replies that are not what the API promises. One chat per test, so each test's faults are its own.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import axios from 'axios';
import { CreateParticipantConnectionCommand } from '@aws-sdk/client-connectparticipant';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MalformedStartReplyKind } from '../../emulator/state';
import { startEmulator, type Emulator } from '../../emulator/server';
import { participantClient, sha256 } from '../../emulator/test-support';
import { createParticipantClient } from '../../src/core/participant-client';
import { putFile } from '../../src/core/put';
import { createUploadQueue, type UploadItem } from '../../src/core/queue';
import { systemClock, type Clock } from '../../src/core/time';
import { uploadAttachment, type UploadEvent } from '../../src/core/upload';
import {
  closed,
  expectSafeError,
  recorded,
  sourceFile,
  storedSha256,
  TEST_POLICY,
  transcriptAttachments,
  until,
  WatchedAgent,
  when,
} from './support';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await emulator.close();
});

async function chatWithClient() {
  const chat = await emulator.startChat();
  const client = createParticipantClient({ connectionToken: chat.connectionToken, endpoint: emulator.participantEndpoint });
  return { chat, client };
}

function phases(events: UploadEvent[]): string[] {
  return events.flatMap((event) => (event.type === 'phase' ? [`${event.phase}${event.error ? `:${event.error.code}` : ''}`] : []));
}

/** Settles with the rejection (an UploadError that leaks none of `secrets`); fails the test if it resolves. */
async function rejection(promise: Promise<unknown>, ...secrets: string[]) {
  const outcome = await promise.then(
    () => new Error('expected a rejection'),
    (error: unknown) => error,
  );
  return expectSafeError(outcome, ...secrets);
}

describe('URLs that expire while an upload is retried', () => {
  it('a PUT that stalls past its URL gets a fresh URL (new ClientToken, new AttachmentId) and the old one is abandoned', async () => {
    const { chat, client: real } = await chatWithClient();
    emulator.setFaults(chat.contactId, { urlExpirySeconds: 2, put: { stallNext: { count: 1, afterBytes: 0 } } });
    const { client, put, calls } = recorded(real, { stallTimeoutMs: 2500 });
    const source = sourceFile('statement.pdf', 40_000);
    const events: UploadEvent[] = [];

    const uploaded = await uploadAttachment(source.file, { client, put, retryPolicy: TEST_POLICY, onEvent: (e) => events.push(e) });

    expect(phases(events)).toEqual(['checking', 'starting', 'uploading', 'refreshing:stalled', 'refreshing', 'uploading', 'completing']);
    const [first, second] = calls.starts;
    expect(calls.starts).toHaveLength(2);
    expect(second!.clientToken).not.toBe(first!.clientToken);
    expect(second!.attachmentId).not.toBe(first!.attachmentId);
    expect(uploaded.attachmentId).toBe(second!.attachmentId);
    expect(calls.completes.map((c) => c.attachmentId)).toEqual([second!.attachmentId]);

    const state = emulator.contactState(chat.contactId);
    expect(state.putStats).toMatchObject({ puts: 2, stalls: 1, succeeded: 1 });
    expect(state.attachments.map((a) => [a.attachmentId, a.state])).toEqual([
      [first!.attachmentId, 'PENDING'],
      [second!.attachmentId, 'COMPLETED'],
    ]);
    expect(await storedSha256(emulator, chat.contactId, first!.attachmentId!)).toBeUndefined();
    expect(await storedSha256(emulator, chat.contactId, uploaded.attachmentId)).toBe(source.sha256);
    const transcript = await transcriptAttachments(emulator, chat.connectionToken);
    expect(transcript.map((t) => t.attachmentId)).toEqual([uploaded.attachmentId]);
  });

  it("with the device clock behind, the retry meets S3's 'Request has expired' and the upload fetches a fresh URL", async () => {
    const { chat, client: real } = await chatWithClient();
    emulator.setFaults(chat.contactId, { urlExpirySeconds: 2, put: { stallNext: { count: 1, afterBytes: 0 } } });
    const { client, put, calls } = recorded(real, { stallTimeoutMs: 2500 });
    // A device a minute slow believes the URL has plenty of life left.
    const slowClock: Clock = { ...systemClock, now: () => Date.now() - 60_000 };
    const source = sourceFile('photo.png', 30_000);
    const events: UploadEvent[] = [];

    const uploaded = await uploadAttachment(source.file, {
      client,
      put,
      clock: slowClock,
      retryPolicy: TEST_POLICY,
      onEvent: (e) => events.push(e),
    });

    expect(phases(events)).toEqual([
      'checking',
      'starting',
      'uploading',
      'retrying:stalled',
      'uploading',
      'refreshing:url-expired',
      'refreshing',
      'uploading',
      'completing',
    ]);
    expect(calls.starts).toHaveLength(2);
    expect(new Set(calls.starts.map((s) => s.clientToken)).size).toBe(2);
    expect(calls.puts.map((p) => [p.attachmentId, p.ok])).toEqual([
      [calls.starts[0]!.attachmentId, false],
      [calls.starts[0]!.attachmentId, false],
      [uploaded.attachmentId, true],
    ]);
    // S3's own refusal of the expired URL counts as a failed PUT; the stall was the injected fault.
    expect(emulator.contactState(chat.contactId).putStats).toMatchObject({ puts: 3, stalls: 1, failed: 1, succeeded: 1 });
    expect(await storedSha256(emulator, chat.contactId, uploaded.attachmentId)).toBe(source.sha256);
    const transcript = await transcriptAttachments(emulator, chat.connectionToken);
    expect(transcript.map((t) => t.attachmentId)).toEqual([uploaded.attachmentId]);
  });
});

describe('a Complete whose reply is lost while the service still works on it', () => {
  it('its repeat meets 409 Conflict, asks again with the same ClientToken, and the upload succeeds, attached once', async () => {
    // Completing takes 1 s here (a slow malware scan, which Complete waits for), the client waits 300 ms for a reply.
    const slowScan = await startEmulator({ scanAttachment: () => new Promise((resolve) => setTimeout(resolve, 1000, 'APPROVED')) });
    try {
      const chat = await slowScan.startChat();
      const real = createParticipantClient({ connectionToken: chat.connectionToken, endpoint: slowScan.participantEndpoint, timeoutMs: 300 });
      const { client, put, calls } = recorded(real);
      const events: UploadEvent[] = [];

      const uploaded = await uploadAttachment(sourceFile('receipt.pdf', 2_000).file, {
        client,
        put,
        retryPolicy: { ...TEST_POLICY, maxApiAttempts: 10 },
        random: () => 0.999,
        onEvent: (event) => events.push(event),
      });

      const steps = phases(events);
      expect(steps.slice(0, 5)).toEqual(['checking', 'starting', 'uploading', 'completing', 'retrying:timeout']);
      expect(steps).toContain('retrying:conflict');
      expect(new Set(calls.completes.map((c) => c.clientToken)).size).toBe(1);
      expect(slowScan.contactState(chat.contactId).calls.completeAttachmentUpload).toBe(calls.completes.length);
      const attached = await transcriptAttachments(slowScan, chat.connectionToken);
      expect(attached.map((a) => a.attachmentId)).toEqual([uploaded.attachmentId]);
    } finally {
      await slowScan.close();
    }
  });
});

describe('cancel mid-upload', () => {
  it('cancelling a slow PUT in the queue aborts the request and completes nothing', async () => {
    const { chat, client: real } = await chatWithClient();
    emulator.setFaults(chat.contactId, { put: { bandwidthBytesPerSecond: 100_000 } });
    const agent = new WatchedAgent();
    const { client, put, calls } = recorded(real, { axios: axios.create({ httpAgent: agent }) });
    const queue = createUploadQueue({ client, put, retryPolicy: TEST_POLICY });
    try {
      const [item] = queue.add([sourceFile('recording.wav', 600_000).file]) as [UploadItem];
      const current = () => queue.getState().items[0]!;
      await when(queue.subscribe, () => current().status === 'uploading' && current().bytesSent > 0);
      await until(() => emulator.contactState(chat.contactId).putStats.puts === 1);
      expect(agent.connections).toHaveLength(1);

      queue.cancel(item.id);
      expect(current().status).toBe('cancelled');
      await closed(agent.connections[0]!);
    } finally {
      queue.destroy();
      agent.destroy();
    }
    expect(calls.completes).toEqual([]);
    const state = emulator.contactState(chat.contactId);
    expect(state.calls.completeAttachmentUpload).toBe(0);
    expect(state.attachments.map((a) => a.state)).toEqual(['PENDING']);
    expect(state.putStats.succeeded).toBe(0);
    expect(await transcriptAttachments(emulator, chat.connectionToken)).toEqual([]);
  });

  it('aborting the signal during a stalled PUT rejects with cancelled at once and closes the connection', async () => {
    const { chat, client: real } = await chatWithClient();
    emulator.setFaults(chat.contactId, { put: { stallNext: { count: 1, afterBytes: 0 } } });
    const agent = new WatchedAgent();
    const { client, put, calls } = recorded(real, { axios: axios.create({ httpAgent: agent }) });
    const controller = new AbortController();
    const promise = uploadAttachment(sourceFile('notes.txt', 20_000).file, { client, put, retryPolicy: TEST_POLICY, signal: controller.signal });
    // The PUT reached S3 and hangs there.
    await until(() => emulator.contactState(chat.contactId).putStats.stalls === 1);

    const abortedAt = Date.now();
    controller.abort();
    expect((await rejection(promise, chat.connectionToken)).code).toBe('cancelled');
    expect(Date.now() - abortedAt).toBeLessThan(500);
    await closed(agent.connections[0]!);
    agent.destroy();

    expect(calls.completes).toEqual([]);
    const state = emulator.contactState(chat.contactId);
    expect(state.putStats).toMatchObject({ puts: 1, stalls: 1, succeeded: 0 });
    expect(state.attachments.map((a) => a.state)).toEqual(['PENDING']);
    expect(await transcriptAttachments(emulator, chat.connectionToken)).toEqual([]);
  });
});

describe("the emulator's S3 when an abandoned PUT overlaps its retry", () => {
  it("a PUT the client hung up on, still being read, does not delete the object its retry on the same URL stored", async () => {
    const { chat, client } = await chatWithClient();
    emulator.setFaults(chat.contactId, { put: { bandwidthBytesPerSecond: 200_000 } });
    const source = sourceFile('long.pdf', 400_000);
    const target = await client.startUpload({ name: 'long.pdf', sizeInBytes: 400_000, contentType: 'application/pdf', clientToken: randomUUID() });

    // The first attempt sends a quarter of the body and hangs up; S3 still reads what the network holds.
    const abandoned = http.request(target.url, { method: 'PUT', headers: target.headersToInclude });
    abandoned.on('error', () => undefined);
    abandoned.write(source.bytes.subarray(0, 100_000));
    await until(() => emulator.contactState(chat.contactId).putStats.puts === 1);
    abandoned.destroy();
    // The retry sends the whole file to the same URL and outlasts the first attempt's end.
    await putFile(target, source.file);
    await client.completeUpload({ attachmentId: target.attachmentId, clientToken: randomUUID() });

    expect(await storedSha256(emulator, chat.contactId, target.attachmentId)).toBe(source.sha256);
    const download = await client.getAttachment(target.attachmentId);
    expect(sha256(new Uint8Array(await (await fetch(download.url!)).arrayBuffer()))).toBe(source.sha256);
  });
});

describe('a ConnectionToken that expires mid-batch', () => {
  it('fails the rest with access-denied, without retries; nothing is completed that was not uploaded; a new token finishes them', async () => {
    const { chat, client: real } = await chatWithClient();
    emulator.setFaults(chat.contactId, { put: { bandwidthBytesPerSecond: 400_000 } });
    const { client, put, calls } = recorded(real);
    const sources = Array.from({ length: 8 }, (_, i) => sourceFile(`page-${i}.pdf`, 120_000));
    let expired = false;
    const queue = createUploadQueue({
      client,
      put,
      retryPolicy: TEST_POLICY,
      onUploaded: () => {
        if (expired) return;
        expired = true;
        emulator.setFaults(chat.contactId, { expireConnectionTokens: true });
      },
    });
    const settled = () => queue.getState().items.every((item) => item.status === 'done' || item.status === 'failed');
    queue.add(sources.map((s) => s.file));
    await when(queue.subscribe, settled);

    const items = queue.getState().items;
    const done = items.filter((item) => item.status === 'done');
    const failed = items.filter((item) => item.status === 'failed');
    expect(done.length).toBeGreaterThanOrEqual(1);
    expect(failed.length).toBeGreaterThanOrEqual(5);
    for (const item of failed) {
      const error = expectSafeError(item.error, chat.connectionToken);
      expect(error.code).toBe('access-denied');
      expect(error.details).toMatchObject({ status: 403, serverCode: 'AccessDeniedException' });
      expect(error.message).toMatch(/ConnectionToken has expired/);
    }
    // No request was repeated after the refusal: every ClientToken was sent once.
    expect(new Set(calls.starts.map((s) => s.clientToken)).size).toBe(calls.starts.length);
    expect(new Set(calls.completes.map((c) => c.clientToken)).size).toBe(calls.completes.length);
    expect(calls.completes.every((c) => c.putSucceeded)).toBe(true);

    // Exactly the uploads reported done are completed, and each holds its file.
    const doneIds = done.map((item) => item.attachment!.attachmentId);
    const state = emulator.contactState(chat.contactId);
    expect(state.attachments.filter((a) => a.state === 'COMPLETED').map((a) => a.attachmentId).sort()).toEqual([...doneIds].sort());
    for (const item of done) {
      const source = sources[items.indexOf(item)]!;
      expect(await storedSha256(emulator, chat.contactId, item.attachment!.attachmentId)).toBe(source.sha256);
    }

    // The widget reconnects with its ParticipantToken; the failed items are retried with the new token.
    const sdk = participantClient(emulator);
    const connection = await sdk.send(
      new CreateParticipantConnectionCommand({ ParticipantToken: chat.participantToken, Type: ['CONNECTION_CREDENTIALS'] }),
    );
    sdk.destroy();
    const connectionToken = connection.ConnectionCredentials!.ConnectionToken!;
    const fresh = recorded(createParticipantClient({ connectionToken, endpoint: emulator.participantEndpoint }));
    queue.setOptions({ client: fresh.client, put: fresh.put });
    for (const item of failed) queue.retry(item.id);
    await when(queue.subscribe, settled);
    queue.destroy();

    const final = queue.getState().items;
    expect(final.map((item) => item.status)).toEqual(Array(8).fill('done'));
    const transcript = await transcriptAttachments(emulator, connectionToken);
    expect(transcript.map((t) => t.attachmentId).sort()).toEqual(final.map((item) => item.attachment!.attachmentId).sort());
    for (const [i, item] of final.entries()) {
      expect(await storedSha256(emulator, chat.contactId, item.attachment!.attachmentId)).toBe(sources[i]!.sha256);
    }
  });
});

describe('refusals that retrying cannot fix', () => {
  it('over the attachment quota: quota-exceeded at once, without a retry', async () => {
    const { chat, client: real } = await chatWithClient();
    emulator.setFaults(chat.contactId, { attachmentQuota: 1 });
    const { client, put, calls } = recorded(real);
    await uploadAttachment(sourceFile('first.txt', 100).file, { client, put, retryPolicy: TEST_POLICY });

    const error = await rejection(uploadAttachment(sourceFile('second.txt', 100).file, { client, put, retryPolicy: TEST_POLICY }), chat.connectionToken);

    expect(error.code).toBe('quota-exceeded');
    expect(error.details).toMatchObject({ status: 402, serverCode: 'ServiceQuotaExceededException' });
    expect(calls.starts).toHaveLength(2);
    expect(emulator.contactState(chat.contactId).calls.startAttachmentUpload).toBe(2);
    expect(calls.puts).toHaveLength(1);
  });

  it.each<MalformedStartReplyKind>(['not-json', 'missing-upload-metadata', 'bad-url-expiry'])(
    'a malformed Start reply (%s) is bad-response: nothing is PUT or completed',
    async (kind) => {
      const { chat, client: real } = await chatWithClient();
      emulator.setFaults(chat.contactId, { malformedStart: { count: 1, kind } });
      const { client, put, calls } = recorded(real);

      const error = await rejection(uploadAttachment(sourceFile('scan.jpg', 2_000).file, { client, put, retryPolicy: TEST_POLICY }), chat.connectionToken);

      expect(error.code).toBe('bad-response');
      expect(error.message).toMatch(/^StartAttachmentUpload returned an unexpected reply/);
      const state = emulator.contactState(chat.contactId);
      expect(state.calls).toMatchObject({ startAttachmentUpload: 1, completeAttachmentUpload: 0 });
      expect(state.faults.malformedStart).toBeUndefined();
      expect(calls.puts).toEqual([]);
    },
  );

  it('Start headers a browser may not send (Host, Connection) are dropped and the upload succeeds', async () => {
    const { chat, client } = await chatWithClient();
    emulator.setFaults(chat.contactId, { malformedStart: { count: 1, kind: 'forbidden-headers' } });
    const source = sourceFile('sheet.csv', 5_000);

    const uploaded = await uploadAttachment(source.file, { client, retryPolicy: TEST_POLICY });

    expect(emulator.contactState(chat.contactId).faults.malformedStart).toBeUndefined();
    expect(await storedSha256(emulator, chat.contactId, uploaded.attachmentId)).toBe(source.sha256);
  });
});
