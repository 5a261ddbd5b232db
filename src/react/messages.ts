import { CONNECT_ALLOWED_TYPES } from '../core/allowed-types';
import type { UploadError, UploadErrorCode } from '../core/errors';
import { isWaiting, type UploadItem, type UploadStatus } from '../core/queue';
import { extensionOf, type ResolvedRules } from '../core/validate';
import { folderPlaceholders } from './folders';
import { formatSize, shortName, typeLabels } from './format';

/** Facts a failure or rejection message may use; every value is already formatted for people. */
export interface ErrorFacts {
  /** The file name, made safe to show and shortened. */
  name: string;
  /** The limit that was exceeded: a size ("20 MB") or a character count ("256"). */
  limit?: string;
  /** The observed value, in the same unit as `limit`. */
  actual?: string;
  /** The file's extension as given, e.g. ".exe" (empty when it has none). */
  extension: string;
  /** What the extension promises, e.g. "a PDF". */
  expectedType?: string;
  /** What the content looks like, e.g. "a Windows program". */
  detectedType?: string;
  /** The accepted types as a list, e.g. "PDF or PNG". */
  allowedTypes: string;
}

export interface AttachmentUploaderMessages {
  /** The drop zone's prompt (several files / one file) and its text while files are dragged over it. */
  dropPrompt: string;
  dropPromptSingle: string;
  dropActive: string;
  /** The button that opens the file picker. */
  chooseFiles: string;
  chooseFile: string;
  /** The zone's statement of what may be sent. */
  limits: (facts: { types: string; maxSize: string }) => string;
  /** Joins type labels into "PDF, PNG or JPG". */
  list: (items: readonly string[]) => string;
  /** A size for people; `exact` asks for the byte count ("20,971,521 bytes"). */
  formatSize: (bytes: number, exact?: boolean) => string;
  /** A type named for people ("a PDF", "a Windows program"); `mime` is canonical or a detector's name. */
  typeName: (mime: string) => string;
  /** Accessible name of the file list. */
  fileList: string;
  /** Each status in words. */
  status: Record<UploadStatus, string>;
  /** A `done` item's malware scan result (with `awaitScan`); `scanUnknown`: the wait for it gave up. */
  scanApproved: string;
  scanRejected: string;
  scanFailed: string;
  scanUnknown: string;
  /** Shown next to the bar, and its aria-valuetext. */
  progress: (facts: { percent: number; sent: string; total: string }) => string;
  progressValue: (facts: { percent: number }) => string;
  /** Accessible name of a file's progress bar. */
  progressLabel: (facts: { name: string }) => string;
  /** Why the engine is waiting before another try, from the cause's code. */
  retryReason: (code: UploadErrorCode | undefined) => string;
  /** "Connection lost — retrying in 3 s"; `seconds` reaches 0 when the try is due. */
  retrying: (facts: { reason: string; seconds: number }) => string;
  refreshing: (facts: { reason: string; seconds: number }) => string;
  /** Visible action labels, and their accessible names naming the file. */
  cancel: string;
  retry: string;
  remove: string;
  cancelFile: (facts: { name: string }) => string;
  retryFile: (facts: { name: string }) => string;
  removeFile: (facts: { name: string }) => string;
  /** A sentence per failure and rejection code. */
  errors: Record<UploadErrorCode, (facts: ErrorFacts) => string>;
  /** A folder was dropped. */
  folder: (facts: { name: string }) => string;
  /** Files beyond the first were dropped or pasted while only one is allowed. */
  onlyOneFile: (facts: { ignored: number }) => string;
  /** Screen-reader announcements (one polite live region): milestones and outcomes, never every percent. */
  announceStarted: (facts: { name: string }) => string;
  announceHalfway: (facts: { name: string }) => string;
  announceRetrying: (facts: { name: string; reason: string }) => string;
  announceDone: (facts: { name: string }) => string;
  announceFailed: (facts: { reason: string }) => string;
  announceRejected: (facts: { reason: string }) => string;
  announceCancelled: (facts: { name: string }) => string;
  /** `result` is the scan result in words (`scanApproved`, …). */
  announceScanning: (facts: { name: string }) => string;
  announceScanned: (facts: { name: string; result: string }) => string;
}

/** What a `messages` prop may give: any top-level entry, and any single status or error sentence. */
export type AttachmentUploaderMessagesOverride = Partial<Omit<AttachmentUploaderMessages, 'status' | 'errors'>> & {
  status?: Partial<AttachmentUploaderMessages['status']>;
  errors?: Partial<AttachmentUploaderMessages['errors']>;
};


/** Content the detector recognises that no accepted extension stands for. */
const NAMED_TYPES: ReadonlyArray<readonly [RegExp, string]> = [
  [/msdownload/, 'a Windows program'],
  [/elf/, 'a Linux program'],
  [/zip/, 'a compressed archive'],
  [/cfb|ooxml/, 'an Office document'],
];

/**
 * A type named for people: what it is when it is not a document format ("a Windows program"), else its format by
 * its extension ("a DOCX", "a MOV") or, for types Connect refuses, by its MIME subtype ("image/svg+xml" → "an SVG").
 */
