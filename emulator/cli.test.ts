import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ConnectClient, StartChatContactCommand } from '@aws-sdk/client-connect';
import { ConnectParticipantClient, StartAttachmentUploadCommand } from '@aws-sdk/client-connectparticipant';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const directories: string[] = [];

afterAll(async () => {
  await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
});

interface ReadyLine {
  participantEndpoint: string;
  connectEndpoint: string;
  s3Endpoint: string;
  controlEndpoint: string;
  region: string;
  instanceId: string;
  contactFlowId: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  contactId: string;
  connectionToken: string;
}

describe('npm run emulator (emulator/cli.ts)', () => {
  it('prints one ready JSON line that works at once, and stops cleanly on SIGTERM', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'emulator-cli-'));
    directories.push(dataDir);
    const child = spawn(process.execPath, ['--import', 'tsx', 'emulator/cli.ts', '--port', '0', '--data-dir', dataDir, '--quiet'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const lines = createInterface({ input: child.stdout });
      const first = await new Promise<string>((resolve, reject) => {
        lines.once('line', resolve);
        child.once('exit', (code) => reject(new Error(`emulator exited with ${code} before it was ready`)));
      });
      const ready = JSON.parse(first) as ReadyLine;
      expect(ready.connectEndpoint).toBe(ready.participantEndpoint);
      expect(ready.controlEndpoint).toBe(`${ready.participantEndpoint}/_emulator`);
      expect(ready.s3Endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      const participant = new ConnectParticipantClient({
        endpoint: ready.participantEndpoint,
        region: ready.region,
        credentials: { accessKeyId: '', secretAccessKey: '' },
      });
      const started = await participant.send(
        new StartAttachmentUploadCommand({
          ConnectionToken: ready.connectionToken,
          AttachmentName: 'a.txt',
          AttachmentSizeInBytes: 1,
          ContentType: 'text/plain',
        }),
      );
      expect(started.UploadMetadata?.Url?.startsWith(ready.s3Endpoint)).toBe(true);

      const connect = new ConnectClient({ endpoint: ready.connectEndpoint, region: ready.region, credentials: ready.credentials });
      const chat = await connect.send(
        new StartChatContactCommand({
          InstanceId: ready.instanceId,
          ContactFlowId: ready.contactFlowId,
          ParticipantDetails: { DisplayName: 'CLI' },
        }),
      );
      expect(chat.ParticipantToken).toBeTruthy();
      expect(await readdir(dataDir)).toContain('connect-attachments');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('refuses a bad option with a usage message', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'emulator/cli.ts', '--port', 'eighty'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('--port must be an integer');
    expect(stderr).toContain('Usage: npm run emulator');
  });
});
