/**
 * Connect's agent-side attached files (Cases and Email): StartAttachedFileUpload, CompleteAttachedFileUpload,
 * GetAttachedFile and DeleteAttachedFile on their real paths (`/attached-files/{InstanceId}[/{FileId}]`), after the
 * server verified the SigV4 signature. Also the simulated malware scan that both these files and chat attachments
 * go through: a moment of PROCESSING / IN_PROGRESS, then APPROVED, or REJECTED for an object holding the EICAR
 * antivirus test string.
 */
import { createHash, randomUUID } from 'node:crypto';
import { contentDisposition, extensionOf } from './attachments';
import { CONNECT_ATTACHMENT_TYPES } from './connect-limits';
import type { AttachmentScanner, EmulatorContext } from './context';
import {
  CALL_FAULT_KEYS,
  mergeUpdate,
  parseCallFaults,
  refuseUnknownKeys,
  throwCompleteFault,
  throwStartFault,
  type CallFaults,
  type Update,
} from './call-faults';
import { expectMethod, parsePutFaults, updatePutFaults } from './control';
import type { PutFaults, PutFaultStats } from './faults';
import { ApiError, parseJsonObject } from './http';
import type { LocalS3 } from './s3';
import type { EmulatorState } from './state';
import { RequestValidator } from './validation';

export type AttachedFileStatus = 'APPROVED' | 'REJECTED' | 'PROCESSING' | 'FAILED';
export const ATTACHED_FILE_STATUSES: readonly AttachedFileStatus[] = ['APPROVED', 'REJECTED', 'PROCESSING', 'FAILED'];
const USE_CASE_TYPES = ['ATTACHMENT', 'EMAIL_MESSAGE'] as const;
type UseCaseType = (typeof USE_CASE_TYPES)[number];

export type QuotaReason = 'TOTAL_FILE_COUNT_EXCEEDED' | 'TOTAL_FILE_SIZE_EXCEEDED';
type InvalidFileReason = 'INVALID_FILE_NAME' | 'INVALID_FILE_SIZE' | 'INVALID_FILE_TYPE';

/** Per associated resource (a case, an email contact): how many files, and how many bytes in all. */
export interface AttachedFileLimits {
  fileCountQuota: number;
  totalFileSizeBytes: number;
}

/** The emulator's own defaults (not published Connect figures): room for ordinary use, easy to lower in tests. */
export const DEFAULT_ATTACHED_FILE_LIMITS: AttachedFileLimits = { fileCountQuota: 50, totalFileSizeBytes: 200 * 1024 * 1024 };

/** The Cases domain every case ARN of the emulator lives in. */
export const EMULATOR_CASES_DOMAIN_ID = '00000000-0000-4000-a000-0000000ca5e5';

/**
 * The S3 scope (second key segment, see `faults.ts`) of one associated resource's objects, so PUT faults can break
 * one case's uploads alone. A hash, because ARNs hold `/` and `:` and their last segment is unique only within
 * one domain or instance; `res-` (never the start of a UUID, as chat contact ids are) keeps it apart from them.
 */
export function attachedFileScope(associatedResourceArn: string): string {
  return `res-${createHash('sha256').update(associatedResourceArn).digest('hex').slice(0, 32)}`;
}

/** Where an attached file's bytes are stored: `attached-files/<scope>/<fileId>`. */
export function attachedFileObjectKey(associatedResourceArn: string, fileId: string): string {
  return `attached-files/${attachedFileScope(associatedResourceArn)}/${fileId}`;
}

// ---------------------------------------------------------------------------------------------------------------
// The simulated malware scan

// Built from two halves so that this source file is not itself flagged by an antivirus.
const EICAR = Buffer.from(`X5O!P%@AP[4\\PZX54(P^)7CC)7}$${'EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'}`, 'latin1');

export type ScanVerdict = 'APPROVED' | 'REJECTED';

/** Reads a stored object for the EICAR string, and applies verdicts after the configured delay. */
export class MalwareScanner {
  readonly delayMs: number;
  private readonly s3: LocalS3;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(s3: LocalS3, delayMs: number) {
    this.s3 = s3;
    this.delayMs = delayMs;
  }