function typeName(mime: string): string {
  const named = NAMED_TYPES.find(([fragment]) => fragment.test(mime));
  if (named) return named[1];
  const extension = CONNECT_ALLOWED_TYPES.find((type) => type.mime === mime)?.extensions[0]?.slice(1);
  const label = (extension ?? /^\w+\/(?:x-|vnd\.)?([^+]+)/.exec(mime)?.[1] ?? mime).toUpperCase();
  // Letters whose English name starts with a vowel sound: "an MP4", "an SVG", "an XLSX", but "a PNG".
  return `${/^[AEFHILMNORSX]/.test(label) ? 'an' : 'a'} ${label}`;
}

const RETRY_REASONS: Readonly<Record<string, string>> = {
  network: 'Connection lost',
  timeout: 'Connection stalled',
  stalled: 'Connection stalled',
  throttled: 'Service busy',
  server: 'Service error',
  'url-expired': 'Upload link expired',
};

/** The sentence for a failure after the file was accepted: the same opening, the reason varies. */
const couldNotSend =
  (why: string) =>
  ({ name }: ErrorFacts) =>
    `“${name}” could not be sent: ${why}`;

/** "Connection lost — retrying in 3 s", then, when due, "Connection lost — retrying now". */
const countdown =
  (doing: string, due: string) =>
  ({ reason, seconds }: { reason: string; seconds: number }) =>
    `${reason} — ${doing}${seconds > 0 ? ` in ${seconds} s` : due}`;

/** Built once, on first use: a formatter per call would cost more than the rest of the render. */
let orList: Intl.ListFormat | undefined;

export const defaultMessages: AttachmentUploaderMessages = {
  dropPrompt: 'Drop or paste files here.',
  dropPromptSingle: 'Drop or paste a file here.',
  dropActive: 'Release to add.',
  chooseFiles: 'Choose files',
  chooseFile: 'Choose a file',
  limits: ({ types, maxSize }) => `Accepted: ${types}, up to ${maxSize} each.`,
  list: (items) => (orList ??= new Intl.ListFormat('en', { type: 'disjunction' })).format(items),
  formatSize,
  typeName,
  fileList: 'Files',
  status: {
    queued: 'Waiting',
    checking: 'Checking',
    starting: 'Starting',
    uploading: 'Uploading',
    retrying: 'Retrying',
    refreshing: 'Renewing the upload link',
    completing: 'Finishing',
    scanning: 'Scanning for malware',
    done: 'Uploaded',
    failed: 'Failed',
    rejected: 'Not added',
    cancelled: 'Cancelled',
  },
  scanApproved: 'Uploaded and scanned',
  scanRejected: 'Refused by the malware scan',
  scanFailed: 'The malware scan failed',
  scanUnknown: 'Uploaded, scan result unknown',
  progress: ({ percent, sent, total }) => `${percent} % · ${sent} of ${total}`,
  progressValue: ({ percent }) => `${percent} %`,
  progressLabel: ({ name }) => `Upload progress of ${name}`,
  retryReason: (code) => RETRY_REASONS[code ?? ''] ?? 'Interrupted',
  retrying: countdown('retrying', ' now'),
  refreshing: countdown('getting a new upload link', ''),
  cancel: 'Cancel',
  retry: 'Retry',
  remove: 'Remove',
  cancelFile: ({ name }) => `Cancel ${name}`,
  retryFile: ({ name }) => `Retry ${name}`,
  removeFile: ({ name }) => `Remove ${name}`,
  errors: {
    'file-empty': ({ name }) => `“${name}” is empty (0 bytes).`,
    'file-too-large': ({ name, actual, limit }) => `“${name}” is too large: ${actual}, and the limit is ${limit}.`,
    'name-empty': () => 'A file without a name cannot be sent.',
    'name-too-long': ({ name, actual, limit }) =>
      `The name “${name}” is too long: ${actual} characters, and the limit is ${limit}. Rename the file and try again.`,
    'name-invalid': ({ name }) =>
      `The name “${name}” contains characters that cannot be sent (control characters, / or \\). Rename the file and try again.`,
    'type-not-allowed': ({ name, extension, allowedTypes }) =>
      `“${name}” cannot be sent: ${extension ? `${extension} files are not accepted` : 'it has no file extension'}. Accepted: ${allowedTypes}.`,
    'type-mismatch': ({ name, expectedType = 'what its name says', detectedType }) =>
      `“${name}” is not ${expectedType}: its content ${detectedType ? `looks like ${detectedType}` : 'does not match its extension'}.`,
    'access-denied': couldNotSend('sending files is not allowed in this conversation (it may have ended).'),
    'quota-exceeded': couldNotSend('this conversation has reached its limit of attachments.'),
    throttled: couldNotSend('the service is busy. Try again in a moment.'),
    validation: couldNotSend('the service refused it.'),
    conflict: couldNotSend('it is already being uploaded.'),
    server: couldNotSend('the service had a problem. Try again.'),
    'bad-response': couldNotSend('the service gave an unexpected answer.'),
    network: couldNotSend('the connection was lost. Check your connection and try again.'),
    timeout: couldNotSend('the service took too long to answer.'),
    stalled: couldNotSend('the upload stopped making progress.'),
    'url-expired': couldNotSend('the upload link kept expiring.'),
    'signature-mismatch': couldNotSend('the storage service refused the upload (signature mismatch).'),
    'upload-failed': couldNotSend('the storage service refused the upload.'),
    cancelled: ({ name }) => `The upload of “${name}” was cancelled.`,
  },
  folder: ({ name }) => `“${name}” is a folder. Open it and add the files inside instead.`,
  onlyOneFile: ({ ignored }) =>
    `Only one file can be added at a time: ${ignored} other ${ignored === 1 ? 'file was' : 'files were'} left out.`,
  announceStarted: ({ name }) => `Uploading ${name}.`,
  announceHalfway: ({ name }) => `${name}: half uploaded.`,
  announceRetrying: ({ name, reason }) => `${name}: ${reason}, will retry.`,
  announceDone: ({ name }) => `${name} uploaded.`,
  announceFailed: ({ reason }) => `Upload failed. ${reason}`,
  announceRejected: ({ reason }) => `Not added. ${reason}`,
  announceCancelled: ({ name }) => `Upload of ${name} cancelled.`,
  announceScanning: ({ name }) => `${name}: scanning for malware.`,
  announceScanned: ({ name, result }) => `${name}: ${result}.`,
};

