/**
 * The real command: `tsx src/cli/main.ts` in a child process (what `npx tsx src/cli/main.ts` runs, without npm's
 * own start-up output) against an in-process emulator. Exit statuses, stdout/stderr, and what the emulator holds.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../emulator/server';
import { sha256 } from '../../emulator/test-support';
import { CONNECTION_TOKEN_ENV } from '../../src/cli/args';
import { storedSha256, transcriptAttachments } from '../integration/support';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SAMPLES = 'test/fixtures/samples';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await emulator.close();
});

interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with only the environment given (plus PATH), so the machine's AWS_* settings play no part. */
function cli(args: readonly string[], env: Record<string, string> = {}): Promise<Outcome> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('connect-attachment (src/cli/main.ts)', () => {
  it('uploads a sample file with the token from the environment; it lands in the transcript byte for byte', async () => {
    const chat = await emulator.startChat();
    const outcome = await cli(['upload', `${SAMPLES}/sample.pdf`, '--endpoint-url', emulator.participantEndpoint], {
      [CONNECTION_TOKEN_ENV]: chat.connectionToken,
    });

    expect(outcome.stderr).toContain('sample.pdf: uploading\n');
    expect(outcome.status).toBe(0);
    const result = JSON.parse(outcome.stdout) as { attachmentId: string; name: string; sizeInBytes: number; contentType: string };
    expect(result).toEqual({ attachmentId: expect.any(String), name: 'sample.pdf', sizeInBytes: 9892, contentType: 'application/pdf' });
    const transcript = await transcriptAttachments(emulator, chat.connectionToken);
    expect(transcript).toEqual([{ attachmentId: result.attachmentId, name: 'sample.pdf', status: 'APPROVED' }]);
    const source = await readFile(`${root}${SAMPLES}/sample.pdf`);
    expect(await storedSha256(emulator, chat.contactId, result.attachmentId)).toBe(sha256(source));
    expect(outcome.stdout + outcome.stderr).not.toContain(chat.connectionToken);
  });

  it('--help prints the usage on stdout and exits 0', async () => {
    const outcome = await cli(['--help']);
    expect(outcome.status).toBe(0);
    expect(outcome.stdout).toMatch(/^Usage: connect-attachment upload FILE\.\.\./);
    expect(outcome.stdout).toContain(CONNECTION_TOKEN_ENV);
  });

  it('bad arguments exit 2 with the problem and a pointer to --help, and upload nothing', async () => {
    const chat = await emulator.startChat();
    const env = { [CONNECTION_TOKEN_ENV]: chat.connectionToken };
    const missingRegion = await cli(['upload', `${SAMPLES}/sample.txt`], env);
    const twoFilesOneName = await cli(
      ['upload', `${SAMPLES}/sample.txt`, `${SAMPLES}/sample.csv`, '--attachment-name', 'x.txt', '--endpoint-url', emulator.participantEndpoint],
      env,
    );
    for (const outcome of [missingRegion, twoFilesOneName]) {
      expect(outcome.status).toBe(2);
      expect(outcome.stdout).toBe('');
      expect(outcome.stderr).toContain('Run "connect-attachment --help" for usage.');
    }
    expect(missingRegion.stderr).toContain('No region');
    expect(twoFilesOneName.stderr).toContain('--attachment-name applies to a single FILE only.');
    expect(emulator.contactState(chat.contactId).calls.startAttachmentUpload).toBe(0);
  });

  it('a refused file exits 1 with its message; the token given as a flag is never printed', async () => {
    const chat = await emulator.startChat();
    const outcome = await cli([
      'upload',
      `${SAMPLES}/hostile/exe-as.pdf`,
      '--endpoint-url',
      emulator.participantEndpoint,
      '--connection-token',
      chat.connectionToken,
    ]);
    expect(outcome.status).toBe(1);
    expect(outcome.stdout).toBe('');
    expect(outcome.stderr).toContain(
      `connect-attachment: ${SAMPLES}/hostile/exe-as.pdf: Not a real .pdf file: its content is application/x-msdownload.\n`,
    );
    expect(outcome.stderr).not.toContain(chat.connectionToken);
    // The content check runs while Start is in flight (as in the browser): a spoofed file may cost a Start, whose
    // upload is abandoned — not a byte of the file is sent and nothing is completed.
    const state = emulator.contactState(chat.contactId);
    expect(state.calls.startAttachmentUpload).toBeLessThanOrEqual(1);
    expect(state.putStats.puts).toBe(0);
    expect(state.calls.completeAttachmentUpload).toBe(0);
    expect(state.attachments.filter((attachment) => attachment.state === 'COMPLETED')).toEqual([]);
  });

  it('a refusal by the service exits 1 with its message, without the token', async () => {
    const chat = await emulator.startChat();
    emulator.setFaults(chat.contactId, { attachmentQuota: 0 });
    const outcome = await cli(['upload', `${SAMPLES}/sample.png`, '--endpoint-url', emulator.participantEndpoint, `--connection-token=${chat.connectionToken}`]);
    expect(outcome.status).toBe(1);
    expect(outcome.stderr).toContain('sample.png: StartAttachmentUpload failed (ServiceQuotaExceededException): ');
    expect(outcome.stdout + outcome.stderr).not.toContain(chat.connectionToken);
  });
});
