/**
 * The demo's Node side (`npm start`): plays the host's backend for the chat widget. It starts the local Connect
 * emulator (or targets a real instance with `--aws`), builds the page with Vite, serves it from a loopback HTTP
 * server under a strict Content-Security-Policy, and answers the page's backend calls: start a chat, and for the
 * agent view create a case and sign and forward its attached-file operations. AWS credentials stay here: the
 * browser only ever gets a ParticipantToken, as with a real widget, and never signs a Connect call itself.
 */
import { createReadStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  CompleteAttachedFileUploadCommand,
  ConnectClient,
  DeleteAttachedFileCommand,
  GetAttachedFileCommand,
  StartAttachedFileUploadCommand,
  StartChatContactCommand,
} from '@aws-sdk/client-connect';
import { build, createServer as createViteServer, type ViteDevServer } from 'vite';
import { startEmulator, type Emulator } from '../../emulator/server';
import type { AttachedFileRequest } from '../attached-files/types';
import { isRecord } from '../core/http-errors';
import { DISPLAY_NAME_MAX_LENGTH, type DemoConfig, type NewCaseReply, type StartChatReply } from './config';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VITE_CONFIG = join(REPO_ROOT, 'vite.config.ts');
const DEFAULT_PORT = 5173;
const DEFAULT_OUT_DIR = join(REPO_ROOT, 'dist-demo');
const DEFAULT_DATA_DIR = join(REPO_ROOT, '.emulator-data');
/** The start-chat body is a display name: anything bigger is not the page talking. */
const MAX_BODY_BYTES = 4096;
/** An attached-file call is `{operation, input}` with a file name, a few ids and maybe tags. */
const MAX_ATTACHED_FILE_BODY_BYTES = 16_384;
/** Long enough to watch the agent view's files go PROCESSING → APPROVED / REJECTED. */
const AGENT_SCAN_DELAY_MS = 1500;
const ATTACHED_FILE_OPERATIONS: ReadonlySet<string> = new Set<AttachedFileRequest['operation']>([
  'StartAttachedFileUpload',
  'CompleteAttachedFileUpload',
  'GetAttachedFile',
  'DeleteAttachedFile',
]);

/** A real Amazon Connect instance; StartChatContact is signed with the default AWS credential chain. */
export interface AwsTarget {
  region: string;
  instanceId: string;
  contactFlowId: string;
}

export interface DemoServerOptions {
  /** Default 5173; 0 picks a free port. Always bound to 127.0.0.1. */
  port?: number;
  /** Vite's dev server with hot reload instead of a production build (its injected scripts rule out the CSP). */
  dev?: boolean;
  /** Where the production build goes; default `dist-demo/`. */
  outDir?: string;
  /** Emulator S3 data; default `.emulator-data/`. */
  dataDir?: string;
  /** Emulator API port; default 0 (free). */
  emulatorPort?: number;
  /** Talk to this Connect instance instead of starting the emulator. */
  aws?: AwsTarget;
  /** The demo server's own failures. Never a token. */
  log?: (line: string) => void;
  /** The emulator's request lines and internal errors. Never a token. */
  emulatorLog?: (line: string) => void;
}

export interface DemoServer {
  readonly url: string;
  readonly config: DemoConfig;
  /** The in-process emulator, unless the target is AWS. */
  readonly emulator?: Emulator;
  close(): Promise<void>;
}

/** Who answers the Connect calls, and which origins the page may therefore connect to. */
interface ChatBackend {
  readonly config: DemoConfig;
  readonly connectOrigins: readonly string[];
  readonly emulator?: Emulator;
  /** Signs the agent view's attached-file operations. */
  readonly connect: ConnectClient;
  readonly instanceId: string;
  startChat(displayName: string): Promise<StartChatReply>;
  /** A fresh case for the agent view; only the emulator has cases to hand out. */
  newCaseArn?: () => string;
  close(): Promise<void>;
}

