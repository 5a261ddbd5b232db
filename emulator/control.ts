import { ApiError, validationError } from './http';
import { openChat } from './connect';
import type { EmulatorContext } from './context';
import type { PutFaultRegistry, PutFaults, PutFaultStats } from './faults';
import { CALL_FAULT_KEYS, mergeUpdate, parseCallFaults, refuseUnknownKeys } from './call-faults';
import {
  CHAT_ATTACHMENT_STATUSES,
  MALFORMED_START_REPLY_KINDS,
  type ApiFaults,
  type CallCounts,
  type ChatAttachmentStatus,
  type Contact,
  type FaultsUpdate,
} from './state';
import { RequestValidator } from './validation';

/** Everything a test may want to assert about one contact. Holds no token. */
export interface ContactSnapshot {
  contactId: string;
  participantId: string;
  disconnected: boolean;
  /** Effective values (contact override or emulator default). */
  attachmentQuota: number;
  urlExpirySeconds: number;
  calls: CallCounts;
  attachments: Array<{
    attachmentId: string;
    name: string;
    contentType: string;
    sizeInBytes: number;
    /** PENDING until CompleteAttachmentUpload succeeded. */
    state: 'PENDING' | 'COMPLETED';
    status?: ChatAttachmentStatus;
  }>;
  faults: ApiFaults;
  putFaults: PutFaults;
  putStats: PutFaultStats;
}

export function findContact(ctx: EmulatorContext, contactId: string): Contact {
  const contact = ctx.state.contacts.get(contactId);
  if (contact === undefined) throw new ApiError(404, 'ResourceNotFoundException', `Contact ${contactId} does not exist.`);
  return contact;
}

export function snapshot(ctx: EmulatorContext, contact: Contact): ContactSnapshot {
  return {
    contactId: contact.contactId,
    participantId: contact.participantId,
    disconnected: contact.disconnected,
    attachmentQuota: contact.faults.attachmentQuota ?? ctx.config.attachmentQuota,
    urlExpirySeconds: contact.faults.urlExpirySeconds ?? ctx.config.urlExpirySeconds,
    calls: { ...contact.calls },
    attachments: [...contact.attachments.values()].map((a) => ({
      attachmentId: a.attachmentId,
      name: a.name,
      contentType: a.contentType,
      sizeInBytes: a.sizeInBytes,
      state: a.status === undefined ? 'PENDING' : 'COMPLETED',
      ...(a.status === undefined ? {} : { status: a.status }),
    })),
    faults: structuredClone(contact.faults),
    putFaults: ctx.s3.faults.get(contact.contactId),
    putStats: ctx.s3.faults.stats(contact.contactId),
  };
}

/** Applies a faults update to a contact (the API part here, the PUT part in the S3 layer's registry). */
export function applyFaults(ctx: EmulatorContext, contact: Contact, update: FaultsUpdate): void {
  const { put, expireConnectionTokens, ...api } = update;
  if (put !== undefined) updatePutFaults(ctx.s3.faults, contact.contactId, put);
  contact.faults = mergeUpdate(contact.faults, api);
  if (expireConnectionTokens === true) ctx.state.expireConnectionTokens(contact);
}

/**
 * Merges `put` into the PUT faults of an S3 scope (a contact id, or an attached-file resource's scope), turning the
 * registry's RangeError into a 400 so code and the control endpoint refuse the same faults the same way.
 */
