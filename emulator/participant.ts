import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, accessDenied, validationError } from './http';
import { contentDisposition, unsupportedTypeReason } from './attachments';
import { RawReply, type EmulatorContext } from './context';
import { throwCompleteFault, throwStartFault } from './call-faults';
import { MISMATCH, type Attachment, type Contact, type TokenKind, type TranscriptEntry } from './state';
import { RequestValidator } from './validation';

/** One Participant Service operation: the bearer header and the parsed JSON body in, the reply body out. */
export type ParticipantHandler = (
  ctx: EmulatorContext,
  bearer: string | undefined,
  body: Record<string, unknown>,
) => Promise<unknown>;

const CONNECTION_TYPES = ['WEBSOCKET', 'CONNECTION_CREDENTIALS'] as const;
const MESSAGE_CONTENT_TYPES = [
  'text/plain',
  'text/markdown',
  'application/json',
  'application/vnd.amazonaws.connect.message.interactive.response',
] as const;
/** SendMessage: Content is 1..16384 by the model, and tighter per content type (API reference). */
const MESSAGE_LIMITS: Readonly<Record<string, number>> = { 'text/plain': 1024, 'text/markdown': 1024 };
const DEFAULT_MESSAGE_LIMIT = 12_000;
const DEFAULT_TRANSCRIPT_PAGE = 10;
/** GetAttachment's default URL lifetime when the caller does not ask for one. */
const DEFAULT_DOWNLOAD_EXPIRY_SECONDS = 300;

/** The participant model's name for a 500 (Connect's own API says InternalServiceException). */
const INTERNAL_ERROR = 'InternalServerException';

const iso = (epochMs: number) => new Date(epochMs).toISOString();

/** The X-Amz-Bearer header is a required request member: 1..1000 characters. */
function checkBearer(v: RequestValidator, bearer: string | undefined): string {
  return v.string('X-Amz-Bearer', bearer, { required: true, min: 1, max: 1000 });
}

/** Resolves a token to its contact; every failure is the same AccessDeniedException wording AWS uses, minus the token. */
function authenticate(ctx: EmulatorContext, token: string, kind: TokenKind): Contact {
  const found = ctx.state.lookup(token, kind);
  if (found.ok) return found.contact;
  const why = {
    unknown: 'is not valid',
    expired: 'has expired',
    disconnected: 'belongs to a participant that has disconnected',
  }[found.reason];
  const name = kind === 'participant' ? 'ParticipantToken' : 'ConnectionToken';
  throw accessDenied(`You do not have sufficient access to perform this action: the ${name} ${why}.`);
}

export const createParticipantConnection: ParticipantHandler = async (ctx, bearer, body) => {
  const v = new RequestValidator();
  const token = checkBearer(v, bearer);
  const types = v.stringList('Type', body['Type'], { minItems: 1, oneOf: CONNECTION_TYPES });
  v.boolean('ConnectParticipant', body['ConnectParticipant']);
  v.done();
  const contact = authenticate(ctx, token, 'participant');
  // No websocket is served: a WEBSOCKET request gets no Websocket member rather than a URL that cannot work.
  if (!types?.includes('CONNECTION_CREDENTIALS')) return {};
  const { connectionToken, expiresAt } = ctx.state.issueConnectionToken(contact, ctx.config.connectionTokenTtlSeconds);
  return { ConnectionCredentials: { ConnectionToken: connectionToken, Expiry: iso(expiresAt) } };
};