export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const log = options.log ?? (() => undefined);
  const backend = options.aws ? awsBackend(options.aws) : await emulatorBackend(options);
  const server = http.createServer();
  let vite: ViteDevServer | undefined;
  try {
    const outDir = resolve(options.outDir ?? DEFAULT_OUT_DIR);
    if (options.dev) {
      vite = await createViteServer({
        configFile: VITE_CONFIG,
        server: { middlewareMode: true, hmr: { server } },
        appType: 'spa',
      });
    } else {
      await build({ configFile: VITE_CONFIG, logLevel: 'warn', build: { outDir } });
    }
    const csp = contentSecurityPolicy(backend.connectOrigins);
    const devServer = vite;
    const cases = new Set<string>();
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      res.on('error', () => undefined);
      handle(req, res, { backend, csp, outDir, vite: devServer, origin: originOf(server), cases }, log).catch((error: unknown) => {
        log(`demo server error: ${error instanceof Error ? error.message : String(error)}`);
        if (!res.headersSent) sendJson(res, 500, { message: 'The demo server failed to handle this request.' });
        else res.destroy();
      });
    });
    await listen(server, options.port ?? DEFAULT_PORT);
  } catch (error) {
    await vite?.close();
    await backend.close();
    throw error;
  }

  return {
    url: `${originOf(server)}/`,
    config: backend.config,
    ...(backend.emulator ? { emulator: backend.emulator } : {}),
    close: async () => {
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
      await vite?.close();
      await backend.close();
    },
  };
}

async function emulatorBackend(options: DemoServerOptions): Promise<ChatBackend> {
  const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  await mkdir(dataDir, { recursive: true });
  // A visible scan for the agent view's attached files; chat attachments keep their verdict at once.
  const emulator = await startEmulator({
    dataDir,
    port: options.emulatorPort ?? 0,
    attachedFileScanDelayMs: AGENT_SCAN_DELAY_MS,
    ...(options.emulatorLog ? { log: options.emulatorLog } : {}),
  });
  // Signed with the emulator's documented dev credentials, exactly as a real backend signs with its own.
  const connect = new ConnectClient({
    endpoint: emulator.connectEndpoint,
    region: emulator.region,
    credentials: { ...emulator.credentials },
  });
  return {
    config: {
      target: 'emulator',
      region: emulator.region,
      participantEndpoint: emulator.participantEndpoint,
      controlEndpoint: `${emulator.participantEndpoint}/_emulator`,
    },
    connectOrigins: [emulator.participantEndpoint, emulator.s3Endpoint],
    emulator,
    connect,
    instanceId: emulator.instanceId,
    startChat: (displayName) => startChat(connect, emulator.instanceId, emulator.contactFlowId, displayName),
    newCaseArn: () => emulator.newCaseArn(),
    close: async () => {
      connect.destroy();
      await emulator.close();
    },
  };
}

function awsBackend(target: AwsTarget): ChatBackend {
  const connect = new ConnectClient({ region: target.region });
  const participantEndpoint = `https://participant.connect.${target.region}.amazonaws.com`;
  return {
    config: { target: 'aws', region: target.region, participantEndpoint },
    // The presigned attachment URLs point at Connect's S3 bucket, virtual-hosted or path style.
    connectOrigins: [
      participantEndpoint,
      'https://*.s3.amazonaws.com',
      `https://*.s3.${target.region}.amazonaws.com`,
      `https://s3.${target.region}.amazonaws.com`,
    ],
    connect,
    instanceId: target.instanceId,
    startChat: (displayName) => startChat(connect, target.instanceId, target.contactFlowId, displayName),
    close: async () => connect.destroy(),
  };
}

async function startChat(connect: ConnectClient, instanceId: string, contactFlowId: string, displayName: string): Promise<StartChatReply> {
  const reply = await connect.send(
    new StartChatContactCommand({ InstanceId: instanceId, ContactFlowId: contactFlowId, ParticipantDetails: { DisplayName: displayName } }),
  );
  if (!reply.ContactId || !reply.ParticipantId || !reply.ParticipantToken) {
    throw new Error('StartChatContact returned no ContactId, ParticipantId or ParticipantToken.');
  }
  return { contactId: reply.ContactId, participantId: reply.ParticipantId, participantToken: reply.ParticipantToken };
}

