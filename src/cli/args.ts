/**
 * Command-line arguments of `connect-attachment`, named as the AWS CLI's `connectparticipant
 * start-attachment-upload` names them. Pure: argv and the environment in, a command or a UsageError out.
 */
import { parseArgs } from 'node:util';

export const COMMAND = 'connect-attachment';
/** Where the ConnectionToken may come from instead of the command line, which other users can see (`ps`). */
export const CONNECTION_TOKEN_ENV = 'CONNECT_CONNECTION_TOKEN';
/** ClientToken length limits of the API reference. */
const MAX_CLIENT_TOKEN_LENGTH = 500;

export type Environment = Readonly<Record<string, string | undefined>>;

export const USAGE = `Usage: ${COMMAND} upload FILE... [--connection-token TOKEN]
                          (--region REGION | --endpoint-url URL)
                          [--content-type TYPE] [--attachment-name NAME] [--client-token TOKEN]
                          [--output json|text]

Uploads each FILE as an Amazon Connect chat attachment: checks it (size, name, type from its extension and
first bytes), calls StartAttachmentUpload, PUTs it to the presigned URL (retrying transient failures, asking for
a fresh URL when one expires) and completes it with CompleteAttachmentUpload. Up to 3 files at a time.

Options:
  --connection-token TOKEN  The participant's ConnectionToken. Prefer the ${CONNECTION_TOKEN_ENV}
                            environment variable: a command line is visible to other users of the machine.
  --region REGION           Participant Service region, e.g. us-east-1 (default: $AWS_REGION, then
                            $AWS_DEFAULT_REGION).
  --endpoint-url URL        Another endpoint, e.g. the local emulator (https, or http on a loopback host).
  --content-type TYPE       The MIME type the file must have (one FILE only); the canonical type is sent.
  --attachment-name NAME    The name to send instead of the file's own (one FILE only).
  --client-token TOKEN      Idempotency key of the StartAttachmentUpload request (one FILE only): running the
                            command again with the same token uploads to the same attachment.
  --output json|text        json (default): one JSON object per uploaded file, one per line, with
                            attachmentId, name, sizeInBytes and contentType; text: the same fields, tab-separated.
  -h, --help                Show this help.

Progress goes to stderr, results to stdout. Exit status: 0 all uploaded, 1 a file failed or was refused,
2 usage error, 130 interrupted.`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface UploadCommand {
  command: 'upload';
  files: readonly string[];
  connectionToken: string;
  /** Exactly one of `region` and `endpointUrl` is set. */
  region?: string;
  endpointUrl?: string;
  contentType?: string;
  attachmentName?: string;
  clientToken?: string;
  output: 'json' | 'text';
}

export type CliCommand = { command: 'help' } | UploadCommand;

const OPTIONS = {
  'connection-token': { type: 'string' },
  region: { type: 'string' },
  'endpoint-url': { type: 'string' },
  'content-type': { type: 'string' },
  'attachment-name': { type: 'string' },
  'client-token': { type: 'string' },
  output: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parseOptions(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    // parseArgs' messages quote the option as typed; run() redacts the token from everything it prints.
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** Throws a UsageError for anything the command line gets wrong. */
export function parseCliArgs(argv: readonly string[], env: Environment): CliCommand {
  const { values, positionals } = parseOptions(argv);
  if (values.help || positionals[0] === 'help') return { command: 'help' };
  const [command, ...files] = positionals;
  if (command === undefined) throw new UsageError('No command given.');
  if (command !== 'upload') throw new UsageError(`Unknown command "${command}": the only command is "upload".`);
  if (files.length === 0) throw new UsageError('No FILE given.');

  const connectionToken = values['connection-token'] ?? env[CONNECTION_TOKEN_ENV];
  if (!connectionToken) throw new UsageError(`No ConnectionToken: set ${CONNECTION_TOKEN_ENV} or give --connection-token.`);

  const endpointUrl = values['endpoint-url'];
  if (endpointUrl !== undefined && values.region !== undefined) throw new UsageError('Give --region or --endpoint-url, not both.');
  const region = endpointUrl === undefined ? (values.region ?? (env['AWS_REGION'] || env['AWS_DEFAULT_REGION'])) : undefined;
  if (endpointUrl === undefined && !region) throw new UsageError('No region: give --region, --endpoint-url or set AWS_REGION.');

  const output = values.output ?? 'json';
  if (output !== 'json' && output !== 'text') throw new UsageError('--output must be json or text.');

  // Each names one file's attachment; applied to several files they would be wrong for all but one.
  for (const option of ['content-type', 'attachment-name', 'client-token'] as const) {
    if (values[option] !== undefined && files.length > 1) throw new UsageError(`--${option} applies to a single FILE only.`);
  }
  const clientToken = values['client-token'];
  if (clientToken !== undefined && (clientToken.length < 1 || clientToken.length > MAX_CLIENT_TOKEN_LENGTH)) {
    throw new UsageError(`--client-token must be 1 to ${MAX_CLIENT_TOKEN_LENGTH} characters long.`);
  }

  return {
    command: 'upload',
    files,
    connectionToken,
    ...(region === undefined ? {} : { region }),
    ...(endpointUrl === undefined ? {} : { endpointUrl }),
    ...(values['content-type'] === undefined ? {} : { contentType: values['content-type'] }),
    ...(values['attachment-name'] === undefined ? {} : { attachmentName: values['attachment-name'] }),
    ...(clientToken === undefined ? {} : { clientToken }),
    output,
  };
}

/**
 * Every value that might be the ConnectionToken, found before parsing so that even a usage error cannot print
 * it: the environment's, and whatever follows `--connection-token` (with or without `=`).
 */
export function secretsIn(argv: readonly string[], env: Environment): string[] {
  const secrets: string[] = [];
  const fromEnv = env[CONNECTION_TOKEN_ENV];
  if (fromEnv) secrets.push(fromEnv);
  argv.forEach((arg, i) => {
    const next = argv[i + 1];
    if (arg === '--connection-token' && next) secrets.push(next);
    else if (arg.startsWith('--connection-token=') && arg.length > '--connection-token='.length) secrets.push(arg.slice('--connection-token='.length));
  });
  return secrets;
}
