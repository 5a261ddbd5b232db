import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { takeFault, type CallFaults, type Update } from './call-faults';
import type { PutFaults } from './faults';

export type { ApiFault, CallFaults } from './call-faults';

/** Attachment status as chat transcripts report it; a later malware-scan simulation sets the other two. */
export type ChatAttachmentStatus = 'APPROVED' | 'REJECTED' | 'IN_PROGRESS';
export const CHAT_ATTACHMENT_STATUSES: readonly ChatAttachmentStatus[] = ['APPROVED', 'REJECTED', 'IN_PROGRESS'];

export interface Attachment {
  readonly attachmentId: string;
  readonly name: string;
  readonly contentType: string;
  readonly sizeInBytes: number;
  /** `chat/<contactId>/<attachmentId>`: the S3 layer scopes PUT faults by the second segment. */
  readonly objectKey: string;
  readonly createdAt: number;
  /** Set once CompleteAttachmentUpload found the object in S3; undefined while the upload is pending. */
  status?: ChatAttachmentStatus;
  /** True while a Complete is checking S3, so a concurrent one is answered with ConflictException. */
  completing: boolean;
}

export type MalformedStartReplyKind = 'not-json' | 'missing-upload-metadata' | 'bad-url-expiry' | 'forbidden-headers';
export const MALFORMED_START_REPLY_KINDS: readonly MalformedStartReplyKind[] = [
  'not-json',
  'missing-upload-metadata',
  'bad-url-expiry',
  'forbidden-headers',
];

/** Faults and overrides of one contact; the API ones live here, the PUT ones in the S3 layer's registry. */
export interface ApiFaults extends CallFaults {
  /** Garble the next N successful StartAttachmentUpload replies (the attachment is still created). */
  malformedStart?: { count: number; kind: MalformedStartReplyKind };
  /** Lifetime of presigned URLs handed out for this contact, overriding the emulator's default. */
  urlExpirySeconds?: number;
  /** Attachments this contact may start, overriding the emulator's default. */
  attachmentQuota?: number;
  /** Every StartAttachmentUpload of this contact is answered this many ms late, as over a real round trip to AWS. */
  startLatencyMs?: number;
}

/**
 * What `setFaults` and `POST /_emulator/contacts/{id}/faults` take: each key given replaces that fault, `null`
 * removes it; `put` is merged into the S3 layer's PUT faults; `expireConnectionTokens` acts once, at once.
 */
export type FaultsUpdate = Update<ApiFaults> & {
  put?: Partial<PutFaults>;
  expireConnectionTokens?: boolean;
};

export interface TranscriptEntry {
  readonly id: string;
  readonly absoluteTime: number;
  readonly type: 'MESSAGE' | 'EVENT' | 'ATTACHMENT';
  readonly contentType: string;
  readonly content?: string;
  readonly attachmentId?: string;
}

export interface CallCounts {
  startAttachmentUpload: number;
  completeAttachmentUpload: number;
  getAttachment: number;
}

interface StoredReply {
  fingerprint: string;
  reply: unknown;
}

export class Contact {
  readonly contactId = randomUUID();
  readonly participantId = randomUUID();
  readonly displayName: string;
  disconnected = false;
  faults: ApiFaults = {};
  readonly attachments = new Map<string, Attachment>();
  readonly transcript: TranscriptEntry[] = [];
  readonly calls: CallCounts = { startAttachmentUpload: 0, completeAttachmentUpload: 0, getAttachment: 0 };
  /** Hashes of the ConnectionTokens handed out, so they can all be expired at once. */
  readonly connectionTokenHashes = new Set<string>();
  private readonly replies = new Map<string, StoredReply>();

  constructor(displayName: string) {
    this.displayName = displayName;
  }

  addTranscriptEntry(entry: Omit<TranscriptEntry, 'id' | 'absoluteTime'>): TranscriptEntry {
    // Strictly increasing times keep the transcript order stable when two entries land in one millisecond.
    const last = this.transcript.at(-1)?.absoluteTime ?? 0;
    const stored = { ...entry, id: randomUUID(), absoluteTime: Math.max(Date.now(), last + 1) };
    this.transcript.push(stored);
    return stored;
  }

