/**
 * Shared by the integration and CLI tests: source files with known bytes, and what the emulator really holds
 * (the stored object, the transcript read through the official SDK client).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { GetTranscriptCommand, type Item } from '@aws-sdk/client-connectparticipant';
import { expect } from 'vitest';
import type { Emulator } from '../../emulator/server';
import { participantClient, sha256 } from '../../emulator/test-support';
import { UploadError } from '../../src/core/errors';
import { putFile, type PutFunction, type PutOptions } from '../../src/core/put';
import type { RetryPolicy } from '../../src/core/retry-policy';
import type { AttachmentClient } from '../../src/core/types';

/** Small delays, the defaults' shape; margins that fit URLs living seconds (the emulator runs on our clock). */
export const TEST_POLICY: Partial<RetryPolicy> = {
  baseDelayMs: 50,
  maxDelayMs: 400,
  safetyMarginMs: 250,
  // The emulator's UrlExpiry has milliseconds, the signature's date is truncated to the second (as on AWS).
  clockSkewToleranceMs: 1000,
  assumedBytesPerSecond: 256 * 1024,
};

const SAMPLES = fileURLToPath(new URL('../fixtures/samples/', import.meta.url));

/** Extensions whose sample file gives a real head (magic bytes) that random bytes can follow. */
const BINARY_SAMPLES = ['.png', '.pdf', '.jpg', '.wav', '.mp4', '.docx'] as const;
const TEXT_EXTENSIONS = ['.txt', '.csv'] as const;
export const SAMPLE_EXTENSIONS: readonly string[] = [...BINARY_SAMPLES, ...TEXT_EXTENSIONS];

/**
 * A File of exactly `size` bytes that passes type detection for its extension: a real sample's head followed by
 * random bytes, or random printable text. Random content makes a byte-identical comparison meaningful.
 */
export function sourceFile(name: string, size: number): { file: File; bytes: Uint8Array; sha256: string } {
  const extension = name.slice(name.lastIndexOf('.'));
  const bytes = new Uint8Array(size);
  if ((TEXT_EXTENSIONS as readonly string[]).includes(extension)) {
    const random = randomBytes(size);
    // Letters, digits and line breaks only: plain text to the sniffer whatever the random draw.
    const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,;\n';
    for (let i = 0; i < size; i++) bytes[i] = alphabet.charCodeAt((random[i] ?? 0) % alphabet.length);
  } else {
    const head = readFileSync(`${SAMPLES}sample${extension}`);
    bytes.set(head.subarray(0, Math.min(head.length, size)));
    if (size > head.length) bytes.set(randomBytes(size - head.length), head.length);
  }
  return { file: new File([bytes], name), bytes, sha256: sha256(bytes) };
}

export interface TranscriptAttachment {
  attachmentId: string;
  name: string;
  status: string | undefined;
}

/** Every attachment item of the chat's transcript, through the official client, all pages. */
export async function transcriptAttachments(emulator: Emulator, connectionToken: string): Promise<TranscriptAttachment[]> {
  const client = participantClient(emulator);
  const items: Item[] = [];
  try {
    let nextToken: string | undefined;
    do {
      const page = await client.send(
        new GetTranscriptCommand({ ConnectionToken: connectionToken, MaxResults: 100, ScanDirection: 'FORWARD', NextToken: nextToken }),
      );
      items.push(...(page.Transcript ?? []));
      nextToken = page.NextToken;
    } while (nextToken !== undefined);
  } finally {
    client.destroy();
  }
  return items
    .filter((item) => item.Type === 'ATTACHMENT')
    .flatMap((item) => item.Attachments ?? [])
    .map((a) => ({ attachmentId: a.AttachmentId ?? '', name: a.AttachmentName ?? '', status: a.Status }));
}

/** sha256 of the object S3 stores for an attachment of the contact, or undefined when there is none. */
export async function storedSha256(emulator: Emulator, contactId: string, attachmentId: string): Promise<string | undefined> {
  const stored = await emulator.s3.readObject(`chat/${contactId}/${attachmentId}`);
  return stored === undefined ? undefined : sha256(stored);
}

/** Resolves once `condition` holds, checking on every change the subscription reports and at once. */
export function when(subscribe: (listener: () => void) => () => void, condition: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (condition()) {
      resolve();
      return;
    }
    const unsubscribe = subscribe(() => {
      if (!condition()) return;
      unsubscribe();
      resolve();
    });
  });
}

export interface Calls {
  /** Every Start request as sent (retries included), with the AttachmentId it got, if any. */
  starts: Array<{ clientToken: string; attachmentId?: string }>;
  /** Every Complete request as sent, and whether a PUT of that attachment had succeeded by then. */
  completes: Array<{ attachmentId: string; clientToken: string; putSucceeded: boolean }>;
  puts: Array<{ attachmentId: string; ok: boolean; endedAt: number; urlExpiry: number }>;
}

/**
 * The real client and putFile, every call written down so the order of events can be checked. `putOptions` are
 * what the engine does not pass on (a shorter stall timeout, an axios instance with a watched agent).
 */
export function recorded(
  client: AttachmentClient,
  putOptions: Pick<PutOptions, 'stallTimeoutMs' | 'axios'> = {},
): { client: AttachmentClient; put: PutFunction; calls: Calls } {
  const calls: Calls = { starts: [], completes: [], puts: [] };
  const succeeded = new Set<string>();
  return {
    calls,
    client: {
      kind: client.kind,
      async startUpload(request, options) {
        const entry: Calls['starts'][number] = { clientToken: request.clientToken };
        calls.starts.push(entry);
        const target = await client.startUpload(request, options);
        entry.attachmentId = target.attachmentId;
        return target;
      },
      completeUpload(request, options) {
        calls.completes.push({ ...request, putSucceeded: succeeded.has(request.attachmentId) });
        return client.completeUpload(request, options);
      },
      getAttachment: (id, options) => client.getAttachment(id, options),
    },
    put: async (target, body, options) => {
      const entry = { attachmentId: target.attachmentId, urlExpiry: target.urlExpiry };
      try {
        await putFile(target, body, { ...options, ...putOptions });
      } catch (error) {
        calls.puts.push({ ...entry, ok: false, endedAt: Date.now() });
        throw error;
      }
      calls.puts.push({ ...entry, ok: true, endedAt: Date.now() });
      succeeded.add(target.attachmentId);
    },
  };
}

/** An http.Agent that keeps every connection it opens, so a test can see a request's socket really closed. */
export class WatchedAgent extends http.Agent {
  readonly connections: Duplex[] = [];

  override createConnection(...args: Parameters<http.Agent['createConnection']>): ReturnType<http.Agent['createConnection']> {
    const connection = super.createConnection(...args);
    if (connection) this.connections.push(connection);
    return connection;
  }
}

/** Resolves when the stream is closed (at once if it already is). */
export function closed(stream: Duplex): Promise<void> {
  return stream.closed ? Promise.resolve() : new Promise((resolve) => stream.once('close', () => resolve()));
}

/** An UploadError that exposes no secret anywhere a host could log it, and has no cause that might. */
export function expectSafeError(error: unknown, ...secrets: string[]): UploadError {
  expect(error).toBeInstanceOf(UploadError);
  const uploadError = error as UploadError;
  const exposed = [JSON.stringify(uploadError), String(uploadError), uploadError.stack ?? '', JSON.stringify(uploadError.details)].join('\n');
  for (const secret of secrets) expect(exposed).not.toContain(secret);
  expect(uploadError.cause).toBeUndefined();
  return uploadError;
}

/** For state that reports no events (the emulator's counters): checks every 10 ms, fails after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('the condition was not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
