/**
 * `connect-attachment upload`: the whole upload (check, Start, PUT, Complete) of each file with the library's
 * own engine and queue. Streams and environment are injected, so tests run it in-process; main.ts wires it to
 * the process.
 */
import { randomUUID } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { CONNECT_ALLOWED_TYPES } from '../core/allowed-types';
import type { UploadError } from '../core/errors';
import { createParticipantClient } from '../core/participant-client';
import { createUploadQueue, type UploadItem, type UploadQueue, type UploadStatus } from '../core/queue';
import type { AttachmentClient } from '../core/types';
import { resolveRules, type ResolvedRules } from '../core/validate';
import { COMMAND, parseCliArgs, secretsIn, USAGE, UsageError, type Environment, type UploadCommand } from './args';
import { createProgressReporter, formatBytes, terminalSafe, type TextSink } from './progress';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
/** 128 + SIGINT, as shells report a command ended by Ctrl-C. */
export const EXIT_INTERRUPTED = 130;

/**
 * The highest limit a Connect instance can be configured with. Checked here; the instance's own limit (20 MB
 * unless raised) is Connect's to enforce, since a command line cannot know it.
 */
export const CLI_MAX_FILE_SIZE_BYTES = 100 * 1024 * 1024;

export interface CliContext {
  stdout: TextSink;
  stderr: TextSink;
  env: Environment;
  /** Aborting it (Ctrl-C) cancels every upload still running; what was uploaded is still reported. */
  signal?: AbortSignal;
}

/** Runs the command line `argv` (without the node and script paths); resolves with the exit status. */
export async function run(argv: readonly string[], context: CliContext): Promise<number> {
  const secrets = secretsIn(argv, context.env);
  // The last line of defence: nothing this command prints can carry the ConnectionToken.
  const redact = (text: string): string => secrets.reduce((result, secret) => result.split(secret).join('[redacted]'), text);
  const stdout: TextSink = { write: (text) => context.stdout.write(redact(text)) };
  const stderr: TextSink = {
    write: (text) => context.stderr.write(redact(text)),
    ...(context.stderr.isTTY === undefined ? {} : { isTTY: context.stderr.isTTY }),
    ...(context.stderr.columns === undefined ? {} : { columns: context.stderr.columns }),
  };
  try {
    const command = parseCliArgs(argv, context.env);
    if (command.command === 'help') {
      stdout.write(`${USAGE}\n`);
      return EXIT_OK;
    }
    return await upload(command, stdout, stderr, context.signal);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    stderr.write(`${COMMAND}: ${terminalSafe(error.message)}\nRun "${COMMAND} --help" for usage.\n`);
    return EXIT_USAGE;
  }
}

/** The canonical allowed type `--content-type` names (aliases included), or a UsageError. */
function declaredType(contentType: string): string {
  const wanted = contentType.trim().toLowerCase();
  const type = CONNECT_ALLOWED_TYPES.find((t) => t.mime === wanted || t.aliases.includes(wanted));
  if (type === undefined) throw new UsageError(`--content-type "${contentType}" is not a type Amazon Connect accepts for attachments.`);
  return type.mime;
}

function participantClient(command: UploadCommand): AttachmentClient {
  try {
    return createParticipantClient({
      connectionToken: command.connectionToken,
      ...(command.endpointUrl === undefined ? { region: command.region } : { endpoint: command.endpointUrl }),
    });
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    throw new UsageError(
      command.endpointUrl === undefined
        ? `--region "${command.region ?? ''}" is not a region name such as us-east-1.`
        : '--endpoint-url must be an https URL (http only on a loopback host such as 127.0.0.1).',
    );
  }
}

const FS_ERRORS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the path is too long',
};

/** The file as a Blob backed by the file on disk: read in chunks while it is sent, never whole into memory. */
async function openFile(path: string, name: string): Promise<File> {
  try {
    if ((await stat(path)).isFile()) return new File([await openAsBlob(path)], name);
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : '';
    throw new Error(FS_ERRORS[code] ?? `cannot be read (${code || 'unknown error'})`);
  }
  throw new Error('not a regular file');
}