export const startAttachmentUpload: ParticipantHandler = async (ctx, bearer, body) => {
  const v = new RequestValidator();
  const token = checkBearer(v, bearer);
  const name = v.string('AttachmentName', body['AttachmentName'], { required: true, min: 1, max: 256 });
  const size = v.integer('AttachmentSizeInBytes', body['AttachmentSizeInBytes'], { required: true, min: 1 });
  const clientToken = v.string('ClientToken', body['ClientToken'], { required: true, min: 1, max: 500 });
  const contentType = v.string('ContentType', body['ContentType'], { required: true, min: 1, max: 255 });
  v.done();
  const contact = authenticate(ctx, token, 'connection');
  contact.calls.startAttachmentUpload++;
  if (contact.faults.startLatencyMs) await sleep(contact.faults.startLatencyMs);
  throwStartFault(contact.faults, INTERNAL_ERROR);

  const fingerprint = JSON.stringify([name, size, contentType]);
  const stored = contact.storedReply('start', clientToken, fingerprint);
  if (stored === MISMATCH) throw validationError('This ClientToken was already used for a request with other parameters.');
  if (stored !== undefined) return malformed(contact, await (stored as Promise<StartReply>));
  // Stored while pending, so a retry that overlaps the first request still gets the same attachment.
  const pending = newUpload(ctx, contact, name, size, contentType);
  contact.storeReply('start', clientToken, fingerprint, pending);
  try {
    return malformed(contact, await pending);
  } catch (error) {
    contact.forgetReply('start', clientToken);
    throw error;
  }
};

interface StartReply {
  AttachmentId: string;
  UploadMetadata: { Url: string; UrlExpiry: string; HeadersToInclude: Record<string, string> };
}

async function newUpload(ctx: EmulatorContext, contact: Contact, name: string, size: number, contentType: string): Promise<StartReply> {
  const typeProblem = unsupportedTypeReason(name, contentType);
  if (typeProblem !== undefined) throw validationError(typeProblem);
  const maxSize = ctx.config.maxAttachmentSizeBytes;
  if (size > maxSize) {
    throw validationError(`The attachment is ${size} bytes; the maximum attachment size is ${maxSize} bytes.`);
  }
  const quota = contact.faults.attachmentQuota ?? ctx.config.attachmentQuota;
  if (contact.attachments.size >= quota) {
    throw new ApiError(402, 'ServiceQuotaExceededException', `The number of attachments per contact exceeds the quota (${quota}).`);
  }
  const attachmentId = randomUUID();
  const attachment: Attachment = {
    attachmentId,
    name,
    contentType,
    sizeInBytes: size,
    objectKey: `chat/${contact.contactId}/${attachmentId}`,
    createdAt: Date.now(),
    completing: false,
  };
  // Every one of these is signed by the presigner: a PUT that drops or changes one fails SignatureDoesNotMatch.
  const headers: Record<string, string> = {
    'x-amz-meta-contact_id': contact.contactId,
    'x-amz-meta-initial_contact_id': contact.contactId,
    'x-amz-meta-account_id': ctx.config.accountId,
    'x-amz-meta-organization_id': ctx.config.instanceId,
    'x-amz-acl': 'bucket-owner-full-control',
    'Content-Disposition': contentDisposition(name),
    'Content-Length': String(size),
    'Content-Type': contentType,
  };
  const expirySeconds = contact.faults.urlExpirySeconds ?? ctx.config.urlExpirySeconds;
  // Counted before the await so concurrent Starts cannot overshoot the quota.
  contact.attachments.set(attachmentId, attachment);
  let url: string;
  try {
    url = await ctx.s3.presignPut(attachment.objectKey, headers, expirySeconds);
  } catch (error) {
    contact.attachments.delete(attachmentId);
    throw error;
  }
  return {
    AttachmentId: attachmentId,
    UploadMetadata: { Url: url, UrlExpiry: iso(Date.now() + expirySeconds * 1000), HeadersToInclude: headers },
  };
}