export function updatePutFaults(registry: PutFaultRegistry, scope: string, put: Partial<PutFaults>): void {
  try {
    registry.update(scope, put);
  } catch (error) {
    throw validationError(`Invalid PUT faults: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export function clearFaults(ctx: EmulatorContext, contact: Contact): void {
  contact.faults = {};
  ctx.s3.faults.clear(contact.contactId);
}

/** Parses the JSON body of `POST /_emulator/contacts/{id}/faults`, refusing anything malformed with a 400. */
export function parseFaultsUpdate(body: Record<string, unknown>): FaultsUpdate {
  refuseUnknownKeys(body, [
    ...CALL_FAULT_KEYS,
    'malformedStart',
    'urlExpirySeconds',
    'attachmentQuota',
    'startLatencyMs',
    'put',
    'expireConnectionTokens',
  ]);
  const v = new RequestValidator();
  const update: FaultsUpdate = parseCallFaults(v, body);
  if (body['malformedStart'] === null) update.malformedStart = null;
  else {
    const value = v.object('malformedStart', body['malformedStart']);
    if (value !== undefined) {
      const kind = v.string('malformedStart.kind', value['kind'], { required: true, oneOf: MALFORMED_START_REPLY_KINDS });
      const count = v.integer('malformedStart.count', value['count'], { required: true, min: 0 });
      update.malformedStart = { count, kind: kind as (typeof MALFORMED_START_REPLY_KINDS)[number] };
    }
  }
  if (body['urlExpirySeconds'] === null) update.urlExpirySeconds = null;
  else {
    const value = v.integer('urlExpirySeconds', body['urlExpirySeconds'], { min: 1, max: 604_800 });
    if (value !== undefined) update.urlExpirySeconds = value;
  }
  if (body['attachmentQuota'] === null) update.attachmentQuota = null;
  else {
    const value = v.integer('attachmentQuota', body['attachmentQuota'], { min: 0 });
    if (value !== undefined) update.attachmentQuota = value;
  }
  if (body['startLatencyMs'] === null) update.startLatencyMs = null;
  else {
    const value = v.integer('startLatencyMs', body['startLatencyMs'], { min: 0, max: 60_000 });
    if (value !== undefined) update.startLatencyMs = value;
  }
  const put = v.object('put', body['put']);
  if (put !== undefined) update.put = parsePutFaults(v, put);
  const expire = v.boolean('expireConnectionTokens', body['expireConnectionTokens']);
  if (expire !== undefined) update.expireConnectionTokens = expire;
  v.done();
  return update;
}

/** The `put` member of a faults body; `null` clears one PUT fault (the registry takes an explicit `undefined` for that). */
export function parsePutFaults(v: RequestValidator, put: Record<string, unknown>): Partial<PutFaults> {
  const result: Partial<PutFaults> = {};
  const counted = (key: 'resetNext' | 'stallNext') => {
    if (put[key] === null) return undefined;
    const value = v.object(`put.${key}`, put[key], true);
    return {
      count: v.integer(`put.${key}.count`, value['count'], { required: true, min: 0 }),
      afterBytes: v.integer(`put.${key}.afterBytes`, value['afterBytes'], { required: true, min: 0 }),
    };
  };
  if ('failNext' in put) {
    if (put['failNext'] === null) result.failNext = undefined;
    else {
      const value = v.object('put.failNext', put['failNext'], true);
      const code = v.string('put.failNext.code', value['code'], { min: 1, max: 100 });
      result.failNext = {
        count: v.integer('put.failNext.count', value['count'], { required: true, min: 0 }),
        status: v.integer('put.failNext.status', value['status'], { required: true, min: 400, max: 599 }),
        ...(code === undefined ? {} : { code }),
      };
    }
  }
  if ('resetNext' in put) result.resetNext = counted('resetNext');
  if ('stallNext' in put) result.stallNext = counted('stallNext');
  if ('bandwidthBytesPerSecond' in put) {
    result.bandwidthBytesPerSecond = v.integer('put.bandwidthBytesPerSecond', put['bandwidthBytesPerSecond'], { min: 0 });
  }
  return result;
}

/** `/_emulator/...`: not an AWS API. Returns the reply body, or throws an ApiError. */
export function handleControl(ctx: EmulatorContext, method: string, path: string, body: Record<string, unknown>): unknown {
  if (path === '/_emulator/chats') {
    expectMethod(method, 'POST');
    const v = new RequestValidator();
    const displayName = v.string('displayName', body['displayName'], { min: 1, max: 256 });
    v.done();
    return openChat(ctx, displayName === undefined ? {} : { displayName });
  }
  const match = /^\/_emulator\/contacts\/([^/]+)(\/faults|\/attachments\/([^/]+)\/status)?$/.exec(path);
  if (match === null) throw new ApiError(404, 'UnknownOperationException', `No emulator control endpoint at ${path}.`);
  const contact = findContact(ctx, match[1] ?? '');
  if (match[2] === undefined) {
    expectMethod(method, 'GET');
    return snapshot(ctx, contact);
  }
  if (match[2] === '/faults') {
    if (method === 'DELETE') clearFaults(ctx, contact);
    else {
      expectMethod(method, 'POST', 'DELETE');
      applyFaults(ctx, contact, parseFaultsUpdate(body));
    }
    return snapshot(ctx, contact);
  }
  expectMethod(method, 'POST');
  const attachment = contact.attachments.get(match[3] ?? '');
  if (attachment === undefined) throw new ApiError(404, 'ResourceNotFoundException', 'No such attachment on this contact.');
  const v = new RequestValidator();
  const status = v.string('status', body['status'], { required: true, oneOf: CHAT_ATTACHMENT_STATUSES });
  v.done();
  if (attachment.status === undefined) throw validationError('The attachment has not been completed yet.');
  attachment.status = status as ChatAttachmentStatus;
  return snapshot(ctx, contact);
}

export function expectMethod(method: string, ...allowed: string[]): void {
  if (!allowed.includes(method)) {
    throw new ApiError(405, 'MethodNotAllowedException', `Use ${allowed.join(' or ')} here.`, { Allow: allowed.join(', ') });
  }
}