function contentSecurityPolicy(connectOrigins: readonly string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    `connect-src ${["'self'", ...connectOrigins].join(' ')}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

interface RequestContext {
  backend: ChatBackend;
  csp: string;
  outDir: string;
  vite: ViteDevServer | undefined;
  /** This server's own origin, for the same-origin check on the backend calls. */
  origin: string;
  /** The cases this server handed out: the only ones the agent view may attach files to. */
  cases: Set<string>;
}

async function handle(req: IncomingMessage, res: ServerResponse, ctx: RequestContext, log: (line: string) => void): Promise<void> {
  const method = req.method ?? 'GET';
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');

  if (path === '/demo-api/config') {
    if (method !== 'GET') return sendJson(res, 405, { message: 'Use GET.' }, { Allow: 'GET' });
    return sendJson(res, 200, ctx.backend.config);
  }
  if (path === '/demo-api/start-chat' || path === '/demo-api/cases' || path === '/demo-api/attached-files') {
    if (method !== 'POST') return sendJson(res, 405, { message: 'Use POST.' }, { Allow: 'POST' });
    // Only this page may call these: browsers send Origin on every POST, so another site is refused here.
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== ctx.origin) return sendJson(res, 403, { message: 'Cross-origin request refused.' });
    if (path === '/demo-api/cases') return newCase(res, ctx);
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
      return sendJson(res, 415, { message: 'Send a JSON body.' });
    }
    if (path === '/demo-api/attached-files') return forwardAttachedFile(req, res, ctx, log);
    const displayName = parseDisplayName(await readBody(req));
    if (displayName === undefined) {
      return sendJson(res, 400, { message: `displayName must be 1..${DISPLAY_NAME_MAX_LENGTH} characters.` });
    }
    try {
      return sendJson(res, 200, await ctx.backend.startChat(displayName), { 'Cache-Control': 'no-store' });
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      log(`StartChatContact failed: ${name}`);
      return sendJson(res, 502, { message: `StartChatContact failed (${name}).` });
    }
  }
  if (path.startsWith('/demo-api/')) return sendJson(res, 404, { message: `No demo API at ${path}.` });

  if (ctx.vite) {
    ctx.vite.middlewares(req, res);
    return;
  }
  res.setHeader('Content-Security-Policy', ctx.csp);
  if (method !== 'GET' && method !== 'HEAD') return sendText(res, 405, 'Method not allowed.', { Allow: 'GET, HEAD' });
  await serveFile(req, res, ctx.outDir, path);
}

function newCase(res: ServerResponse, ctx: RequestContext): void {
  const { newCaseArn, instanceId } = ctx.backend;
  if (newCaseArn === undefined) {
    return sendJson(res, 501, { message: 'The agent view needs the local emulator: it creates its cases there.' });
  }
  const associatedResourceArn = newCaseArn();
  ctx.cases.add(associatedResourceArn);
  const reply: NewCaseReply = { instanceId, associatedResourceArn };
  sendJson(res, 200, reply, { 'Cache-Control': 'no-store' });
}

/**
 * The host backend of `createAttachedFileClient({ backend })` (README, "Agent side"): signs and forwards one
 * `{operation, input}`, pinned to this instance and to a case this server created, and passes Connect's error
 * (status, `x-amzn-ErrorType`, `Message`, `Reason`, `Retry-After`) through so the page gets the same errors as in SDK mode.
 */
async function forwardAttachedFile(req: IncomingMessage, res: ServerResponse, ctx: RequestContext, log: (line: string) => void): Promise<void> {
  const refuse = (status: number, errorType: string, message: string) =>
    sendJson(res, status, { Message: message }, { 'x-amzn-ErrorType': errorType });
  const body = await readBody(req, MAX_ATTACHED_FILE_BODY_BYTES);
  let parsed: unknown;
  try {
    parsed = body === undefined ? undefined : JSON.parse(body);
  } catch {
    return refuse(400, 'SerializationException', 'The body is not JSON.');
  }
  if (!isRecord(parsed) || typeof parsed['operation'] !== 'string' || !ATTACHED_FILE_OPERATIONS.has(parsed['operation']) || !isRecord(parsed['input'])) {
    return refuse(400, 'InvalidRequestException', 'Send {"operation", "input"} with one of the four attached-file operations.');
  }
  const input = parsed['input'];
  const arn = input['AssociatedResourceArn'];
  if (typeof arn !== 'string' || !ctx.cases.has(arn)) return refuse(403, 'AccessDeniedException', 'Not a case of this demo.');
  // The operation is one of the four and the instance is pinned; Connect itself validates every other member.
  const request = { operation: parsed['operation'], input: { ...input, InstanceId: ctx.backend.instanceId } } as AttachedFileRequest;
  try {
    const { $metadata: _metadata, ...output } = await sendAttachedFile(ctx.backend.connect, request);
    return sendJson(res, 200, output, { 'Cache-Control': 'no-store' });
  } catch (error) {
    const facts = isRecord(error) ? error : {};
    const metadata = isRecord(facts['$metadata']) ? facts['$metadata'] : {};
    const status = typeof metadata['httpStatusCode'] === 'number' ? metadata['httpStatusCode'] : undefined;
    const name = typeof facts['name'] === 'string' ? facts['name'] : 'Error';
    if (status === undefined || facts['$fault'] === undefined) {
      log(`${request.operation} failed: ${name}`);
      return refuse(502, 'ServiceUnavailableException', `${request.operation} did not reach Connect.`);
    }
    const message = typeof facts['message'] === 'string' ? facts['message'] : name;
    const response = isRecord(facts['$response']) && isRecord(facts['$response']['headers']) ? facts['$response']['headers'] : {};
    const retryAfter: Record<string, string> = typeof response['retry-after'] === 'string' ? { 'Retry-After': response['retry-after'] } : {};
    return sendJson(res, status, { Message: message, ...(facts['Reason'] !== undefined && { Reason: facts['Reason'] }) }, { 'x-amzn-ErrorType': name, ...retryAfter });
  }
}

function sendAttachedFile(connect: ConnectClient, request: AttachedFileRequest): Promise<object & { $metadata?: unknown }> {
  switch (request.operation) {
    case 'StartAttachedFileUpload':
      return connect.send(new StartAttachedFileUploadCommand(request.input));
    case 'CompleteAttachedFileUpload':
      return connect.send(new CompleteAttachedFileUploadCommand(request.input));
    case 'GetAttachedFile':
      return connect.send(new GetAttachedFileCommand(request.input));
    case 'DeleteAttachedFile':
      return connect.send(new DeleteAttachedFileCommand(request.input));
  }
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

async function serveFile(req: IncomingMessage, res: ServerResponse, root: string, urlPath: string): Promise<void> {
  let relative: string;
  try {
    relative = decodeURIComponent(urlPath === '/' ? '/index.html' : urlPath);
  } catch {
    return sendText(res, 400, 'Bad path.');
  }
  const file = resolve(root, `.${relative}`);
  // Refuses `..`, encoded or not, and NUL: nothing outside the build is served.
  if (!file.startsWith(root + sep) || file.includes('\0')) return sendText(res, 404, 'Not found.');
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) return sendText(res, 404, 'Not found.');
  res.writeHead(200, {
    'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Length': String(info.size),
    // Vite puts a content hash in every name under assets/; the rest (index.html) must be revalidated.
    'Cache-Control': urlPath.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await new Promise<void>((done, fail) => {
    createReadStream(file).on('error', fail).pipe(res).on('finish', done).on('close', done);
  });
}

function parseDisplayName(body: string | undefined): string | undefined {
  if (body === undefined) return undefined;
  let value: unknown;
  try {
    value = body.trim() === '' ? {} : JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const name = (value as Record<string, unknown>)['displayName'] ?? 'Customer';
  if (typeof name !== 'string') return undefined;
  const trimmed = name.trim();
  return trimmed.length >= 1 && trimmed.length <= DISPLAY_NAME_MAX_LENGTH ? trimmed : undefined;
}

/** The body as text, or undefined when it is larger than `limit`. */
function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string | undefined> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.once('end', () => done(size <= limit ? Buffer.concat(chunks).toString('utf8') : undefined));
    req.once('error', fail);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

function listen(server: http.Server, port: number): Promise<void> {
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', fail);
      done();
    });
  });
}

function originOf(server: http.Server): string {
  const address = server.address() as AddressInfo | null;
  return `http://127.0.0.1:${address?.port ?? 0}`;
}