  /**
   * The first successful reply to (`operation`, `clientToken`), if any. A repeat with other parameters is
   * reported as `'mismatch'` so the caller can refuse it instead of handing out the wrong reply.
   */
  storedReply(operation: string, clientToken: string, fingerprint: string): unknown {
    const stored = this.replies.get(`${operation}\n${clientToken}`);
    if (stored === undefined) return undefined;
    return stored.fingerprint === fingerprint ? stored.reply : MISMATCH;
  }

  storeReply(operation: string, clientToken: string, fingerprint: string, reply: unknown): void {
    this.replies.set(`${operation}\n${clientToken}`, { fingerprint, reply });
  }

  forgetReply(operation: string, clientToken: string): void {
    this.replies.delete(`${operation}\n${clientToken}`);
  }

  /** Consumes one occurrence of a counted fault; returns it when it fired. */
  takeFault<K extends 'throttleStart' | 'failStart' | 'failComplete' | 'malformedStart'>(key: K): ApiFaults[K] {
    return takeFault(this.faults, key);
  }
}

export const MISMATCH = Symbol('client-token-mismatch');

export type TokenKind = 'participant' | 'connection';

interface TokenRecord {
  contactId: string;
  kind: TokenKind;
  expiresAt: number;
}

export type TokenLookup =
  | { ok: true; contact: Contact }
  | { ok: false; reason: 'unknown' | 'expired' | 'disconnected' };

/**
 * Contacts and the tokens that open them. Tokens are kept only as SHA-256 hashes, so nothing the emulator holds
 * or dumps (state snapshots, errors) can leak one.
 */
export class EmulatorState {
  readonly contacts = new Map<string, Contact>();
  /** StartChatContact replies per ClientToken, so a retried call returns the same contact. */
  readonly startChatReplies = new Map<string, { fingerprint: string; reply: unknown }>();
  private readonly tokens = new Map<string, TokenRecord>();

  createContact(displayName: string): { contact: Contact; participantToken: string } {
    const contact = new Contact(displayName);
    this.contacts.set(contact.contactId, contact);
    contact.addTranscriptEntry({ type: 'EVENT', contentType: 'application/vnd.amazonaws.connect.event.participant.joined' });
    // A ParticipantToken lives as long as the chat (Connect's longest chat duration is 7 days).
    const participantToken = this.issueToken(contact, 'participant', 7 * 24 * 3600);
    return { contact, participantToken };
  }

  issueConnectionToken(contact: Contact, ttlSeconds: number): { connectionToken: string; expiresAt: number } {
    const connectionToken = this.issueToken(contact, 'connection', ttlSeconds);
    const expiresAt = this.tokens.get(hashToken(connectionToken))?.expiresAt ?? 0;
    return { connectionToken, expiresAt };
  }

  lookup(token: string, kind: TokenKind): TokenLookup {
    const record = this.tokens.get(hashToken(token));
    const contact = record === undefined ? undefined : this.contacts.get(record.contactId);
    if (record === undefined || record.kind !== kind || contact === undefined) return { ok: false, reason: 'unknown' };
    if (contact.disconnected) return { ok: false, reason: 'disconnected' };
    if (record.expiresAt <= Date.now()) return { ok: false, reason: 'expired' };
    return { ok: true, contact };
  }

  /** Makes every ConnectionToken of the contact expired now; the ParticipantToken still gets a fresh one. */
  expireConnectionTokens(contact: Contact): void {
    const now = Date.now();
    for (const hash of contact.connectionTokenHashes) {
      const record = this.tokens.get(hash);
      if (record !== undefined) record.expiresAt = Math.min(record.expiresAt, now);
    }
  }

  private issueToken(contact: Contact, kind: TokenKind, ttlSeconds: number): string {
    // Opaque and long like the real ones (which are 400+ characters), well under the 1000-character limit.
    const token = `${kind === 'participant' ? 'EMU-P' : 'EMU-C'}.${randomBytes(96).toString('base64url')}`;
    const hash = hashToken(token);
    this.tokens.set(hash, { contactId: contact.contactId, kind, expiresAt: Date.now() + ttlSeconds * 1000 });
    if (kind === 'connection') contact.connectionTokenHashes.add(hash);
    return token;
  }
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