/** Applies the malformed-reply fault to a successful reply; the attachment itself stays valid. */
function malformed(contact: Contact, reply: StartReply): unknown {
  const fault = contact.takeFault('malformedStart');
  if (fault === undefined) return reply;
  switch (fault.kind) {
    case 'not-json':
      return new RawReply('<html><body>502 Bad Gateway</body></html>');
    case 'missing-upload-metadata':
      return { AttachmentId: reply.AttachmentId };
    case 'bad-url-expiry':
      return { ...reply, UploadMetadata: { ...reply.UploadMetadata, UrlExpiry: 'soon-ish' } };
    case 'forbidden-headers': {
      const host = new URL(reply.UploadMetadata.Url).host;
      const HeadersToInclude = { ...reply.UploadMetadata.HeadersToInclude, Host: host, Connection: 'keep-alive' };
      return { ...reply, UploadMetadata: { ...reply.UploadMetadata, HeadersToInclude } };
    }
  }
}

export const completeAttachmentUpload: ParticipantHandler = async (ctx, bearer, body) => {
  const v = new RequestValidator();
  const token = checkBearer(v, bearer);
  const ids = v.stringList('AttachmentIds', body['AttachmentIds'], { required: true, minItems: 1, maxItems: 1, min: 1, max: 256 });
  const clientToken = v.string('ClientToken', body['ClientToken'], { required: true, min: 1, max: 500 });
  v.done();
  const attachmentId = ids[0] ?? '';
  const contact = authenticate(ctx, token, 'connection');
  contact.calls.completeAttachmentUpload++;
  throwCompleteFault(contact.faults, INTERNAL_ERROR);
  const stored = contact.storedReply('complete', clientToken, attachmentId);
  if (stored === MISMATCH) throw validationError('This ClientToken was already used for a request with other parameters.');
  if (stored !== undefined) return stored;

  const attachment = contact.attachments.get(attachmentId);
  if (attachment === undefined) throw validationError(`No attachment ${attachmentId} was started on this contact.`);
  // Completing twice is harmless: the second call reports success without a second transcript item.
  if (attachment.status !== undefined) return {};
  if (attachment.completing) {
    throw new ApiError(409, 'ConflictException', `Attachment ${attachmentId} is already being completed.`);
  }
  attachment.completing = true;
  try {
    await checkUploaded(ctx, attachment);
    // Inside the guard: the scan reads the object, and a concurrent Complete must not start a second one.
    attachment.status = await ctx.scanAttachment({
      contactId: contact.contactId,
      attachmentId,
      name: attachment.name,
      contentType: attachment.contentType,
      sizeInBytes: attachment.sizeInBytes,
    });
  } finally {
    attachment.completing = false;
  }
  contact.addTranscriptEntry({ type: 'ATTACHMENT', contentType: attachment.contentType, attachmentId });
  contact.storeReply('complete', clientToken, attachmentId, {});
  return {};
};

/** Refuses to complete unless S3 really holds the object with the declared size and type. */
async function checkUploaded(ctx: EmulatorContext, attachment: Attachment): Promise<void> {
  const head = await ctx.s3.headObject(attachment.objectKey);
  if (head === undefined) {
    throw validationError(`Attachment ${attachment.attachmentId} has not been uploaded: S3 has no object for it. Complete only after the PUT succeeded.`);
  }
  if (head.size !== attachment.sizeInBytes) {
    throw validationError(
      `Attachment ${attachment.attachmentId} was declared as ${attachment.sizeInBytes} bytes but S3 holds ${head.size} bytes.`,
    );
  }
  if (head.contentType?.toLowerCase() !== attachment.contentType.toLowerCase()) {
    throw validationError(
      `Attachment ${attachment.attachmentId} was declared as ${attachment.contentType} but was uploaded as ${head.contentType ?? 'no content type'}.`,
    );
  }
}