/** The given ClientToken for the first Start; fresh ones for Complete and for any fresh URL after it. */
function clientTokens(first: string | undefined): () => string {
  let given = first;
  return () => {
    const token = given ?? randomUUID();
    given = undefined;
    return token;
  };
}

const FINISHED: ReadonlySet<UploadStatus> = new Set<UploadStatus>(['done', 'failed', 'rejected', 'cancelled']);

function settled(queue: UploadQueue, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (!queue.getState().items.every((item) => FINISHED.has(item.status))) return;
      unsubscribe();
      signal?.removeEventListener('abort', cancelAll);
      resolve();
    };
    const cancelAll = (): void => {
      for (const item of queue.getState().items) queue.cancel(item.id);
    };
    const unsubscribe = queue.subscribe(check);
    if (signal?.aborted) cancelAll();
    else signal?.addEventListener('abort', cancelAll, { once: true });
    check();
  });
}

function failureText(item: UploadItem, error: UploadError, command: UploadCommand): string {
  // Narrowed to one type by --content-type, the generic "…files are not accepted here" would mislead.
  if (error.code === 'type-not-allowed' && command.contentType !== undefined) {
    return `"${item.name}" is not ${command.contentType}: its extension is ${error.details.extension || 'missing'}.`;
  }
  return error.message;
}

async function upload(command: UploadCommand, stdout: TextSink, stderr: TextSink, signal: AbortSignal | undefined): Promise<number> {
  const client = participantClient(command);
  const rules: ResolvedRules = resolveRules({
    maxFileSizeBytes: CLI_MAX_FILE_SIZE_BYTES,
    ...(command.contentType === undefined ? {} : { accept: [declaredType(command.contentType)] }),
  });
  const fail = (path: string, message: string): void => {
    stderr.write(`${COMMAND}: ${terminalSafe(path)}: ${terminalSafe(message)}\n`);
  };

  let failures = 0;
  const opened: Array<{ path: string; file: File }> = [];
  for (const path of command.files) {
    try {
      opened.push({ path, file: await openFile(path, command.attachmentName ?? basename(path)) });
    } catch (error) {
      failures++;
      fail(path, error instanceof Error ? error.message : String(error));
    }
  }

  const queue = createUploadQueue({
    client,
    rules,
    createClientToken: clientTokens(command.clientToken),
    // Off a terminal every step gets its line: each change told (once per tick), not the latest per 100 ms.
    ...(stderr.isTTY ? {} : { progressIntervalMs: 0 }),
  });
  const reporter = createProgressReporter(stderr);
  const unsubscribe = queue.subscribe(() => reporter.update(queue.getState()));
  queue.add(opened.map(({ file }) => file));
  await settled(queue, signal);
  unsubscribe();
  reporter.finish();
  queue.destroy();

  const final = queue.getState().items;
  let uploaded = 0;
  let bytes = 0;
  // The queue keeps the order files were added in: item i is opened[i].
  final.forEach((item, i) => {
    const path = opened[i]?.path ?? item.name;
    if (item.status === 'done' && item.attachment !== undefined) {
      const { attachmentId, name, sizeInBytes, contentType } = item.attachment;
      uploaded++;
      bytes += sizeInBytes;
      stdout.write(
        command.output === 'json'
          ? `${JSON.stringify({ attachmentId, name, sizeInBytes, contentType })}\n`
          : `${attachmentId}\t${name}\t${sizeInBytes}\t${contentType}\n`,
      );
    } else if (item.status !== 'cancelled' && item.error !== undefined) {
      failures++;
      fail(path, failureText(item, item.error, command));
    }
  });

  const interrupted = signal?.aborted === true;
  const total = command.files.length;
  stderr.write(
    interrupted
      ? `${COMMAND}: interrupted; ${uploaded} of ${total} files were uploaded (${formatBytes(bytes)}).\n`
      : `Uploaded ${uploaded} of ${total} ${total === 1 ? 'file' : 'files'} (${formatBytes(bytes)}).\n`,
  );
  if (interrupted) return EXIT_INTERRUPTED;
  return failures > 0 ? EXIT_FAILED : EXIT_OK;
}
