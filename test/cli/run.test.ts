/**
 * The CLI's logic in-process: argument parsing as a pure function, and `run` with injected streams and
 * environment against a real emulator (the child-process tests in cli.test.ts cover the wiring to a process).
 */
import { copyFile, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../../emulator/server';
import type { ChatSession } from '../../emulator/connect';
import { CONNECTION_TOKEN_ENV, parseCliArgs, secretsIn, UsageError } from '../../src/cli/args';
import { createProgressReporter, formatBytes, terminalSafe } from '../../src/cli/progress';
import { CLI_MAX_FILE_SIZE_BYTES, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, run } from '../../src/cli/run';
import type { UploadItem, UploadQueueState } from '../../src/core/queue';
import { sourceFile, storedSha256, transcriptAttachments, until } from '../integration/support';

const SAMPLES = fileURLToPath(new URL('../fixtures/samples/', import.meta.url));
const TOKEN = 'EMU-C.not-a-real-token-but-long-enough-to-spot';

describe('parseCliArgs', () => {
  const env = { [CONNECTION_TOKEN_ENV]: TOKEN };

  it('reads upload options named as the AWS CLI names them', () => {
    expect(
      parseCliArgs(
        ['upload', 'a.pdf', '--endpoint-url', 'http://127.0.0.1:1', '--content-type', 'application/pdf', '--attachment-name', 'b.pdf', '--client-token', 'ct', '--output', 'text'],
        env,
      ),
    ).toEqual({
      command: 'upload',
      files: ['a.pdf'],
      connectionToken: TOKEN,
      endpointUrl: 'http://127.0.0.1:1',
      contentType: 'application/pdf',
      attachmentName: 'b.pdf',
      clientToken: 'ct',
      output: 'text',
    });
  });

  it('takes the token from the flag over the environment, and the region from AWS_REGION, then AWS_DEFAULT_REGION', () => {
    expect(parseCliArgs(['upload', 'a', 'b', '--connection-token=flag-token', '--region', 'eu-west-2'], env)).toMatchObject({
      files: ['a', 'b'],
      connectionToken: 'flag-token',
      region: 'eu-west-2',
      output: 'json',
    });
    expect(parseCliArgs(['upload', 'a'], { ...env, AWS_DEFAULT_REGION: 'ap-south-1' })).toMatchObject({ region: 'ap-south-1' });
    expect(parseCliArgs(['upload', 'a'], { ...env, AWS_REGION: 'us-west-2', AWS_DEFAULT_REGION: 'ap-south-1' })).toMatchObject({ region: 'us-west-2' });
    // An endpoint makes any region from the environment irrelevant.
    const withEndpoint = parseCliArgs(['upload', 'a', '--endpoint-url', 'https://x.example'], { ...env, AWS_REGION: 'us-west-2' });
    expect(withEndpoint).not.toHaveProperty('region');
  });

  it.each([
    ['no command', [], /No command/],
    ['an unknown command', ['download', 'a'], /Unknown command "download"/],
    ['no FILE', ['upload'], /No FILE/],
    ['an unknown option', ['upload', 'a', '--region', 'us-east-1', '--bogus'], /Unknown option '--bogus'/],
    ['an option without its value', ['upload', 'a', '--region'], /--region/],
    ['both --region and --endpoint-url', ['upload', 'a', '--region', 'us-east-1', '--endpoint-url', 'http://127.0.0.1:1'], /not both/],
    ['no region at all', ['upload', 'a'], /No region/],
    ['an unknown --output', ['upload', 'a', '--region', 'us-east-1', '--output', 'yaml'], /--output must be json or text/],
    ['--content-type with two files', ['upload', 'a', 'b', '--region', 'us-east-1', '--content-type', 'text/plain'], /--content-type applies to a single FILE/],
    ['--attachment-name with two files', ['upload', 'a', 'b', '--region', 'us-east-1', '--attachment-name', 'x.txt'], /--attachment-name applies to a single FILE/],
    ['--client-token with two files', ['upload', 'a', 'b', '--region', 'us-east-1', '--client-token', 'x'], /--client-token applies to a single FILE/],
    ['a --client-token over 500 characters', ['upload', 'a', '--region', 'us-east-1', '--client-token', 'x'.repeat(501)], /1 to 500 characters/],
  ])('%s is a usage error', (_label, argv, message) => {
    expect(() => parseCliArgs(argv, env)).toThrow(UsageError);
    expect(() => parseCliArgs(argv, env)).toThrow(message);
  });

  it('needs a ConnectionToken from the flag or the environment', () => {
    expect(() => parseCliArgs(['upload', 'a', '--region', 'us-east-1'], {})).toThrow(new RegExp(CONNECTION_TOKEN_ENV));
    expect(() => parseCliArgs(['upload', 'a', '--region', 'us-east-1'], { [CONNECTION_TOKEN_ENV]: '' })).toThrow(UsageError);
  });

  it('--help and -h anywhere ask for help', () => {
    expect(parseCliArgs(['--help'], {})).toEqual({ command: 'help' });
    expect(parseCliArgs(['upload', '-h'], {})).toEqual({ command: 'help' });
    expect(parseCliArgs(['help'], {})).toEqual({ command: 'help' });
  });

  it('secretsIn finds the token in the environment and after --connection-token, in both spellings', () => {
    expect(secretsIn(['upload', '--connection-token', 'one', '--connection-token=two', 'f'], { [CONNECTION_TOKEN_ENV]: 'zero' })).toEqual([
      'zero',
      'one',
      'two',
    ]);
  });
});

describe('progress', () => {
  const base = { file: new File(['x'], 'a.txt'), sizeInBytes: 2048, bytesSent: 0, attempt: 1 } as const;
  const item = (id: string, name: string, patch: Partial<UploadItem>): UploadItem => ({ ...base, id, name, status: 'queued', ...patch });
  const sink = (isTTY: boolean, columns?: number) => {
    const chunks: string[] = [];
    return { chunks, write: (text: string) => chunks.push(text), isTTY, ...(columns === undefined ? {} : { columns }) };
  };
  const state = (items: UploadItem[]): UploadQueueState => ({
    items,
    totalBytes: items.reduce((sum, i) => sum + i.sizeInBytes, 0),
    bytesSent: items.reduce((sum, i) => sum + i.bytesSent, 0),
  });

  it('off a terminal: one plain line per step of a file, none for mere progress', () => {
    const out = sink(false);
    const reporter = createProgressReporter(out, () => 1_000);
    reporter.update(state([item('1', 'a.txt', { status: 'uploading' })]));
    reporter.update(state([item('1', 'a.txt', { status: 'uploading', bytesSent: 1024 })]));
    reporter.update(state([item('1', 'a.txt', { status: 'uploading', bytesSent: 2048, attempt: 2 })]));
    reporter.update(state([item('1', 'a.txt', { status: 'done', attachment: { attachmentId: 'att-1', name: 'a.txt', sizeInBytes: 2048, contentType: 'text/plain' } })]));
    reporter.finish();
    expect(out.chunks.join('')).toBe('a.txt: uploading\na.txt: uploading (attempt 2)\na.txt: uploaded as att-1\n');
  });

  it('on a terminal: one line rewritten in place, no wider than the terminal, cleared at the end', () => {
    const out = sink(true, 60);
    const reporter = createProgressReporter(out, () => 1_000);
    reporter.update(state([item('1', 'report.pdf', { status: 'uploading', bytesSent: 512 }), item('2', 'b.txt', {})]));
    reporter.update(state([item('1', 'report.pdf', { status: 'uploading', bytesSent: 512 }), item('2', 'b.txt', {})]));
    reporter.update(state([item('1', 'report.pdf', { status: 'retrying', attempt: 2, retryAt: 1_500 }), item('2', 'b.txt', {})]));
    reporter.finish();
    expect(out.chunks).toHaveLength(3);
    // 59 characters at most, the last one an ellipsis when cut.
    expect(out.chunks[0]).toBe('\r\x1b[2KUploading: 0 of 2 files, 512 B of 4.0 KiB (12%) · report.p…');
    expect(out.chunks[1]).toBe('\r\x1b[2KUploading: 0 of 2 files, 0 B of 4.0 KiB (0%) · report.pdf:…');
    expect(out.chunks[2]).toBe('\r\x1b[2K');
  });

  it('names and server messages cannot send escape sequences to the terminal', () => {
    expect(terminalSafe('evil\x1b]0;owned\x07\u202Etxt.exe')).toBe('evil\uFFFD]0;owned\uFFFD\uFFFDtxt.exe');
    // Right-to-left and left-to-right marks reorder neutral characters such as "." around them.
    expect(terminalSafe('invoice\u200F.pdf\u200E.exe')).toBe('invoice\uFFFD.pdf\uFFFD.exe');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(20 * 1024 * 1024)).toBe('20.0 MiB');
  });
});