export const getAttachment: ParticipantHandler = async (ctx, bearer, body) => {
  const v = new RequestValidator();
  const token = checkBearer(v, bearer);
  const attachmentId = v.string('AttachmentId', body['AttachmentId'], { required: true, min: 1, max: 256 });
  const expiresIn = v.integer('UrlExpiryInSeconds', body['UrlExpiryInSeconds'], { min: 5, max: 300 });
  v.done();
  const contact = authenticate(ctx, token, 'connection');
  contact.calls.getAttachment++;
  const attachment = contact.attachments.get(attachmentId);
  if (attachment === undefined) throw validationError(`No attachment ${attachmentId} exists on this contact.`);
  if (attachment.status === undefined) {
    throw validationError(`Attachment ${attachmentId} has not been completed (CompleteAttachmentUpload) yet.`);
  }
  if (attachment.status !== 'APPROVED') {
    throw validationError(`Attachment ${attachmentId} is not available for download (status ${attachment.status}).`);
  }
  const seconds = expiresIn ?? contact.faults.urlExpirySeconds ?? DEFAULT_DOWNLOAD_EXPIRY_SECONDS;
  const url = await ctx.s3.presignGet(attachment.objectKey, seconds, {
    responseContentDisposition: contentDisposition(attachment.name),
  });
  return { Url: url, UrlExpiry: iso(Date.now() + seconds * 1000), AttachmentSizeInBytes: attachment.sizeInBytes };
};

export const sendMessage: ParticipantHandler = async (ctx, bearer, body) => {
  const v = new RequestValidator();
  const token = checkBearer(v, bearer);
  const contentType = v.string('ContentType', body['ContentType'], { required: true, min: 1, max: 100, oneOf: MESSAGE_CONTENT_TYPES });
  const limit = MESSAGE_LIMITS[contentType] ?? DEFAULT_MESSAGE_LIMIT;
  const content = v.string('Content', body['Content'], { required: true, min: 1, max: limit });
  const clientToken = v.string('ClientToken', body['ClientToken'], { max: 500 });
  v.done();
  const contact = authenticate(ctx, token, 'connection');
  const fingerprint = JSON.stringify([contentType, content]);
  if (clientToken !== undefined) {
    const stored = contact.storedReply('message', clientToken, fingerprint);
    if (stored === MISMATCH) throw validationError('This ClientToken was already used for a request with other parameters.');
    if (stored !== undefined) return stored;
  }
  const entry = contact.addTranscriptEntry({ type: 'MESSAGE', contentType, content });
  const reply = { Id: entry.id, AbsoluteTime: iso(entry.absoluteTime) };
  if (clientToken !== undefined) contact.storeReply('message', clientToken, fingerprint, reply);
  return reply;
};