  async verdict(objectKey: string): Promise<ScanVerdict> {
    const body = await this.s3.readObject(objectKey);
    return body !== undefined && body.includes(EICAR) ? 'REJECTED' : 'APPROVED';
  }

  /** Runs `apply` once the scan has "taken" its time; never keeps the process alive. */
  later(apply: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      apply();
    }, this.delayMs);
    timer.unref();
    this.timers.add(timer);
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

/**
 * The default status hook of chat attachments: the verdict at once when there is no delay, else IN_PROGRESS and the
 * verdict later (unless the status was set by hand meanwhile).
 */
export function chatAttachmentScanner(state: EmulatorState, scanner: MalwareScanner): AttachmentScanner {
  return async ({ contactId, attachmentId }) => {
    const attachment = state.contacts.get(contactId)?.attachments.get(attachmentId);
    if (attachment === undefined) throw new Error(`No attachment ${attachmentId} on contact ${contactId} to scan.`);
    const verdict = await scanner.verdict(attachment.objectKey);
    if (scanner.delayMs <= 0) return verdict;
    scanner.later(() => {
      if (attachment.status === 'IN_PROGRESS') attachment.status = verdict;
    });
    return 'IN_PROGRESS';
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Errors: Connect's restJson1 shape, `{"Message", "Reason"?}`, with the names these operations model.

/** An ApiError whose body also carries Connect's `Reason` union (e.g. `{AttachedFileServiceQuotaExceededExceptionReason}`). */
export class ConnectReasonError extends ApiError {
  readonly reason: Readonly<Record<string, string>>;

  constructor(status: number, errorType: string, message: string, reason: Record<string, string>) {
    super(status, errorType, message);
    this.reason = reason;
  }

  body(): Record<string, unknown> {
    return { Message: this.message, Reason: this.reason };
  }
}

const invalidRequest = (message: string) => new ApiError(400, 'InvalidRequestException', message);
const invalidFile = (reason: InvalidFileReason, message: string) =>
  new ConnectReasonError(400, 'InvalidRequestException', message, { AttachedFileInvalidRequestExceptionReason: reason });
const notFound = (message: string) => new ApiError(404, 'ResourceNotFoundException', message);
/** Connect's model names a 500 InternalServiceException (the participant model: InternalServerException). */
const INTERNAL_ERROR = 'InternalServiceException';

// ---------------------------------------------------------------------------------------------------------------
// The operations

interface AttachedFile {
  readonly fileId: string;
  readonly fileArn: string;
  readonly associatedResourceArn: string;
  readonly fileName: string;
  readonly sizeInBytes: number;
  /** Decided from the extension (the request has no content type); the PUT must send it. */
  readonly contentType: string;
  readonly useCaseType: UseCaseType;
  readonly createdBy: Readonly<Record<string, string>>;
  readonly tags: Readonly<Record<string, string>> | undefined;
  readonly creationTime: string;
  readonly objectKey: string;
  /** PROCESSING until the scan gave its verdict (and before Complete). */
  status: AttachedFileStatus;
  /** Set once CompleteAttachedFileUpload found the object; a concurrent Complete waits on the same check. */
  completed?: Promise<void>;
  done: boolean;
}

/** What tests and the control endpoint see of one file. No URL. */
export interface AttachedFileSnapshot {
  fileId: string;
  fileArn: string;
  associatedResourceArn: string;
  fileName: string;
  sizeInBytes: number;
  contentType: string;
  fileUseCaseType: UseCaseType;
  /** PENDING until CompleteAttachedFileUpload succeeded. */
  state: 'PENDING' | 'COMPLETED';
  status: AttachedFileStatus;
}

/** Calls per associated resource, injected failures included; calls refused before the resource is known are not. */
export interface AttachedFileCalls {
  startAttachedFileUpload: number;
  completeAttachedFileUpload: number;
  getAttachedFile: number;
}

const NO_CALLS: Readonly<AttachedFileCalls> = { startAttachedFileUpload: 0, completeAttachedFileUpload: 0, getAttachedFile: 0 };

/** What the faults control routes answer: one associated resource's faults still to fire, and its calls. */
export interface AttachedFileResourceSnapshot {
  associatedResourceArn: string;
  faults: CallFaults;
  calls: AttachedFileCalls;
  /** The PUT faults still to fire on the resource's uploads, and what its PUTs met (as a contact's). */
  putFaults: PutFaults;
  putStats: PutFaultStats;
}

/** What `setAttachedFileFaults` takes: call faults as for a contact (`null` removes one); `put` is merged into the PUT faults. */
export type AttachedFileFaultsUpdate = Update<CallFaults> & { put?: Partial<PutFaults> };

interface StartReply {
  FileArn: string;
  FileId: string;
  CreationTime: string;
  FileStatus: AttachedFileStatus;
  CreatedBy: Record<string, string>;
  UploadUrlMetadata: { Url: string; UrlExpiry: string; HeadersToInclude: Record<string, string> };
}

const PATH = /^\/attached-files\/([^/?]+)(?:\/([^/?]+))?$/;
/** `^\P{C}*$` from the API reference: no control, format (bidi overrides), private-use or unassigned characters. */
const FILE_NAME = /^\P{C}*$/u;
/** The model's tag-key pattern, as written there (`+-=` is a range that also admits digits). */
const TAG_KEY = /^(?!aws:)[a-zA-Z+-=._:/]+$/;
const CASE_ARN = /^arn:aws:cases:([a-z0-9-]+):(\d{12}):domain\/[A-Za-z0-9-]{1,500}\/case\/[A-Za-z0-9-]{1,500}$/;
const CONTACT_ARN = /^arn:aws:connect:([a-z0-9-]+):(\d{12}):instance\/([A-Za-z0-9-]{1,100})\/contact\/[A-Za-z0-9-]{1,256}$/;
const ARN = /^arn:[a-z-]+:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:.+$/;

const iso = (epochMs: number) => new Date(epochMs).toISOString();

/** True for a path this module serves. */
export function isAttachedFilePath(path: string): boolean {
  return PATH.test(path);
}

export class AttachedFiles {
  private readonly ctx: EmulatorContext;
  private readonly scanner: MalwareScanner;
  private readonly defaults: AttachedFileLimits;
  private readonly files = new Map<string, AttachedFile>();
  private readonly limitOverrides = new Map<string, Partial<AttachedFileLimits>>();
  private readonly faults = new Map<string, CallFaults>();
  private readonly calls = new Map<string, AttachedFileCalls>();
  /** Start replies per ClientToken (pending ones too, so an overlapping retry gets the same file). */
  private readonly replies = new Map<string, { fingerprint: string; reply: Promise<StartReply> }>();

  constructor(ctx: EmulatorContext, scanner: MalwareScanner, defaults: AttachedFileLimits) {
    this.ctx = ctx;
    this.scanner = scanner;
    this.defaults = defaults;
  }

  /** A fresh ARN of a case in the emulator's Cases domain: a valid `associatedResourceArn`. */
  newCaseArn(): string {
    const { region, accountId } = this.ctx.config;
    return `arn:aws:cases:${region}:${accountId}:domain/${EMULATOR_CASES_DOMAIN_ID}/case/${randomUUID()}`;
  }

  /** Serves one signed request; `url` is the raw request target (path and query). */
  async handle(method: string, url: string, body: Buffer): Promise<unknown> {
    const [path = '', queryText = ''] = url.split('?', 2);
    const match = PATH.exec(path);
    if (match === null) throw new ApiError(404, 'UnknownOperationException', `No operation is served at ${method} ${path}.`);
    const instanceId = decodeSegment(match[1] ?? '', 'InstanceId');
    const fileId = match[2] === undefined ? undefined : decodeSegment(match[2], 'FileId');
    const query = new URLSearchParams(queryText);
    if (fileId === undefined) {
      if (method !== 'PUT') throw unknownOperation(method, path);
      return this.start(instanceId, query, parseJsonObject(body));
    }
    switch (method) {
      case 'POST':
        return this.complete(instanceId, fileId, query);
      case 'GET':
        return this.get(instanceId, fileId, query);
      case 'DELETE':
        return this.delete(instanceId, fileId, query);
      default:
        throw unknownOperation(method, path);
    }
  }

  snapshot(fileId: string): AttachedFileSnapshot {
    const file = this.files.get(fileId);
    if (file === undefined) throw notFound(`No attached file ${fileId}.`);
    return {
      fileId: file.fileId,
      fileArn: file.fileArn,
      associatedResourceArn: file.associatedResourceArn,
      fileName: file.fileName,
      sizeInBytes: file.sizeInBytes,
      contentType: file.contentType,
      fileUseCaseType: file.useCaseType,
      state: file.done ? 'COMPLETED' : 'PENDING',
      status: file.status,
    };
  }

  /** Sets a completed file's status, as a finished (or failed) scan would. */
  setStatus(fileId: string, status: AttachedFileStatus): AttachedFileSnapshot {
    const file = this.files.get(fileId);
    if (file === undefined) throw notFound(`No attached file ${fileId}.`);
    if (!file.done) throw invalidRequest(`Attached file ${fileId} has not been completed yet.`);
    file.status = status;
    return this.snapshot(fileId);
  }

  /** Overrides the limits of one associated resource; `null` restores a default. Answers the effective limits. */
  setLimits(associatedResourceArn: string, limits: { [K in keyof AttachedFileLimits]?: number | null }): AttachedFileLimits {
    const current = { ...this.limitOverrides.get(associatedResourceArn) };
    for (const key of ['fileCountQuota', 'totalFileSizeBytes'] as const) {
      const value = limits[key];
      if (value === null) delete current[key];
      else if (value !== undefined) current[key] = value;
    }
    this.limitOverrides.set(associatedResourceArn, current);
    return this.limitsOf(associatedResourceArn);
  }

  /**
   * Changes the faults of one associated resource (a key given replaces that fault, `null` removes it). The PUT
   * faults go first: invalid ones throw before anything else changed.
   */
  setFaults(associatedResourceArn: string, update: AttachedFileFaultsUpdate): AttachedFileResourceSnapshot {
    const { put, ...calls } = update;
    if (put !== undefined) updatePutFaults(this.ctx.s3.faults, attachedFileScope(associatedResourceArn), put);
    this.faults.set(associatedResourceArn, mergeUpdate(this.faults.get(associatedResourceArn) ?? {}, calls));
    return this.resourceSnapshot(associatedResourceArn);
  }

  /** Removes the resource's call and PUT faults, and its PUT statistics (as for a contact). */
  clearFaults(associatedResourceArn: string): AttachedFileResourceSnapshot {
    this.faults.delete(associatedResourceArn);
    this.ctx.s3.faults.clear(attachedFileScope(associatedResourceArn));
    return this.resourceSnapshot(associatedResourceArn);
  }

  resourceSnapshot(associatedResourceArn: string): AttachedFileResourceSnapshot {
    const scope = attachedFileScope(associatedResourceArn);
    return {
      associatedResourceArn,
      faults: structuredClone(this.faults.get(associatedResourceArn) ?? {}),
      calls: { ...(this.calls.get(associatedResourceArn) ?? NO_CALLS) },
      putFaults: this.ctx.s3.faults.get(scope),
      putStats: this.ctx.s3.faults.stats(scope),
    };
  }

  /**
   * `/_emulator/attached-files/...` (not AWS): `POST .../cases` → a fresh case ARN; `POST .../limits`
   * `{associatedResourceArn, fileCountQuota?, totalFileSizeBytes?}`; `POST .../faults` `{associatedResourceArn,
   * throttleStart?, failStart?, failComplete?, put?}` and `DELETE .../faults` `{associatedResourceArn}`; `GET .../{fileId}`;
   * `POST .../{fileId}/status` `{status}`.
   */
  handleControl(method: string, path: string, body: Record<string, unknown>): unknown {
    const rest = path.slice('/_emulator/attached-files'.length);
    if (rest === '/cases') {
      expectMethod(method, 'POST');
      return { associatedResourceArn: this.newCaseArn() };
    }
    if (rest === '/limits') {
      expectMethod(method, 'POST');
      const v = new RequestValidator();
      const arn = v.string('associatedResourceArn', body['associatedResourceArn'], { required: true, min: 1, max: 1024 });
      const limit = (key: keyof AttachedFileLimits) =>
        body[key] === null ? null : v.integer(key, body[key], { min: 0, max: Number.MAX_SAFE_INTEGER });
      const update = { fileCountQuota: limit('fileCountQuota'), totalFileSizeBytes: limit('totalFileSizeBytes') };
      v.done();
      return { associatedResourceArn: arn, ...this.setLimits(arn, update) };
    }
    if (rest === '/faults') {
      expectMethod(method, 'POST', 'DELETE');
      refuseUnknownKeys(body, method === 'POST' ? ['associatedResourceArn', ...CALL_FAULT_KEYS, 'put'] : ['associatedResourceArn']);
      const v = new RequestValidator();
      const arn = v.string('associatedResourceArn', body['associatedResourceArn'], { required: true, min: 1, max: 1024 });
      const update: AttachedFileFaultsUpdate | undefined = method === 'POST' ? parseCallFaults(v, body) : undefined;
      const put = v.object('put', body['put']);
      if (update !== undefined && put !== undefined) update.put = parsePutFaults(v, put);
      v.done();
      return update === undefined ? this.clearFaults(arn) : this.setFaults(arn, update);
    }
    const match = /^\/([^/]+)(\/status)?$/.exec(rest);
    if (match === null) throw new ApiError(404, 'UnknownOperationException', `No emulator control endpoint at ${path}.`);
    const fileId = match[1] ?? '';
    if (match[2] === undefined) {
      expectMethod(method, 'GET');
      return this.snapshot(fileId);
    }
    expectMethod(method, 'POST');
    const v = new RequestValidator();
    const status = v.string('status', body['status'], { required: true, oneOf: ATTACHED_FILE_STATUSES });
    v.done();
    return this.setStatus(fileId, status as AttachedFileStatus);
  }

  close(): void {
    this.scanner.close();
  }

  private async start(instanceId: string, query: URLSearchParams, body: Record<string, unknown>): Promise<StartReply> {
    const v = new RequestValidator('InvalidRequestException');
    v.string('InstanceId', instanceId, { required: true, min: 1, max: 100 });
    const arn = v.string('associatedResourceArn', query.get('associatedResourceArn') ?? undefined, { required: true, min: 1 });
    const clientToken = v.string('ClientToken', body['ClientToken'], { max: 500 });
    const fileName = v.string('FileName', body['FileName'], { required: true, min: 1, max: 256 });
    const size = v.integer('FileSizeInBytes', body['FileSizeInBytes'], { required: true, min: 1 });
    const expirySeconds = v.integer('UrlExpiryInSeconds', body['UrlExpiryInSeconds'], { min: 5, max: 300 });
    const useCase = v.string('FileUseCaseType', body['FileUseCaseType'], { required: true, oneOf: USE_CASE_TYPES });
    const createdBy = v.object('CreatedBy', body['CreatedBy']);
    const connectUserArn = v.string('CreatedBy.ConnectUserArn', createdBy?.['ConnectUserArn'], { min: 1, max: 1024 });
    const identityArn = v.string('CreatedBy.AWSIdentityArn', createdBy?.['AWSIdentityArn'], { min: 1, max: 1024 });
    const tags = v.stringMap('Tags', body['Tags'], { min: 1, max: 128 }, { max: 256 });
    v.done();
    this.checkInstance(instanceId);
    this.checkResourceArn(arn);
    if (!FILE_NAME.test(fileName)) {
      throw invalidFile('INVALID_FILE_NAME', 'FileName must not contain control or format characters.');
    }
    if (createdBy !== undefined && (connectUserArn === undefined) === (identityArn === undefined)) {
      throw invalidRequest('CreatedBy is a union: give exactly one of ConnectUserArn and AWSIdentityArn.');
    }
    if (identityArn !== undefined) throw invalidRequest('CreatedBy.AWSIdentityArn is computed by the service; callers cannot set it.');
    if (connectUserArn !== undefined && !ARN.test(connectUserArn)) throw invalidRequest('CreatedBy.ConnectUserArn is not a valid ARN.');
    if (tags !== undefined) {
      if (Object.keys(tags).length > 50) throw invalidRequest('Tags may hold at most 50 entries.');
      const bad = Object.keys(tags).find((key) => !TAG_KEY.test(key));
      if (bad !== undefined) throw invalidRequest(`Tag key ${JSON.stringify(bad)} does not satisfy the pattern ^(?!aws:)[a-zA-Z+-=._:/]+$.`);
    }

    this.callsOf(arn).startAttachedFileUpload++;
    throwStartFault(this.faultsOf(arn), INTERNAL_ERROR);

    const request = {
      arn,
      fileName,
      size,
      useCase: useCase as UseCaseType,
      expirySeconds: expirySeconds ?? this.ctx.config.urlExpirySeconds,
      createdBy: connectUserArn === undefined ? undefined : { ConnectUserArn: connectUserArn },
      tags,
    };
    if (clientToken === undefined) return this.newFile(request);
    const fingerprint = JSON.stringify({ ...request, instanceId });
    const stored = this.replies.get(clientToken);
    if (stored !== undefined) {
      if (stored.fingerprint !== fingerprint) {
        throw new ApiError(409, 'ResourceConflictException', 'This ClientToken was already used for a request with other parameters.');
      }
      return stored.reply;
    }
    const reply = this.newFile(request);
    this.replies.set(clientToken, { fingerprint, reply });
    try {
      return await reply;
    } catch (error) {
      this.replies.delete(clientToken);
      throw error;
    }
  }

  private async newFile(request: {
    arn: string;
    fileName: string;
    size: number;
    useCase: UseCaseType;
    expirySeconds: number;
    createdBy: Record<string, string> | undefined;
    tags: Record<string, string> | undefined;
  }): Promise<StartReply> {
    const { config } = this.ctx;
    const extension = extensionOf(request.fileName);
    const types = CONNECT_ATTACHMENT_TYPES.get(extension);
    if (types === undefined) {
      throw invalidFile(
        'INVALID_FILE_TYPE',
        extension === '' ? 'The file name has no extension.' : `The file extension ${extension} is not allowed for attached files.`,
      );
    }
    if (request.size > config.maxAttachmentSizeBytes) {
      throw invalidFile('INVALID_FILE_SIZE', `The file is ${request.size} bytes; the maximum is ${config.maxAttachmentSizeBytes} bytes.`);
    }
    this.checkQuota(request.arn, request.size);

    const fileId = randomUUID();
    const file: AttachedFile = {
      fileId,
      fileArn: `arn:aws:connect:${config.region}:${config.accountId}:instance/${config.instanceId}/file/${fileId}`,
      associatedResourceArn: request.arn,
      fileName: request.fileName,
      sizeInBytes: request.size,
      contentType: types[0],
      useCaseType: request.useCase,
      // Connect fills in the caller's identity when no agent is named.
      createdBy: request.createdBy ?? { AWSIdentityArn: `arn:aws:iam::${config.accountId}:user/${config.credentials.accessKeyId}` },
      tags: request.tags,
      creationTime: iso(Date.now()),
      objectKey: attachedFileObjectKey(request.arn, fileId),
      status: 'PROCESSING',
      done: false,
    };
    // Every one of these is signed: a PUT that drops or changes one fails SignatureDoesNotMatch.
    const headers: Record<string, string> = {
      'x-amz-meta-file_id': fileId,
      'x-amz-meta-account_id': config.accountId,
      'x-amz-meta-organization_id': config.instanceId,
      'x-amz-acl': 'bucket-owner-full-control',
      'Content-Disposition': contentDisposition(request.fileName),
      'Content-Length': String(request.size),
      'Content-Type': file.contentType,
    };
    // Counted before the await so that concurrent Starts cannot overshoot the quota.
    this.files.set(fileId, file);
    let url: string;
    try {
      url = await this.ctx.s3.presignPut(file.objectKey, headers, request.expirySeconds);
    } catch (error) {
      this.files.delete(fileId);
      throw error;
    }
    return {
      FileArn: file.fileArn,
      FileId: fileId,
      CreationTime: file.creationTime,
      FileStatus: file.status,
      CreatedBy: { ...file.createdBy },
      UploadUrlMetadata: { Url: url, UrlExpiry: iso(Date.now() + request.expirySeconds * 1000), HeadersToInclude: headers },
    };
  }

  private async complete(instanceId: string, fileId: string, query: URLSearchParams): Promise<Record<string, never>> {
    const arn = this.resourceOf(instanceId, fileId, query);
    this.callsOf(arn).completeAttachedFileUpload++;
    throwCompleteFault(this.faultsOf(arn), INTERNAL_ERROR);
    const file = this.fileOf(fileId, arn);
    // A repeat (or a call overlapping the first) gets the first call's outcome, without a second scan.
    file.completed ??= this.completeFile(file).catch((error: unknown) => {
      file.completed = undefined;
      throw error;
    });
    await file.completed;
    return {};
  }

  private async completeFile(file: AttachedFile): Promise<void> {
    const head = await this.ctx.s3.headObject(file.objectKey);
    if (head === undefined) {
      throw invalidRequest(`File ${file.fileId} has not been uploaded: storage has no object for it. Complete only after the PUT succeeded.`);
    }
    if (head.size !== file.sizeInBytes) {
      throw invalidRequest(`File ${file.fileId} was declared as ${file.sizeInBytes} bytes but storage holds ${head.size} bytes.`);
    }
    const verdict = await this.scanner.verdict(file.objectKey);
    file.done = true;
    if (this.scanner.delayMs <= 0) file.status = verdict;
    else {
      this.scanner.later(() => {
        if (file.status === 'PROCESSING') file.status = verdict;
      });
    }
  }

  private async get(instanceId: string, fileId: string, query: URLSearchParams): Promise<Record<string, unknown>> {
    const v = new RequestValidator('InvalidRequestException');
    const expiresIn = v.integer('urlExpiryInSeconds', queryInteger(query, 'urlExpiryInSeconds'), { min: 5, max: 300 });
    v.done();
    const arn = this.resourceOf(instanceId, fileId, query);
    this.callsOf(arn).getAttachedFile++;
    const file = this.fileOf(fileId, arn);
    const reply: Record<string, unknown> = {
      FileArn: file.fileArn,
      FileId: file.fileId,
      CreationTime: file.creationTime,
      FileStatus: file.status,
      FileName: file.fileName,
      FileSizeInBytes: file.sizeInBytes,
      AssociatedResourceArn: file.associatedResourceArn,
      FileUseCaseType: file.useCaseType,
      CreatedBy: { ...file.createdBy },
      ...(file.tags === undefined ? {} : { Tags: { ...file.tags } }),
    };
    // Only an approved file can be downloaded.
    if (file.done && file.status === 'APPROVED') {
      const seconds = expiresIn ?? 300;
      const url = await this.ctx.s3.presignGet(file.objectKey, seconds, { responseContentDisposition: contentDisposition(file.fileName) });
      reply['DownloadUrlMetadata'] = { Url: url, UrlExpiry: iso(Date.now() + seconds * 1000) };
    }
    return reply;
  }

  private async delete(instanceId: string, fileId: string, query: URLSearchParams): Promise<Record<string, never>> {
    const file = this.fileOf(fileId, this.resourceOf(instanceId, fileId, query));
    this.files.delete(file.fileId);
    await this.ctx.s3.deleteObject(file.objectKey);
    return {};
  }

  /** Checks the path and query of a call on one file; answers the associated resource ARN. */
  private resourceOf(instanceId: string, fileId: string, query: URLSearchParams): string {
    const v = new RequestValidator('InvalidRequestException');
    v.string('InstanceId', instanceId, { required: true, min: 1, max: 100 });
    v.string('FileId', fileId, { required: true, min: 1, max: 256 });
    const arn = v.string('associatedResourceArn', query.get('associatedResourceArn') ?? undefined, { required: true, min: 1 });
    v.done();
    this.checkInstance(instanceId);
    this.checkResourceArn(arn);
    return arn;
  }

  /** The file, if it belongs to the associated resource. */
  private fileOf(fileId: string, arn: string): AttachedFile {
    const file = this.files.get(fileId);
    if (file === undefined || file.associatedResourceArn !== arn) {
      throw notFound(`File ${fileId} was not found for this associated resource.`);
    }
    return file;
  }

  /** Not stored when there are none: a fault taken from the fresh object changes nothing. */
  private faultsOf(arn: string): CallFaults {
    return this.faults.get(arn) ?? {};
  }

  private callsOf(arn: string): AttachedFileCalls {
    let calls = this.calls.get(arn);
    if (calls === undefined) {
      calls = { ...NO_CALLS };
      this.calls.set(arn, calls);
    }
    return calls;
  }

  private checkInstance(instanceId: string): void {
    if (instanceId !== this.ctx.config.instanceId) throw notFound(`Instance ${instanceId} was not found.`);
  }

  /** A case ARN, or an email contact ARN of this instance, in the emulator's region and account. */
  private checkResourceArn(arn: string): void {
    const { region, accountId, instanceId } = this.ctx.config;
    const asCase = CASE_ARN.exec(arn);
    const asContact = CONTACT_ARN.exec(arn);
    if (asCase === null && asContact === null) {
      throw invalidRequest('associatedResourceArn must be the ARN of an Amazon Connect case or email contact.');
    }
    const [, arnRegion, arnAccount, arnInstance] = asCase ?? asContact ?? [];
    if (arnRegion !== region || arnAccount !== accountId || (asContact !== null && arnInstance !== instanceId)) {
      throw new ApiError(403, 'AccessDeniedException', 'You do not have sufficient access to perform this action on that resource.');
    }
  }

  private limitsOf(arn: string): AttachedFileLimits {
    return { ...this.defaults, ...this.limitOverrides.get(arn) };
  }

  private checkQuota(arn: string, size: number): void {
    const limits = this.limitsOf(arn);
    const files = [...this.files.values()].filter((file) => file.associatedResourceArn === arn);
    const quotaError = (reason: QuotaReason, message: string) =>
      new ConnectReasonError(402, 'ServiceQuotaExceededException', `${reason}: ${message}`, {
        AttachedFileServiceQuotaExceededExceptionReason: reason,
      });
    if (files.length >= limits.fileCountQuota) {
      throw quotaError('TOTAL_FILE_COUNT_EXCEEDED', `the resource already has ${files.length} files; at most ${limits.fileCountQuota} are allowed.`);
    }
    const total = files.reduce((sum, file) => sum + file.sizeInBytes, 0);
    if (total + size > limits.totalFileSizeBytes) {
      throw quotaError(
        'TOTAL_FILE_SIZE_EXCEEDED',
        `the resource's files would total ${total + size} bytes; at most ${limits.totalFileSizeBytes} bytes are allowed.`,
      );
    }
  }
}

function decodeSegment(segment: string, name: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw invalidRequest(`${name} is not a valid path segment.`);
  }
}

/** A query parameter that must be an integer; undefined when absent. */
function queryInteger(query: URLSearchParams, name: string): number | undefined {
  const text = query.get(name);
  if (text === null) return undefined;
  if (!/^-?\d{1,15}$/.test(text)) throw new ApiError(400, 'SerializationException', `Value at '${name}' must be an integer.`);
  return Number(text);
}

function unknownOperation(method: string, path: string): ApiError {
  return new ApiError(404, 'UnknownOperationException', `No operation is served at ${method} ${path}.`);
}
