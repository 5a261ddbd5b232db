import { createHash } from 'node:crypto';
import { ConnectClient } from '@aws-sdk/client-connect';
import { ConnectParticipantClient } from '@aws-sdk/client-connectparticipant';
import type { Emulator } from './server';

/** Test helpers: the official SDK clients pointed at an emulator, configured the way real callers do. */

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

/** A Connect client signing with the emulator's dev credentials (or the ones given, to test refusals). */
export function connectClient(emulator: Emulator, credentials = emulator.credentials): ConnectClient {
  return new ConnectClient({ endpoint: emulator.connectEndpoint, region: emulator.region, credentials, maxAttempts: 1 });
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
