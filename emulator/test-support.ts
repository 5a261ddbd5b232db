import { createHash } from 'node:crypto';
import { ConnectClient } from '@aws-sdk/client-connect';
import {
  CompleteAttachmentUploadCommand,
  ConnectParticipantClient,
  StartAttachmentUploadCommand,
  type StartAttachmentUploadCommandOutput,
} from '@aws-sdk/client-connectparticipant';
import { afterAll, beforeAll, expect } from 'vitest';
import { startEmulator, type Emulator, type EmulatorOptions } from './server';

/** Test helpers: the official SDK clients pointed at an emulator, configured the way real callers do. */

export interface SharedEmulator {
  readonly emulator: Emulator;
  /** `participantClient(emulator)`. */
  readonly participant: ConnectParticipantClient;
  /** `connectClient(emulator)`. */
  readonly connect: ConnectClient;
}

/**
 * One emulator for the tests of the enclosing file (or describe block): started before them, closed after them.
 * Its fields can be read only once the tests run, hence getters rather than values.
 */
export function sharedEmulator(options?: EmulatorOptions): SharedEmulator {
  let started: SharedEmulator | undefined;
  beforeAll(async () => {
    const emulator = await startEmulator(options);
    started = { emulator, participant: participantClient(emulator), connect: connectClient(emulator) };
  });
  afterAll(async () => {
    await started?.emulator.close();
  });
  const get = (): SharedEmulator => {
    if (!started) throw new Error('sharedEmulator: read its fields inside a test or hook, after it started.');
    return started;
  };
  return {
    get emulator() {
      return get().emulator;
    },
    get participant() {
      return get().participant;
    },
    get connect() {
      return get().connect;
    },
  };
}

/**
 * A participant client as the official chat library builds it: empty credentials (the SDK still signs, with an
 * empty key id, and the emulator ignores that). `maxAttempts: 1` unless a test wants the SDK's own retries.
 */
export function participantClient(emulator: Emulator, maxAttempts = 1): ConnectParticipantClient {
  return new ConnectParticipantClient({
    endpoint: emulator.participantEndpoint,
    region: emulator.region,
    credentials: { accessKeyId: '', secretAccessKey: '' },
    maxAttempts,
  });
}

/**
 * A Connect client signing with the emulator's dev credentials (or the ones given, to test refusals).
 * `maxAttempts: 1` unless a test wants the SDK's own retries.
 */
export function connectClient(emulator: Emulator, credentials = emulator.credentials, maxAttempts = 1): ConnectClient {
  return new ConnectClient({ endpoint: emulator.connectEndpoint, region: emulator.region, credentials, maxAttempts });
}

/**
 * PUTs `body` to a presigned URL with the given headers, minus Content-Length, which fetch (like a browser)
 * computes from the body itself.
 */
export async function putObject(
  url: string,
  headers: Readonly<Record<string, string>>,
  body: Uint8Array,
): Promise<{ status: number; text: string }> {
  const sent = Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'content-length'));
  // A copy typed as backed by a plain ArrayBuffer, which is what fetch's BodyInit accepts.
  const response = await fetch(url, { method: 'PUT', headers: sent, body: Uint8Array.from(body) });
  return { status: response.status, text: await response.text() };
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A raw JSON call to the emulator origin, for what the SDK would never send. */
export async function rawCall(
  emulator: Emulator,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; errorType: string | null; body: string; headers: Headers }> {
  const response = await fetch(`${emulator.participantEndpoint}${path}`, {
    method: init.method ?? 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  return {
    status: response.status,
    errorType: response.headers.get('x-amzn-errortype'),
    body: await response.text(),
    headers: response.headers,
  };
}

/** StartAttachmentUpload through the SDK; by default for a 5-byte `notes.txt` and with the SDK's own ClientToken. */
export function startAttachment(
  client: ConnectParticipantClient,
  connectionToken: string,
  input: { name?: string; size?: number; type?: string; clientToken?: string } = {},
): Promise<StartAttachmentUploadCommandOutput> {
  return client.send(
    new StartAttachmentUploadCommand({
      ConnectionToken: connectionToken,
      AttachmentName: input.name ?? 'notes.txt',
      AttachmentSizeInBytes: input.size ?? 5,
      ContentType: input.type ?? 'text/plain',
      ...(input.clientToken === undefined ? {} : { ClientToken: input.clientToken }),
    }),
  );
}

/** A chat attachment the whole way: Start, a PUT that S3 accepts, Complete. Resolves with the AttachmentId. */
export async function attachToChat(
  client: ConnectParticipantClient,
  connectionToken: string,
  name: string,
  body: Uint8Array,
  type = 'text/plain',
): Promise<string> {
  const reply = await startAttachment(client, connectionToken, { name, size: body.length, type });
  expect((await putObject(reply.UploadMetadata?.Url ?? '', reply.UploadMetadata?.HeadersToInclude ?? {}, body)).status).toBe(200);
  const attachmentId = reply.AttachmentId ?? '';
  await client.send(new CompleteAttachmentUploadCommand({ ConnectionToken: connectionToken, AttachmentIds: [attachmentId] }));
  return attachmentId;
}