export const getTranscript: ParticipantHandler = async (ctx, bearer, body) => {
  const v = new RequestValidator();
  const token = checkBearer(v, bearer);
  const contactId = v.string('ContactId', body['ContactId'], { min: 1, max: 256 });
  const maxResults = v.integer('MaxResults', body['MaxResults'], { min: 0, max: 100 });
  const nextToken = v.string('NextToken', body['NextToken'], { min: 1, max: 1000 });
  const scanDirection = v.string('ScanDirection', body['ScanDirection'], { oneOf: ['FORWARD', 'BACKWARD'] });
  const sortOrder = v.string('SortOrder', body['SortOrder'], { oneOf: ['DESCENDING', 'ASCENDING'] });
  const start = v.object('StartPosition', body['StartPosition']);
  const startId = v.string('StartPosition.Id', start?.['Id'], { min: 1, max: 256 });
  const startTime = v.string('StartPosition.AbsoluteTime', start?.['AbsoluteTime'], { min: 1, max: 100 });
  const mostRecent = v.integer('StartPosition.MostRecent', start?.['MostRecent'], { min: 0, max: 100 });
  v.done();
  const contact = authenticate(ctx, token, 'connection');
  if (contactId !== undefined && contactId !== contact.contactId) {
    throw accessDenied('You do not have sufficient access to perform this action: the ConnectionToken is for another contact.');
  }

  const items = contact.transcript;
  let anchor: number | undefined;
  if (startId !== undefined) {
    anchor = items.findIndex((item) => item.id === startId);
    if (anchor === -1) throw validationError('StartPosition.Id does not name an item of this transcript.');
  } else if (startTime !== undefined) {
    const time = Date.parse(startTime);
    if (Number.isNaN(time)) throw validationError('StartPosition.AbsoluteTime is not an ISO 8601 time.');
    const index = items.findIndex((item) => item.absoluteTime >= time);
    anchor = index === -1 ? items.length : index;
  } else if (mostRecent !== undefined) {
    anchor = Math.max(0, items.length - 1 - mostRecent);
  }
  // Defaults from the API reference: BACKWARD without a StartPosition, FORWARD with one; newest first.
  const direction = scanDirection ?? (anchor === undefined ? 'BACKWARD' : 'FORWARD');
  const window =
    direction === 'FORWARD' ? items.slice(anchor ?? 0) : items.slice(0, (anchor ?? items.length - 1) + 1).reverse();
  const offset = nextToken === undefined ? 0 : decodeNextToken(nextToken);
  const pageSize = maxResults === undefined || maxResults === 0 ? DEFAULT_TRANSCRIPT_PAGE : maxResults;
  const page = window.slice(offset, offset + pageSize).sort((a, b) => a.absoluteTime - b.absoluteTime);
  if ((sortOrder ?? 'DESCENDING') === 'DESCENDING') page.reverse();
  const reply: Record<string, unknown> = {
    InitialContactId: contact.contactId,
    Transcript: page.map((item) => transcriptItem(contact, item)),
  };
  if (offset + pageSize < window.length) reply['NextToken'] = Buffer.from(`offset:${offset + pageSize}`).toString('base64url');
  return reply;
};

function decodeNextToken(token: string): number {
  const match = /^offset:(\d{1,9})$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (match === null) throw validationError('NextToken is not valid.');
  return Number(match[1]);
}

function transcriptItem(contact: Contact, item: TranscriptEntry): Record<string, unknown> {
  const base: Record<string, unknown> = {
    Id: item.id,
    AbsoluteTime: iso(item.absoluteTime),
    Type: item.type,
    ContentType: item.contentType,
    ParticipantId: contact.participantId,
    DisplayName: contact.displayName,
    ParticipantRole: 'CUSTOMER',
    ContactId: contact.contactId,
  };
  if (item.content !== undefined) base['Content'] = item.content;
  const attachment = item.attachmentId === undefined ? undefined : contact.attachments.get(item.attachmentId);
  if (attachment !== undefined) {
    base['Attachments'] = [
      {
        ContentType: attachment.contentType,
        AttachmentId: attachment.attachmentId,
        AttachmentName: attachment.name,
        Status: attachment.status,
      },
    ];
  }
  return base;
}

export const disconnectParticipant: ParticipantHandler = async (ctx, bearer, body) => {
  const v = new RequestValidator();
  const token = checkBearer(v, bearer);
  v.string('ClientToken', body['ClientToken'], { max: 500 });
  v.done();
  const contact = authenticate(ctx, token, 'connection');
  contact.addTranscriptEntry({ type: 'EVENT', contentType: 'application/vnd.amazonaws.connect.event.participant.left' });
  contact.addTranscriptEntry({ type: 'EVENT', contentType: 'application/vnd.amazonaws.connect.event.chat.ended' });
  contact.disconnected = true;
  return {};
};

/** Path → handler for every Participant Service operation the emulator serves (all `POST`). */
export const PARTICIPANT_ROUTES: Readonly<Record<string, ParticipantHandler>> = {
  '/participant/connection': createParticipantConnection,
  '/participant/start-attachment-upload': startAttachmentUpload,
  '/participant/complete-attachment-upload': completeAttachmentUpload,
  '/participant/attachment': getAttachment,
  '/participant/message': sendMessage,
  '/participant/transcript': getTranscript,
  '/participant/disconnect': disconnectParticipant,
};
