/**
 * Servers for the attached-file client tests, on 127.0.0.1: the host backend exactly as the README shows it
 * (forwarding each operation to Connect with the official SDK), and a canned server for replies Connect would
 * only give on a bad day.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buffer } from 'node:stream/consumers';
import {
  CompleteAttachedFileUploadCommand,
  DeleteAttachedFileCommand,
  GetAttachedFileCommand,
  StartAttachedFileUploadCommand,
  type ConnectClient,
  type StartAttachedFileUploadCommandInput,
} from '@aws-sdk/client-connect';

export interface TestServer {
  readonly url: string;
  /** Bodies received, parsed as JSON. */
  readonly received: unknown[];
  close(): Promise<void>;
}

async function serve(handle: (req: IncomingMessage, res: ServerResponse, body: string) => Promise<void>): Promise<TestServer> {
  const received: unknown[] = [];
  const server = http.createServer((req, res) => {
    buffer(req)
      .then(async (raw) => {
        const body = raw.toString('utf8');
        received.push(body === '' ? undefined : (JSON.parse(body) as unknown));
        await handle(req, res, body);
      })
      .catch(() => {
        res.writeHead(500).end();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/connect/attached-files`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body));
}

// ---- The README's backend, with a plain Node server in place of the host's framework. ----

type Input = Record<string, unknown> & { InstanceId: string; AssociatedResourceArn: string };

/** The official command for an operation name, or undefined for anything else. */
function send(connect: ConnectClient, operation: unknown, input: Input): Promise<object> | undefined {
  const file = { ...input, FileId: String(input['FileId']) };
  switch (operation) {
    case 'StartAttachedFileUpload':
      return connect.send(new StartAttachedFileUploadCommand(input as Input & StartAttachedFileUploadCommandInput));
    case 'CompleteAttachedFileUpload':
      return connect.send(new CompleteAttachedFileUploadCommand(file));
    case 'GetAttachedFile':
      return connect.send(new GetAttachedFileCommand(file));
    case 'DeleteAttachedFile':
      return connect.send(new DeleteAttachedFileCommand(file));
    default:
      return undefined;
  }
}

/**
 * Forwards `{operation, input}` with the backend's own ConnectClient. It pins the instance and answers 403 to a
 * request without the agent's session header (where a real host checks its session and the agent's access to
 * the case); errors go back with their status, name, `Reason` and `Retry-After`.
 */
export function startBackend(connect: ConnectClient, options: { instanceId: string; session: string }): Promise<TestServer> {
  return serve(async (req, res, body) => {
    if (req.headers['x-agent-session'] !== options.session) {
      json(res, 403, { Message: 'Sign in first.' }, { 'x-amzn-ErrorType': 'AccessDeniedException' });
      return;
    }
    const { operation, input } = JSON.parse(body) as { operation: unknown; input: Input };
    // The input's own InstanceId is ignored: the backend decides which instance the browser may touch.
    const sent = send(connect, operation, { ...input, InstanceId: options.instanceId });
    if (sent === undefined) {
      json(res, 400, { Message: 'Unknown operation.' }, { 'x-amzn-ErrorType': 'InvalidRequestException' });
      return;
    }
    try {
      const { $metadata: _, ...output } = (await sent) as { $metadata?: unknown };
      json(res, 200, output);
    } catch (error) {
      const e = error as { name: string; message: string; Reason?: unknown; $metadata?: { httpStatusCode?: number }; $response?: { headers: Record<string, string> } };
      const retryAfter = e.$response?.headers['retry-after'];
      json(res, e.$metadata?.httpStatusCode ?? 500, { Message: e.message, Reason: e.Reason }, { 'x-amzn-ErrorType': e.name, ...(retryAfter && { 'Retry-After': retryAfter }) });
    }
  });
}

/** Answers every request with the same reply. */
export function startCanned(reply: { status: number; headers?: Record<string, string>; body: string }): Promise<TestServer> {
  return serve(async (_req, res) => {
    res.writeHead(reply.status, { 'Content-Type': 'application/json', ...reply.headers }).end(reply.body);
  });
}
