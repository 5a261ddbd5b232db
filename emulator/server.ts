import { mkdtemp, rm } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AttachedFiles,
  ConnectReasonError,
  DEFAULT_ATTACHED_FILE_LIMITS,
  MalwareScanner,
  chatAttachmentScanner,
  isAttachedFilePath,
  type AttachedFileFaultsUpdate,
  type AttachedFileLimits,
  type AttachedFileResourceSnapshot,
  type AttachedFileSnapshot,
  type AttachedFileStatus,
} from './attached-files';
import { openChat, startChatContact, type ChatSession, type OpenChatOptions } from './connect';
import { CONNECT_DEFAULT_MAX_ATTACHMENT_SIZE_BYTES } from './connect-limits';
import { RawReply, type AttachmentScanner, type EmulatorConfig, type EmulatorContext } from './context';
import { applyFaults, clearFaults, findContact, handleControl, snapshot, type ContactSnapshot } from './control';
import {
  ApiError,
  BodyTooLargeError,
  DEFAULT_CORS_ORIGINS,
  applyCors,
  parseJsonObject,
  readBody,
  sendError,
  sendJson,
  sendRaw,
} from './http';
import { PARTICIPANT_ROUTES } from './participant';
import { startLocalS3, type LocalS3 } from './s3';
import { verifySigV4, type DevCredentials } from './sigv4';
import { EmulatorState, type ChatAttachmentStatus, type FaultsUpdate } from './state';

/** The emulator's documented dev credentials for SigV4-signed Connect calls. Not secret, not AWS's. */
export const DEV_CREDENTIALS: DevCredentials = {
  accessKeyId: 'CONNECT_EMULATOR_DEV',
  secretAccessKey: 'connect-emulator-dev-secret',
};
export const EMULATOR_REGION = 'us-east-1';
export const EMULATOR_INSTANCE_ID = '00000000-0000-4000-a000-00000000c0de';
export const EMULATOR_CONTACT_FLOW_ID = '00000000-0000-4000-a000-00000000f10a';
/** AWS's documentation example account, placed in `x-amz-meta-account_id`. */
export const EMULATOR_ACCOUNT_ID = '123456789012';
/** Attachments one contact may start (each new AttachmentId counts, idempotent repeats do not). */
export const DEFAULT_ATTACHMENT_QUOTA = 50;
export const DEFAULT_URL_EXPIRY_SECONDS = 300;
/** Real ConnectionTokens last about a day. */
export const DEFAULT_CONNECTION_TOKEN_TTL_SECONDS = 24 * 3600;

export interface EmulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Participant + Connect + control origin; 0 (default) picks a free port. */
  port?: number;
  /** Local S3 port; 0 (default) picks a free port. */
  s3Port?: number;
  /** Where S3 objects are stored. Default: a fresh temp directory, removed on close. */
  dataDir?: string;
  /** Default 20 MiB, Connect's default limit. */
  maxAttachmentSizeBytes?: number;
  /** Attachments per contact; default 50. */
  attachmentQuota?: number;
  /** Lifetime of presigned PUT URLs; default 300 s. */
  urlExpirySeconds?: number;
  /** Default 24 h. */
  connectionTokenTtlSeconds?: number;
  /** Page origins allowed by CORS on the API and the bucket; one `*` each. Default: loopback, any port. */
  corsOrigins?: readonly string[];
  /**
   * Status a completed chat attachment gets, replacing the simulated malware scan (which rejects objects holding
   * the EICAR test string and approves the rest).
   */
  scanAttachment?: AttachmentScanner;
  /**
   * How long the simulated scan takes: a completed chat attachment is IN_PROGRESS and an attached file PROCESSING
   * for this long before the verdict. Default 0: the verdict is there when Complete returns.
   */
  scanDelayMs?: number;
  /** The same for attached files alone (e.g. a visible scan on a case while chat verdicts stay instant). Default: scanDelayMs. */
  attachedFileScanDelayMs?: number;
  /** Attached-file limits per associated resource; defaults 50 files and 200 MiB in all. */
  attachedFileLimits?: Partial<AttachedFileLimits>;
  /** Receives one line per request (method, path, status, error type) and internal errors. Never a token. */
  log?: (line: string) => void;
}

