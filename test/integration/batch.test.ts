/**
 * The issue's "done when": a batch of 50 files through the real queue, participant client and presigned PUT
 * (axios' Node http adapter) against the emulator, whose S3 checks every SigV4 signature, while the emulator
 * injects PUT failures, connection resets, throttled Starts, failed Completes and 3-second URLs under a
 * bandwidth limit. Every file must arrive byte-identical, exactly once, and only after its PUT succeeded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../emulator/server';
import { sha256 } from '../../emulator/test-support';
import type { UploadError } from '../../src/core/errors';
import { createParticipantClient } from '../../src/core/participant-client';
import { createUploadQueue } from '../../src/core/queue';
import { recorded, SAMPLE_EXTENSIONS, sourceFile, storedSha256, TEST_POLICY, transcriptAttachments, when } from './support';

const FILES = 50;
const BIG = 1_200_000;
const BANDWIDTH = 400_000;

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await emulator.close();
});

describe('a batch through createUploadQueue against the emulator', () => {
  it(`${FILES} files arrive byte-identical and exactly once through 503/500s, resets, 429s and 3-second URLs`, async () => {
    const chat = await emulator.startChat();
    emulator.setFaults(chat.contactId, {
      urlExpirySeconds: 3,
      // Fresh URLs cost attachments: room for them on top of the 50.
      attachmentQuota: 200,
      throttleStart: { count: 3, retryAfterSeconds: 1 },
      failComplete: { count: 2 },
      put: {
        failNext: { count: 3, status: 503 },
        resetNext: { count: 3, afterBytes: 150_000 },
        bandwidthBytesPerSecond: BANDWIDTH,
      },
    });
    // Three files take longer than their URL lives (1.2 MB at 400 KB/s), the rest 16-160 KB.
    const sources = Array.from({ length: FILES }, (_, i) => {
      const extension = SAMPLE_EXTENSIONS[i % SAMPLE_EXTENSIONS.length] ?? '.txt';
      const size = i % 17 === 0 ? BIG : 16_384 + Math.floor(Math.random() * 150_000);
      return sourceFile(`file-${String(i).padStart(2, '0')}${extension}`, size);
    });

    const real = createParticipantClient({ connectionToken: chat.connectionToken, endpoint: emulator.participantEndpoint });
    const { client, put, calls } = recorded(real);
    const errors: UploadError[] = [];
    let uploaded = 0;
    const queue = createUploadQueue({
      client,
      put,
      retryPolicy: TEST_POLICY,
      onError: (error) => errors.push(error),
      onUploaded: () => {
        // Halfway through, a second round: 500s and resets early in the body.
        if (++uploaded === FILES / 2) {
          emulator.setFaults(chat.contactId, { put: { failNext: { count: 3, status: 500 }, resetNext: { count: 2, afterBytes: 8192 } } });
        }
      },
    });
    queue.add(sources.map((source) => source.file));
    await when(queue.subscribe, () => queue.getState().items.every((item) => ['done', 'failed', 'rejected', 'cancelled'].includes(item.status)));
    queue.destroy();

    // Every file done, none failed on the way.
    expect(errors.map((error) => `${error.code}: ${error.message}`)).toEqual([]);
    const state = queue.getState();
    expect(state.items.map((item) => item.status)).toEqual(Array(FILES).fill('done'));
    expect(state.bytesSent).toBe(state.totalBytes);
    const done = state.items.map((item, i) => ({ attachment: item.attachment!, source: sources[i]! }));
    const doneIds = new Set(done.map(({ attachment }) => attachment.attachmentId));
    expect(doneIds.size).toBe(FILES);

    // The faults really fired.
    const emulated = emulator.contactState(chat.contactId);
    const { putStats } = emulated;
    expect(putStats.resets).toBe(5);
    expect(putStats.failed).toBeGreaterThanOrEqual(6);
    expect(putStats.succeeded).toBe(FILES);
    expect(putStats.puts).toBe(putStats.failed + putStats.resets + putStats.succeeded);
    expect(emulated.faults.throttleStart).toBeUndefined();
    expect(emulated.faults.failComplete).toBeUndefined();
    // A big file cannot be sent in what is left of its URL after a failure: it was given a fresh one.
    const abandoned = emulated.attachments.filter((a) => !doneIds.has(a.attachmentId));
    expect(abandoned.length).toBeGreaterThan(0);
    expect(emulated.calls.startAttachmentUpload).toBe(emulated.attachments.length + 3);
    expect(emulated.calls.completeAttachmentUpload).toBe(FILES + 2);

    // Big files' PUTs outlived their URLs: S3 checks expiry when a request arrives, not when it ends.
    const outlived = calls.puts.filter((p) => p.ok && p.endedAt > p.urlExpiry);
    expect(outlived.length).toBeGreaterThan(0);

    // Complete came only after that attachment's PUT succeeded; a retried Complete kept its ClientToken.
    expect(calls.completes.every((c) => c.putSucceeded)).toBe(true);
    expect(new Set(calls.completes.map((c) => c.attachmentId))).toEqual(doneIds);
    for (const id of doneIds) {
      expect(new Set(calls.completes.filter((c) => c.attachmentId === id).map((c) => c.clientToken)).size).toBe(1);
    }
    // Each Start request that got an attachment was a fresh ClientToken (retries after 429 reuse theirs).
    const granted = calls.starts.filter((s) => s.attachmentId !== undefined);
    expect(new Set(granted.map((s) => s.clientToken)).size).toBe(granted.length);
    expect(granted.length).toBe(emulated.attachments.length);

    // Byte-identical in S3; abandoned attachments were never completed and hold nothing.
    for (const { attachment, source } of done) {
      expect(attachment.sizeInBytes).toBe(source.bytes.length);
      expect(await storedSha256(emulator, chat.contactId, attachment.attachmentId)).toBe(source.sha256);
    }
    for (const a of abandoned) {
      expect(a.state).toBe('PENDING');
      expect(await storedSha256(emulator, chat.contactId, a.attachmentId)).toBeUndefined();
    }

    // Exactly once in the transcript, as the official SDK client reads it; nothing abandoned shows up.
    const transcript = await transcriptAttachments(emulator, chat.connectionToken);
    expect(transcript.map((t) => t.attachmentId).sort()).toEqual([...doneIds].sort());
    expect(transcript.every((t) => t.status === 'APPROVED')).toBe(true);

    // Downloads through GetAttachment's URL give the same bytes.
    for (const { attachment, source } of done.filter((_, i) => i % 10 === 0)) {
      const download = await real.getAttachment(attachment.attachmentId, { urlExpiryInSeconds: 30 });
      expect(download.sizeInBytes).toBe(source.bytes.length);
      const response = await fetch(download.url!);
      expect(response.status).toBe(200);
      expect(sha256(new Uint8Array(await response.arrayBuffer()))).toBe(source.sha256);
    }
  });
});