/** `defaultMessages` with the given entries replaced. */
export function mergeMessages(override?: AttachmentUploaderMessagesOverride): AttachmentUploaderMessages {
  if (!override) return defaultMessages;
  return {
    ...defaultMessages,
    ...override,
    status: { ...defaultMessages.status, ...override.status },
    errors: { ...defaultMessages.errors, ...override.errors },
  };
}

/** The zone's statement of accepted types and size, e.g. "Accepted: PDF or PNG, up to 20 MB each." */
export function describeLimits(rules: ResolvedRules, messages: AttachmentUploaderMessages): string {
  return messages.limits({
    types: messages.list(typeLabels(rules)),
    maxSize: messages.formatSize(rules.maxFileSizeBytes),
  });
}

/** A failure or rejection of `fileName` in plain words, with the limit and the detected type it involves. */
export function describeError(
  error: UploadError,
  fileName: string,
  rules: ResolvedRules,
  messages: AttachmentUploaderMessages,
): string {
  const { code, details } = error;
  const { extension = extensionOf(fileName), detectedType } = details;
  const expected = CONNECT_ALLOWED_TYPES.find((type) => type.extensions.includes(extension));
  const texts = (exact?: boolean) =>
    [details.limit, details.actual].map((value) =>
      value === undefined || code !== 'file-too-large' ? value?.toString() : messages.formatSize(value, exact),
    );
  let [limit, actual] = texts();
  // One byte over 20 MB still rounds to "20 MB": then both in bytes, so the sentence makes sense.
  if (limit === actual) [limit, actual] = texts(true);
  return messages.errors[code]({
    name: shortName(fileName),
    limit,
    actual,
    extension,
    expectedType: expected && messages.typeName(expected.mime),
    detectedType: detectedType && messages.typeName(detectedType),
    allowedTypes: messages.list(typeLabels(rules)),
  });
}

/** What went wrong with an item that failed or was rejected, or undefined when nothing did. */
export function describeItemError(
  item: UploadItem,
  rules: ResolvedRules,
  messages: AttachmentUploaderMessages,
): string | undefined {
  if (folderPlaceholders.has(item.file)) return messages.folder({ name: shortName(item.name) });
  if (item.error && (item.status === 'failed' || item.status === 'rejected')) {
    return describeError(item.error, item.name, rules, messages);
  }
}

/** Whole seconds until a waiting item's next try (0 when due or not waiting), as a countdown shows them. */
export function secondsUntilRetry(item: UploadItem, now: number): number {
  return Math.max(0, Math.ceil(((item.retryAt ?? now) - now) / 1000));
}

/**
 * The item's status in words; while waiting before a retry or a fresh URL, the cause and the countdown (see
 * `secondsUntilRetry`). A refresh whose Start call is under way has no countdown: just its status word.
 */
export function describeStatus(item: UploadItem, messages: AttachmentUploaderMessages, secondsLeft = 0): string {
  const { status } = item;
  if (isWaiting(status) && item.retryAt !== undefined) {
    // `messages.retrying` or `messages.refreshing`.
    return messages[status]({ reason: messages.retryReason(item.error?.code), seconds: secondsLeft });
  }
  return describeScan(item, messages) ?? messages.status[status];
}

const SCAN_WORDS = { APPROVED: 'scanApproved', REJECTED: 'scanRejected', FAILED: 'scanFailed' } as const;

/** A `done` item's scan result in words; undefined when no scan was awaited (a `done` item only errs in the scan wait). */
export function describeScan(item: UploadItem, messages: AttachmentUploaderMessages): string | undefined {
  if (item.status !== 'done') return undefined;
  if (item.scanStatus) return messages[SCAN_WORDS[item.scanStatus]];
  return item.error ? messages.scanUnknown : undefined;
}