export interface Emulator {
  readonly participantEndpoint: string;
  /** Same origin as `participantEndpoint`. */
  readonly connectEndpoint: string;
  readonly s3Endpoint: string;
  readonly region: string;
  readonly instanceId: string;
  readonly contactFlowId: string;
  readonly credentials: DevCredentials;
  readonly s3: LocalS3;
  /** StartChatContact + CreateParticipantConnection in one step. */
  startChat(options?: OpenChatOptions): Promise<ChatSession>;
  /** Programmatic `POST /_emulator/contacts/{contactId}/faults`. */
  setFaults(contactId: string, faults: FaultsUpdate): void;
  /** Removes every API and PUT fault of the contact. */
  clearFaults(contactId: string): void;
  contactState(contactId: string): ContactSnapshot;
  /** Changes a completed attachment's status, as a finished malware scan would. */
  setAttachmentStatus(contactId: string, attachmentId: string, status: ChatAttachmentStatus): void;
  /** A fresh case ARN of the emulator's Cases domain, to use as `AssociatedResourceArn`. */
  newCaseArn(): string;
  attachedFileState(fileId: string): AttachedFileSnapshot;
  /** Changes a completed attached file's status, as a finished (or failed) scan would. */
  setAttachedFileStatus(fileId: string, status: AttachedFileStatus): void;
  /** Overrides the limits of one associated resource (`null` restores the default); returns the effective ones. */
  setAttachedFileLimits(associatedResourceArn: string, limits: { [K in keyof AttachedFileLimits]?: number | null }): AttachedFileLimits;
  /**
   * Programmatic `POST /_emulator/attached-files/faults`: `throttleStart`, `failStart`, `failComplete` and `put`
   * of one associated resource, as in `setFaults` (`null` removes one). Returns the resource's state.
   */
  setAttachedFileFaults(associatedResourceArn: string, faults: AttachedFileFaultsUpdate): AttachedFileResourceSnapshot;
  /** Removes every fault (PUT faults included) of the associated resource. */
  clearAttachedFileFaults(associatedResourceArn: string): void;
  /** The associated resource's faults still to fire, its calls (injected failures included) and PUT statistics. */
  attachedFileResourceState(associatedResourceArn: string): AttachedFileResourceSnapshot;
  close(): Promise<void>;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? '127.0.0.1';
  const corsOrigins = options.corsOrigins ?? DEFAULT_CORS_ORIGINS;
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'connect-emulator-')));
  const s3 = await startLocalS3({ directory: dataDir, host, port: options.s3Port ?? 0, corsOrigins, region: EMULATOR_REGION });
  const config: EmulatorConfig = {
    region: EMULATOR_REGION,
    instanceId: EMULATOR_INSTANCE_ID,
    contactFlowId: EMULATOR_CONTACT_FLOW_ID,
    accountId: EMULATOR_ACCOUNT_ID,
    credentials: DEV_CREDENTIALS,
    maxAttachmentSizeBytes: options.maxAttachmentSizeBytes ?? CONNECT_DEFAULT_MAX_ATTACHMENT_SIZE_BYTES,
    attachmentQuota: options.attachmentQuota ?? DEFAULT_ATTACHMENT_QUOTA,
    urlExpirySeconds: options.urlExpirySeconds ?? DEFAULT_URL_EXPIRY_SECONDS,
    connectionTokenTtlSeconds: options.connectionTokenTtlSeconds ?? DEFAULT_CONNECTION_TOKEN_TTL_SECONDS,
  };
  const state = new EmulatorState();
  const chatScanner = new MalwareScanner(s3, options.scanDelayMs ?? 0);
  const fileScanner = new MalwareScanner(s3, options.attachedFileScanDelayMs ?? options.scanDelayMs ?? 0);
  const ctx: EmulatorContext = {
    config,
    state,
    s3,
    scanAttachment: options.scanAttachment ?? chatAttachmentScanner(state, chatScanner),
  };
  const attachedFiles = new AttachedFiles(ctx, fileScanner, { ...DEFAULT_ATTACHED_FILE_LIMITS, ...options.attachedFileLimits });
  const log = options.log;

  const server = http.createServer((req, res) => {
    const started = Date.now();
    // A client that hangs up mid-reply must not take the process down.
    res.on('error', () => undefined);
    res.on('finish', () => {
      const errorType = res.getHeader('x-amzn-ErrorType');
      log?.(`${req.method ?? '?'} ${pathOf(req)} ${res.statusCode}${errorType ? ` ${String(errorType)}` : ''} ${Date.now() - started}ms`);
    });
    handleRequest(ctx, attachedFiles, req, res, corsOrigins).catch((error: unknown) => {
      log?.(`internal error: ${error instanceof Error ? error.message : String(error)}`);
      sendError(res, new ApiError(500, 'InternalServerException', 'The emulator failed to handle this request.'));
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    attachedFiles.close();
    chatScanner.close();
    await s3.close();
    if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    participantEndpoint: origin,
    connectEndpoint: origin,
    s3Endpoint: s3.endpoint,
    region: config.region,
    instanceId: config.instanceId,
    contactFlowId: config.contactFlowId,
    // A copy: the AWS SDK writes bookkeeping fields into the credentials object it is given.
    credentials: { ...config.credentials },
    s3,
    startChat: async (chatOptions) => openChat(ctx, chatOptions),
    setFaults: (contactId, faults) => applyFaults(ctx, findContact(ctx, contactId), faults),
    clearFaults: (contactId) => clearFaults(ctx, findContact(ctx, contactId)),
    contactState: (contactId) => snapshot(ctx, findContact(ctx, contactId)),
    setAttachmentStatus: (contactId, attachmentId, status) => {
      const attachment = findContact(ctx, contactId).attachments.get(attachmentId);
      if (attachment?.status === undefined) throw new Error(`Attachment ${attachmentId} is not a completed attachment of ${contactId}.`);
      attachment.status = status;
    },
    newCaseArn: () => attachedFiles.newCaseArn(),
    attachedFileState: (fileId) => attachedFiles.snapshot(fileId),
    setAttachedFileStatus: (fileId, status) => {
      attachedFiles.setStatus(fileId, status);
    },
    setAttachedFileLimits: (associatedResourceArn, limits) => attachedFiles.setLimits(associatedResourceArn, limits),
    setAttachedFileFaults: (associatedResourceArn, faults) => attachedFiles.setFaults(associatedResourceArn, faults),
    clearAttachedFileFaults: (associatedResourceArn) => {
      attachedFiles.clearFaults(associatedResourceArn);
    },
    attachedFileResourceState: (associatedResourceArn) => attachedFiles.resourceSnapshot(associatedResourceArn),
    close: async () => {
      attachedFiles.close();
      chatScanner.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await s3.close();
      if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

function pathOf(req: IncomingMessage): string {
  return (req.url ?? '/').split('?')[0] ?? '/';
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

async function handleRequest(
  ctx: EmulatorContext,
  attachedFiles: AttachedFiles,
  req: IncomingMessage,
  res: ServerResponse,
  corsOrigins: readonly string[],
): Promise<void> {
  applyCors(req, res, corsOrigins);
  const method = req.method ?? 'GET';
  if (method === 'OPTIONS') {
    res.writeHead(204, { 'Content-Length': '0' });
    res.end();
    return;
  }
  const path = pathOf(req);
  const isConnect = path === '/contact/chat' || isAttachedFilePath(path);
  try {
    const participant = PARTICIPANT_ROUTES[path];
    if (participant !== undefined) {
      requireMethod(method, 'POST');
      const body = parseJsonObject(await readBody(req));
      const reply = await participant(ctx, headerText(req.headers['x-amz-bearer']), body);
      if (reply instanceof RawReply) sendRaw(res, 200, reply.text, { 'Content-Type': 'text/html' });
      else sendJson(res, 200, reply);
    } else if (isConnect) {
      const isChat = path === '/contact/chat';
      if (isChat) requireMethod(method, 'PUT');
      const raw = await readBody(req);
      await verifySigV4(
        { method, host: req.headers.host ?? '', url: req.url ?? '/', headers: req.headers, body: raw },
        { credentials: ctx.config.credentials, region: ctx.config.region, service: 'connect' },
      );
      sendJson(res, 200, isChat ? startChatContact(ctx, parseJsonObject(raw)) : await attachedFiles.handle(method, req.url ?? '/', raw));
    } else if (path.startsWith('/_emulator/attached-files/')) {
      const body = method === 'GET' ? {} : parseJsonObject(await readBody(req));
      sendJson(res, 200, attachedFiles.handleControl(method, path, body));
    } else if (path.startsWith('/_emulator/')) {
      const body = method === 'GET' || method === 'DELETE' ? {} : parseJsonObject(await readBody(req));
      sendJson(res, 200, handleControl(ctx, method, path, body));
    } else {
      throw new ApiError(404, 'UnknownOperationException', `No operation is served at ${method} ${path}.`);
    }
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      // Close the connection: a body past the drain limit was left unread.
      sendError(res, new ApiError(413, 'RequestEntityTooLargeException', 'The request body is too large.', { Connection: 'close' }));
    } else if (error instanceof ConnectReasonError) {
      sendJson(res, error.status, error.body(), { 'x-amzn-ErrorType': error.errorType, ...error.headers });
    } else if (error instanceof ApiError) {
      sendError(res, error, isConnect ? 'Message' : 'message');
    } else {
      throw error;
    }
  }
}

function requireMethod(method: string, allowed: string): void {
  if (method !== allowed) {
    throw new ApiError(405, 'UnknownOperationException', `This operation is called with ${allowed}, not ${method}.`, { Allow: allowed });
  }
}