const USAGE = `Usage: npm start -- [--port P] [--dev] [--data-dir DIR] [--emulator-port P] [--out-dir DIR] [--verbose]
       npm start -- --aws --region R --instance-id ID --contact-flow-id ID
  (--aws values may also come from CONNECT_REGION/AWS_REGION, CONNECT_INSTANCE_ID, CONNECT_CONTACT_FLOW_ID)`;

function port(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535) throw new Error(`--${name} must be a port number, not ${JSON.stringify(value)}.`);
  return parsed;
}

async function main(): Promise<void> {
  // The SDK's notice that its releases after January 2027 need Node 22: the versions here are pinned, and the
  // notice would bury the URL people are looking for.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      dev: { type: 'boolean' },
      'data-dir': { type: 'string' },
      'emulator-port': { type: 'string' },
      'out-dir': { type: 'string' },
      verbose: { type: 'boolean' },
      aws: { type: 'boolean' },
      region: { type: 'string' },
      'instance-id': { type: 'string' },
      'contact-flow-id': { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let aws: AwsTarget | undefined;
  if (values.aws) {
    const region = values.region ?? process.env['CONNECT_REGION'] ?? process.env['AWS_REGION'];
    const instanceId = values['instance-id'] ?? process.env['CONNECT_INSTANCE_ID'];
    const contactFlowId = values['contact-flow-id'] ?? process.env['CONNECT_CONTACT_FLOW_ID'];
    if (!region || !instanceId || !contactFlowId) throw new Error('--aws needs a region, an instance id and a contact flow id.');
    aws = { region, instanceId, contactFlowId };
  }
  const demo = await startDemoServer({
    dev: values.dev === true,
    ...optional('port', port('port', values.port)),
    ...optional('emulatorPort', port('emulator-port', values['emulator-port'])),
    ...optional('dataDir', values['data-dir']),
    ...optional('outDir', values['out-dir']),
    ...optional('aws', aws),
    log: (line) => process.stderr.write(`[demo] ${line}\n`),
    ...(values.verbose ? { emulatorLog: (line: string) => process.stderr.write(`[emulator] ${line}\n`) } : {}),
  });
  const lines = [`Connect attachment demo: ${demo.url}`];
  if (demo.emulator) {
    lines.push(
      `  target:            local Connect emulator (S3 data in ${values['data-dir'] ?? '.emulator-data/'})`,
      `  participant API:   ${demo.emulator.participantEndpoint}`,
      `  Connect API:       ${demo.emulator.connectEndpoint} (SigV4 with ${demo.emulator.credentials.accessKeyId})`,
      `  S3:                ${demo.emulator.s3Endpoint}`,
      `  emulator control:  ${demo.emulator.participantEndpoint}/_emulator`,
    );
  } else {
    lines.push(`  target:            Amazon Connect (${demo.config.region}), participant API ${demo.config.participantEndpoint}`);
  }
  lines.push(values.dev ? '  mode:              Vite dev server (hot reload, no CSP)' : '  mode:              production build, strict CSP', 'Ctrl+C stops it.');
  process.stdout.write(`${lines.join('\n')}\n`);

  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    demo.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function optional<K extends keyof DemoServerOptions>(key: K, value: DemoServerOptions[K] | undefined): Partial<DemoServerOptions> {
  return value === undefined ? {} : { [key]: value };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    const hint = /EADDRINUSE/.test(message) ? ' (the port is taken: choose another with --port)' : '';
    process.stderr.write(`demo: ${message}${hint}\n${USAGE}\n`);
    process.exit(1);
  });
}
