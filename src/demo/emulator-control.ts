/**
 * The emulator's control API (`/_emulator/...`, not part of AWS), as the faults panel uses it. Faults are scoped
 * to one contact, so a demo tab breaks only its own chat. Only types come from the emulator: nothing of it is
 * bundled into the page.
 */
import type { ContactSnapshot } from '../../emulator/control';
import type { FaultsUpdate } from '../../emulator/state';

export type { ContactSnapshot };

export interface FaultPreset {
  id: string;
  label: string;
  /** What it does, in words, shown beside the button. */
  description: string;
  faults: FaultsUpdate;
}

/** Presets combine: each one sets only its own keys (the emulator merges them into the contact's faults). */
export const FAULT_PRESETS: readonly FaultPreset[] = [
  {
    id: 'flaky',
    label: 'Flaky network',
    description:
      'The next upload PUT gets 503 SlowDown; the one after loses its connection after 512 bytes (set twice: Chromium silently retries a reset once).',
    faults: { put: { failNext: { count: 1, status: 503 }, resetNext: { count: 2, afterBytes: 512 } } },
  },
  {
    id: 'throttling',
    label: 'Throttling',
    description: 'The next 3 StartAttachmentUpload calls get 429 ThrottlingException (Retry-After: 1 s).',
    faults: { throttleStart: { count: 3, retryAfterSeconds: 1 } },
  },
  {
    id: 'short-expiry',
    label: 'Short URL expiry',
    description:
      'Upload URLs live 5 s and uploads crawl at 8 KiB/s: after any failure the URL is too close to expiry, so a fresh one is asked for.',
    faults: { urlExpirySeconds: 5, put: { bandwidthBytesPerSecond: 8 * 1024 } },
  },
  {
    id: 'quota',
    label: 'Quota of 2',
    description: 'This chat may start 2 attachments; the next one gets 402 ServiceQuotaExceededException.',
    faults: { attachmentQuota: 2 },
  },
];

export interface EmulatorControl {
  apply(faults: FaultsUpdate): Promise<ContactSnapshot>;
  clear(): Promise<ContactSnapshot>;
  state(): Promise<ContactSnapshot>;
}

export function emulatorControl(controlEndpoint: string, contactId: string): EmulatorControl {
  const url = `${controlEndpoint.replace(/\/+$/, '')}/contacts/${encodeURIComponent(contactId)}`;
  const send = async (method: 'GET' | 'POST' | 'DELETE', path: string, body?: FaultsUpdate): Promise<ContactSnapshot> => {
    const response = await fetch(`${url}${path}`, {
      method,
      credentials: 'omit',
      cache: 'no-store',
      ...(body === undefined ? {} : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const reply = (await response.json().catch(() => ({}))) as unknown;
    if (!response.ok) {
      const message = typeof reply === 'object' && reply !== null && 'message' in reply ? String(reply.message) : `HTTP ${response.status}`;
      throw new Error(`Emulator control: ${message}`);
    }
    return reply as ContactSnapshot;
  };
  return {
    apply: (faults) => send('POST', '/faults', faults),
    clear: () => send('DELETE', '/faults'),
    state: () => send('GET', ''),
  };
}
