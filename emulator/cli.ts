import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startEmulator, type EmulatorOptions } from './server';

/** Port of `npm run emulator` when none is given, so documented commands and bookmarks keep working. */
const DEFAULT_PORT = 8787;

const USAGE = `Usage: npm run emulator -- [--port P] [--s3-port P] [--host H] [--data-dir DIR]
                            [--max-size BYTES] [--quota N] [--url-expiry SECONDS] [--quiet]`;

function integer(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < min) {
    throw new Error(`--${name} must be an integer >= ${min}, not ${JSON.stringify(value)}.`);
  }
  return parsed;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      's3-port': { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      'max-size': { type: 'string' },
      quota: { type: 'string' },
      'url-expiry': { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const dataDir = values['data-dir'] ?? fileURLToPath(new URL('../.emulator-data/', import.meta.url));
  await mkdir(dataDir, { recursive: true });
  const options: EmulatorOptions = {
    port: integer('port', values.port, 0) ?? DEFAULT_PORT,
    s3Port: integer('s3-port', values['s3-port'], 0) ?? 0,
    dataDir,
    ...(values.host === undefined ? {} : { host: values.host }),
    ...optional('maxAttachmentSizeBytes', integer('max-size', values['max-size'], 1)),
    ...optional('attachmentQuota', integer('quota', values.quota, 0)),
    ...optional('urlExpirySeconds', integer('url-expiry', values['url-expiry'], 1)),
    // Request lines go to stderr so stdout stays the one machine-readable ready line.
    ...(values.quiet ? {} : { log: (line: string) => process.stderr.write(`[emulator] ${line}\n`) }),
  };
  const emulator = await startEmulator(options);
  const chat = await emulator.startChat({ displayName: 'Customer' });
  process.stdout.write(
    `${JSON.stringify({
      participantEndpoint: emulator.participantEndpoint,
      connectEndpoint: emulator.connectEndpoint,
      s3Endpoint: emulator.s3Endpoint,
      controlEndpoint: `${emulator.participantEndpoint}/_emulator`,
      region: emulator.region,
      instanceId: emulator.instanceId,
      contactFlowId: emulator.contactFlowId,
      credentials: emulator.credentials,
      contactId: chat.contactId,
      participantId: chat.participantId,
      participantToken: chat.participantToken,
      connectionToken: chat.connectionToken,
    })}\n`,
  );

  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function optional<K extends keyof EmulatorOptions>(key: K, value: EmulatorOptions[K] | undefined): Partial<EmulatorOptions> {
  return value === undefined ? {} : { [key]: value };
}

main().catch((error: unknown) => {
  process.stderr.write(`emulator: ${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
  process.exit(1);
});