describe('run against the emulator', () => {
  let emulator: Emulator;
  let directory: string;
  beforeAll(async () => {
    emulator = await startEmulator();
    directory = await mkdtemp(join(tmpdir(), 'cli-run-'));
  });
  afterAll(async () => {
    await emulator.close();
    await rm(directory, { recursive: true, force: true });
  });

  function streams(isTTY = false) {
    const stdout: string[] = [];
    const stderr: string[] = [];
    return {
      stdout,
      stderr,
      context: (env: Record<string, string>, signal?: AbortSignal) => ({
        stdout: { write: (text: string) => stdout.push(text) },
        stderr: { write: (text: string) => stderr.push(text), isTTY, columns: 100 },
        env,
        ...(signal === undefined ? {} : { signal }),
      }),
    };
  }

  async function written(name: string, size: number) {
    const source = sourceFile(name, size);
    const path = join(directory, name);
    await writeFile(path, source.bytes);
    return { ...source, path };
  }

  const endpoint = () => ['--endpoint-url', emulator.participantEndpoint];
  const tokenEnv = (chat: ChatSession) => ({ [CONNECTION_TOKEN_ENV]: chat.connectionToken });

  it('uploads several files and prints one JSON object per file in argument order', async () => {
    const chat = await emulator.startChat();
    const files = [await written('one.pdf', 3000), await written('two.png', 70_000), await written('three.txt', 10)];
    const io = streams();

    const status = await run(['upload', ...files.map((f) => f.path), ...endpoint()], io.context(tokenEnv(chat)));

    expect(status).toBe(EXIT_OK);
    const results = io.stdout.join('').trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(results.map(({ name, sizeInBytes, contentType }) => ({ name, sizeInBytes, contentType }))).toEqual([
      { name: 'one.pdf', sizeInBytes: 3000, contentType: 'application/pdf' },
      { name: 'two.png', sizeInBytes: 70_000, contentType: 'image/png' },
      { name: 'three.txt', sizeInBytes: 10, contentType: 'text/plain' },
    ]);
    expect(Object.keys(results[0]!).sort()).toEqual(['attachmentId', 'contentType', 'name', 'sizeInBytes']);
    for (const [i, result] of results.entries()) {
      expect(await storedSha256(emulator, chat.contactId, String(result['attachmentId']))).toBe(files[i]!.sha256);
    }
    const stderr = io.stderr.join('');
    expect(stderr).toContain('two.png: uploading\n');
    expect(stderr).toContain(`three.txt: uploaded as ${String(results[2]!['attachmentId'])}\n`);
    expect(stderr.endsWith('Uploaded 3 of 3 files (71.3 KiB).\n')).toBe(true);
  });

  it('--output text, --attachment-name and --content-type (an alias; the canonical type is sent)', async () => {
    const chat = await emulator.startChat();
    const io = streams();
    const status = await run(
      ['upload', join(SAMPLES, 'sample.rtf'), ...endpoint(), '--output', 'text', '--attachment-name', 'Minutes.rtf', '--content-type', 'text/rtf'],
      io.context(tokenEnv(chat)),
    );
    expect(status).toBe(EXIT_OK);
    const [attachmentId, ...rest] = io.stdout.join('').trimEnd().split('\t');
    expect(rest).toEqual(['Minutes.rtf', '2366', 'application/rtf']);
    expect((await transcriptAttachments(emulator, chat.connectionToken)).map((a) => [a.attachmentId, a.name])).toEqual([[attachmentId, 'Minutes.rtf']]);
  });

  it('a file that is not the --content-type is refused with exit 1', async () => {
    const chat = await emulator.startChat();
    const io = streams();
    const status = await run(['upload', join(SAMPLES, 'sample.txt'), ...endpoint(), '--content-type', 'application/pdf'], io.context(tokenEnv(chat)));
    expect(status).toBe(EXIT_FAILED);
    expect(io.stderr.join('')).toContain('sample.txt: "sample.txt" is not application/pdf: its extension is .txt.');
    expect(io.stdout).toEqual([]);
    expect(emulator.contactState(chat.contactId).calls.startAttachmentUpload).toBe(0);
  });

  it('the same --client-token again reuses the attachment: one transcript item, not two', async () => {
    const chat = await emulator.startChat();
    const argv = ['upload', join(SAMPLES, 'sample.docx'), ...endpoint(), '--client-token', 'ticket-4711-attachment', '--output', 'text'];
    const first = streams();
    const second = streams();
    expect(await run(argv, first.context(tokenEnv(chat)))).toBe(EXIT_OK);
    expect(await run(argv, second.context(tokenEnv(chat)))).toBe(EXIT_OK);
    expect(second.stdout).toEqual(first.stdout);
    expect(await transcriptAttachments(emulator, chat.connectionToken)).toHaveLength(1);
  });

  it('uploads the good files and exits 1 for the missing, the unreadable and the refused, with their messages', async () => {
    const chat = await emulator.startChat();
    const good = await written('good.csv', 200);
    const escapes = await written('bell\x07\x1b[2J.txt', 10);
    const io = streams();
    const missing = join(directory, 'missing.pdf');
    const status = await run(
      ['upload', missing, good.path, directory, join(SAMPLES, 'hostile', 'zip-as.docx'), escapes.path, ...endpoint()],
      io.context(tokenEnv(chat)),
    );

    expect(status).toBe(EXIT_FAILED);
    expect(io.stdout.join('')).toMatch(/^\{"attachmentId":"[^"]+","name":"good.csv","sizeInBytes":200,"contentType":"text\/csv"\}\n$/);
    const stderr = io.stderr.join('');
    expect(stderr).toContain(`connect-attachment: ${missing}: no such file\n`);
    expect(stderr).toContain(`connect-attachment: ${directory}: not a regular file\n`);
    expect(stderr).toContain('zip-as.docx: Not a real .docx file: its content is application/zip.\n');
    expect(stderr).toContain('bell\uFFFD\uFFFD[2J.txt: The name has a control character, a path separator or broken Unicode.\n');
    expect(stderr).not.toMatch(/[\x07\x1b]/);
    expect(stderr.endsWith('Uploaded 1 of 5 files (200 B).\n')).toBe(true);
  });

  it("the instance's size limit is Connect's to enforce; over 100 MiB, the most it can be, is refused before any request", async () => {
    const chat = await emulator.startChat();
    // Sparse files: a real MP4 head, then zeros that take no disk space.
    const [over20, over100] = [join(directory, 'over-20.mp4'), join(directory, 'over-100.mp4')];
    for (const [path, size] of [[over20, 21 * 1024 * 1024], [over100, CLI_MAX_FILE_SIZE_BYTES + 1]] as const) {
      await copyFile(join(SAMPLES, 'sample.mp4'), path);
      await truncate(path, size);
    }
    const io = streams();
    expect(await run(['upload', over20, over100, ...endpoint()], io.context(tokenEnv(chat)))).toBe(EXIT_FAILED);
    const stderr = io.stderr.join('');
    expect(stderr).toContain('over-20.mp4: StartAttachmentUpload failed (ValidationException): The attachment is 22020096 bytes; the maximum attachment size is 20971520 bytes.');
    expect(stderr).toContain('over-100.mp4: The file is 104857601 bytes; the limit is 104857600 bytes.');
    expect(emulator.contactState(chat.contactId).calls.startAttachmentUpload).toBe(1);
  });

  it('a ConnectionToken given as a flag never appears in the output, even when it is refused', async () => {
    const chat = await emulator.startChat();
    emulator.setFaults(chat.contactId, { expireConnectionTokens: true });
    const io = streams();
    const status = await run(['upload', join(SAMPLES, 'sample.jpg'), ...endpoint(), '--connection-token', chat.connectionToken, '--bogus'], io.context({}));
    expect(status).toBe(EXIT_USAGE);
    const refused = streams();
    expect(await run(['upload', join(SAMPLES, 'sample.jpg'), ...endpoint(), `--connection-token=${chat.connectionToken}`], refused.context({}))).toBe(
      EXIT_FAILED,
    );
    expect(refused.stderr.join('')).toMatch(/sample\.jpg: StartAttachmentUpload failed \(AccessDeniedException\): .*ConnectionToken has expired/);
    for (const text of [...io.stdout, ...io.stderr, ...refused.stdout, ...refused.stderr]) expect(text).not.toContain(chat.connectionToken);
  });

  it('on a terminal the progress line is rewritten in place and cleared before the summary', async () => {
    const chat = await emulator.startChat();
    const io = streams(true);
    expect(await run(['upload', join(SAMPLES, 'sample.xlsx'), ...endpoint()], io.context(tokenEnv(chat)))).toBe(EXIT_OK);
    const progress = io.stderr.slice(0, -1);
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.every((chunk) => chunk.startsWith('\r\x1b[2K') && !chunk.includes('\n'))).toBe(true);
    expect(progress.at(-1)).toBe('\r\x1b[2K');
    expect(io.stderr.at(-1)).toBe('Uploaded 1 of 1 file (4.8 KiB).\n');
  });

  it('an abort (Ctrl-C) cancels what is running, reports what was uploaded and exits 130', async () => {
    const chat = await emulator.startChat();
    emulator.setFaults(chat.contactId, { put: { bandwidthBytesPerSecond: 50_000 } });
    const slow = await written('slow.mp4', 2_000_000);
    const quick = await written('quick.txt', 100);
    const controller = new AbortController();
    const io = streams();
    const status = run(['upload', slow.path, quick.path, ...endpoint()], io.context(tokenEnv(chat), controller.signal));
    await until(() => io.stderr.some((line) => line.startsWith('quick.txt: uploaded as')) && emulator.contactState(chat.contactId).putStats.puts === 2);
    controller.abort();

    expect(await status).toBe(EXIT_INTERRUPTED);
    expect(io.stdout.join('')).toContain('"name":"quick.txt"');
    expect(io.stderr.at(-1)).toBe('connect-attachment: interrupted; 1 of 2 files were uploaded (100 B).\n');
    const state = emulator.contactState(chat.contactId);
    expect(state.attachments.map((a) => [a.name, a.state])).toEqual([
      ['slow.mp4', 'PENDING'],
      ['quick.txt', 'COMPLETED'],
    ]);
  });
});
