/**
 * The chat side of the Participant Service for the demo widget: CreateParticipantConnection, SendMessage,
 * GetTranscript and DisconnectParticipant over fetch. The attachment calls go through the library's
 * `createParticipantClient`. The ConnectionToken lives only in this closure (and the library client): never in a
 * URL, the DOM, storage, the console or an error.
 */
import { createParticipantClient, type AttachmentClient, type AttachmentStatus } from '../index';

export class ChatApiError extends Error {
  override readonly name = 'ChatApiError';
  readonly operation: string;
  /** HTTP status, or undefined when no reply came. */
  readonly status: number | undefined;
  /** `x-amzn-ErrorType` up to the first `:`. */
  readonly errorType: string | undefined;

  constructor(operation: string, message: string, status?: number, errorType?: string) {
    super(message);
    this.operation = operation;
    this.status = status;
    this.errorType = errorType;
  }
}

export interface TranscriptAttachment {
  attachmentId: string;
  name: string;
  contentType: string;
  status: AttachmentStatus | undefined;
}

export interface TranscriptItem {
  id: string;
  /** Epoch milliseconds. */
  time: number;
  type: string;
  contentType: string;
  content?: string;
  displayName?: string;
  participantRole?: string;
  attachments: readonly TranscriptAttachment[];
}

export interface ParticipantChat {
  /** For `<AttachmentUploader client>` and GetAttachment. */
  readonly attachments: AttachmentClient;
  sendMessage(content: string, signal?: AbortSignal): Promise<void>;
  /** The latest items, oldest first. */
  getTranscript(signal?: AbortSignal): Promise<TranscriptItem[]>;
  disconnect(): Promise<void>;
}

/** GetTranscript's largest page: a demo chat never grows past it, so one call shows the whole chat. */
const TRANSCRIPT_PAGE = 100;

/** CreateParticipantConnection with the ParticipantToken (used once, then forgotten), as a real widget does. */
export async function connectParticipant(endpoint: string, participantToken: string, signal?: AbortSignal): Promise<ParticipantChat> {
  const base = endpoint.replace(/\/+$/, '');
  const reply = await call(base, participantToken, 'CreateParticipantConnection', '/participant/connection', { Type: ['CONNECTION_CREDENTIALS'], ConnectParticipant: true }, signal);
  const connectionToken = record(record(reply)['ConnectionCredentials'])['ConnectionToken'];
  if (typeof connectionToken !== 'string' || connectionToken === '') {
    throw new ChatApiError('CreateParticipantConnection', 'CreateParticipantConnection returned no ConnectionToken.');
  }
  const attachments = createParticipantClient({ connectionToken, endpoint: base });

  return {
    attachments,
    async sendMessage(content, messageSignal) {
      await call(base, connectionToken, 'SendMessage', '/participant/message', { ContentType: 'text/plain', Content: content, ClientToken: crypto.randomUUID() }, messageSignal);
    },
    async getTranscript(transcriptSignal) {
      const body = record(
        await call(base, connectionToken, 'GetTranscript', '/participant/transcript', { MaxResults: TRANSCRIPT_PAGE, ScanDirection: 'BACKWARD', SortOrder: 'ASCENDING' }, transcriptSignal),
      );
      const items = Array.isArray(body['Transcript']) ? body['Transcript'] : [];
      return items.map(transcriptItem).filter((item): item is TranscriptItem => item !== undefined);
    },
    async disconnect() {
      await call(base, connectionToken, 'DisconnectParticipant', '/participant/disconnect', { ClientToken: crypto.randomUUID() }, undefined);
    },
  };
}

async function call(base: string, bearer: string, operation: string, path: string, payload: object, signal: AbortSignal | undefined): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Amz-Bearer': bearer },
      body: JSON.stringify(payload),
      credentials: 'omit',
      cache: 'no-store',
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    // The fetch error is not kept: only what happened, in words.
    throw new ChatApiError(operation, `${operation}: the request did not reach the server or got no reply.`);
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? {} : (JSON.parse(text) as unknown);
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const errorType = response.headers.get('x-amzn-ErrorType')?.split(':')[0] || undefined;
    const serverMessage = record(body)['message'] ?? record(body)['Message'];
    // A server that echoes the request must not get the token into the message.
    const said = typeof serverMessage === 'string' ? `: ${serverMessage.split(bearer).join('[redacted]').slice(0, 300)}` : '';
    throw new ChatApiError(operation, `${operation} failed (${errorType ?? `HTTP ${response.status}`})${said}`, response.status, errorType);
  }
  if (body === undefined) throw new ChatApiError(operation, `${operation} returned a reply that is not JSON.`, response.status);
  return body;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

const STATUSES: ReadonlySet<string> = new Set<AttachmentStatus>(['APPROVED', 'REJECTED', 'IN_PROGRESS', 'PROCESSING', 'FAILED']);

function transcriptItem(raw: unknown): TranscriptItem | undefined {
  const item = record(raw);
  const id = text(item['Id']);
  const time = Date.parse(text(item['AbsoluteTime']) ?? '');
  if (id === undefined || Number.isNaN(time)) return undefined;
  const attachments = (Array.isArray(item['Attachments']) ? item['Attachments'] : []).flatMap((value): TranscriptAttachment[] => {
    const attachment = record(value);
    const attachmentId = text(attachment['AttachmentId']);
    if (attachmentId === undefined) return [];
    const status = text(attachment['Status']);
    return [
      {
        attachmentId,
        name: text(attachment['AttachmentName']) ?? attachmentId,
        contentType: text(attachment['ContentType']) ?? '',
        status: status !== undefined && STATUSES.has(status) ? (status as AttachmentStatus) : undefined,
      },
    ];
  });
  const content = text(item['Content']);
  const displayName = text(item['DisplayName']);
  const participantRole = text(item['ParticipantRole']);
  return {
    id,
    time,
    type: text(item['Type']) ?? 'MESSAGE',
    contentType: text(item['ContentType']) ?? '',
    ...(content !== undefined && { content }),
    ...(displayName !== undefined && { displayName }),
    ...(participantRole !== undefined && { participantRole }),
    attachments,
  };
}
