/**
 * A tiny S3 stand-in on 127.0.0.1 for the presigned-PUT tests: it records what really arrived (headers, body
 * length), answers S3-style XML errors, resets, stalls, or holds a request until the test lets it go. It answers
 * CORS preflights so jsdom's XMLHttpRequest (which enforces CORS) can use it too.
 *
 * Paths: /ok · /error?status=&code=&message=&retryAfter= · /reset?after=N · /stall (never reads or answers) ·
 * /held (reads nothing until `release()`, answers 200 once `respond()` is called).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ArrivedPut {
  path: string;
  headers: IncomingMessage['headers'];
  bodyLength: number;
  /** The client went away before the body ended or before the reply (an abort, a stall). */
  closedEarly: boolean;
}

export interface PutServer {
  readonly origin: string;
  readonly puts: ArrivedPut[];
  /** Resolves when the next PUT has arrived (headers read). */
  nextArrival(): Promise<ArrivedPut>;
  /**
   * Resolves when `put` was closed by the client before it completed. A paused request does not notice its
   * connection closing, so this reads (and discards) what is left: a connection still open would be read to the
   * end and then wait for an answer, and this would never resolve.
   */
  closed(put: ArrivedPut): Promise<void>;
  /** /held: start reading the body. */
  release(): void;
  /** /held: answer 200 once the body is in (now, or when it ends). */
  respond(): void;
  close(): Promise<void>;
}

function xmlError(code: string, message: string): string {
  const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${escape(code)}</Code><Message>${escape(message)}</Message><RequestId>R1</RequestId></Error>`;
}

export async function startPutServer(): Promise<PutServer> {
  const puts: ArrivedPut[] = [];
  const sockets = new Set<Socket>();
  const waiters: ((put: ArrivedPut) => void)[] = [];
  const closeWaiters = new Map<ArrivedPut, () => void>();
  const requests = new Map<ArrivedPut, IncomingMessage>();
  let release = (): void => {};
  let respond = (): void => {};

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    response.setHeader('Access-Control-Allow-Origin', '*');
    if (request.method === 'OPTIONS') {
      response.writeHead(204, {
        'Access-Control-Allow-Methods': 'PUT',
        'Access-Control-Allow-Headers': request.headers['access-control-request-headers'] ?? '*',
      });
      response.end();
      return;
    }
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const put: ArrivedPut = { path: url.pathname, headers: request.headers, bodyLength: 0, closedEarly: false };
    puts.push(put);
    requests.set(put, request);
    waiters.shift()?.(put);
    response.on('close', () => {
      if (!response.writableFinished) {
        put.closedEarly = true;
        closeWaiters.get(put)?.();
      }
    });
    const count = (chunk: Buffer): void => {
      put.bodyLength += chunk.length;
    };
    const afterBody = (answer: () => void): void => {
      request.on('data', count);
      request.on('end', answer);
    };

    switch (url.pathname) {
      case '/ok':
        afterBody(() => response.writeHead(200, { ETag: '"e1"' }).end());
        return;
      case '/error': {
        const status = Number(url.searchParams.get('status'));
        const code = url.searchParams.get('code');
        const retryAfter = url.searchParams.get('retryAfter');
        afterBody(() => {
          response.writeHead(status, { 'Content-Type': 'application/xml', ...(retryAfter !== null && { 'Retry-After': retryAfter }) });
          response.end(code === null ? '' : xmlError(code, url.searchParams.get('message') ?? ''));
        });
        return;
      }
      case '/reset': {
        const after = Number(url.searchParams.get('after'));
        request.on('data', (chunk: Buffer) => {
          count(chunk);
          if (put.bodyLength >= after) request.socket.destroy();
        });
        return;
      }
      case '/stall':
        request.pause();
        return;
      case '/held': {
        request.pause();
        let ended = false;
        let wanted = false;
        const answer = (): void => {
          if (ended && wanted) response.writeHead(200).end();
        };
        release = () => {
          afterBody(() => {
            ended = true;
            answer();
          });
          request.resume(); // an explicit pause() outlives new 'data' listeners
        };
        respond = () => {
          wanted = true;
          answer();
        };
        return;
      }
      default:
        response.writeHead(404).end();
    }
  };

  const server = createServer(handle);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    origin: `http://127.0.0.1:${port}`,
    puts,
    nextArrival: () => new Promise((resolve) => waiters.push(resolve)),
    closed: (put) => {
      if (put.closedEarly) return Promise.resolve();
      const closed = new Promise<void>((resolve) => closeWaiters.set(put, resolve));
      requests.get(put)?.resume();
      return closed;
    },
    release: () => release(),
    respond: () => respond(),
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
