import type S3rver from '@20minutes/s3rver';
import { randomBytes } from 'node:crypto';
import http, { type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { pipeline, Transform, type TransformCallback } from 'node:stream';
import type { PutFaultRegistry } from './faults';

/**
 * The public face of the local S3: a forwarding proxy to s3rver (on a private port) that refuses unsigned
 * requests, which s3rver would accept, and injects the per-scope PUT faults. Faulted PUTs never reach s3rver,
 * so they store nothing and the signature of the URL stays good for the next attempt.
 */
export interface FrontOptions {
  /** s3rver's port on 127.0.0.1. */
  upstreamPort: number;
  agent: http.Agent;
  bucket: string;
  store: S3rver['store'];
  faults: PutFaultRegistry;
}

// Connection-level headers that belong to one hop, not to the request forwarded to s3rver.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'expect']);

const MESSAGES: Readonly<Record<string, string>> = {
  AccessDenied: 'Access Denied',
  InternalError: 'We encountered an internal error. Please try again.',
  SlowDown: 'Please reduce your request rate.',
  ServiceUnavailable: 'Please reduce your request rate.',
  RequestTimeout: 'Your socket connection to the server was not read from or written to within the timeout period.',
};

export function createFrontHandler(options: FrontOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { bucket, store, faults } = options;

  /** The CORS headers s3rver adds to a (non-preflight) response, so a browser can read a refusal we make. */
  async function corsHeaders(req: IncomingMessage, target: Target): Promise<Record<string, string>> {
    const origin = req.headers.origin;
    if (!origin || target.bucket !== bucket) return {};
    const rule = (await store.getSubresource(bucket, undefined, 'cors'))?.matchRule(origin, req.method ?? 'GET');
    if (!rule) return {};
    return {
      'Access-Control-Allow-Origin': rule.hasWildcardOrigin ? '*' : origin,
      ...(rule.exposeHeaders.length > 0 && { 'Access-Control-Expose-Headers': rule.exposeHeaders.join(', ') }),
      ...(rule.maxAgeSeconds !== undefined && { 'Access-Control-Max-Age': String(rule.maxAgeSeconds) }),
      'Access-Control-Allow-Credentials': 'true',
      Vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = parseTarget(req.url);
    if (req.method !== 'OPTIONS' && !req.headers.authorization && !target.query.has('X-Amz-Signature')) {
      await drain(req);
      sendError(res, 403, 'AccessDenied', await corsHeaders(req, target));
      return;
    }
    const scope = req.method === 'PUT' && target.bucket === bucket ? target.scope : undefined;
    if (scope === undefined) {
      forward(req, res, options);
      return;
    }
    const fault = faults.take(scope);
    switch (fault?.kind) {
      case 'fail':
        await drain(req);
        sendError(res, fault.status, fault.code, await corsHeaders(req, target));
        return;
      case 'reset':
        afterBodyBytes(req, fault.afterBytes, () => req.socket.resetAndDestroy());
        return;
      case 'stall':
        // Never answered: the client gives up, or close() destroys the connection.
        afterBodyBytes(req, fault.afterBytes, () => req.pause());
        return;
      case undefined:
        forward(req, res, options, scope, faults.get(scope).bandwidthBytesPerSecond);
    }
  }

  return (req, res) => {
    handle(req, res).catch(() => res.destroy());
  };
}

interface Target {
  bucket?: string;
  /** The second segment of the object key (`<prefix>/<scope>/<rest>`), when the key has that form. */
  scope?: string;
  query: URLSearchParams;
}

function parseTarget(url = '/'): Target {
  const { pathname, searchParams } = new URL(url, 'http://s3.local');
  try {
    const [bucket, ...key] = pathname.slice(1).split('/').map(decodeURIComponent);
    return { bucket, scope: key.length >= 3 && key[1] ? key[1] : undefined, query: searchParams };
  } catch {
    return { query: searchParams }; // malformed percent-encoding: s3rver refuses it
  }
}

function forward(req: IncomingMessage, res: ServerResponse, options: FrontOptions, scope?: string, bytesPerSecond?: number): void {
  const upstream = http.request({
    host: '127.0.0.1',
    port: options.upstreamPort,
    agent: options.agent,
    method: req.method,
    path: req.url,
    // The Host header is kept: the signature covers it.
    headers: withoutHopByHop(req.headers),
  });
  const throttle = bytesPerSecond ? new Throttle(bytesPerSecond) : undefined;
  let clientGone = false;
  res.on('close', () => {
    if (res.writableFinished) return;
    clientGone = true;
    upstream.destroy();
    throttle?.destroy();
  });
  upstream.on('response', (answer) => {
    const status = answer.statusCode ?? 502;
    if (scope !== undefined) options.faults.recordAnswer(scope, status);
    const headers: OutgoingHttpHeaders = withoutHopByHop(answer.headers);
    headers['x-amz-request-id'] ??= requestId();
    res.writeHead(status, headers);
    pipeline(answer, res, () => undefined);
  });
  upstream.on('error', () => {
    if (clientGone) return;
    if (res.headersSent) res.destroy();
    else sendError(res, 502, 'InternalError', {});
  });
  (throttle ? req.pipe(throttle) : req).pipe(upstream);
}

function withoutHopByHop(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
}

/** Runs `action` once `bytes` body bytes have arrived (or the body ended before that). */
function afterBodyBytes(req: IncomingMessage, bytes: number, action: () => void): void {
  if (bytes === 0) {
    action();
    return;
  }
  let seen = 0;
  const fire = (): void => {
    req.off('data', onData).off('end', fire);
    action();
  };
  const onData = (chunk: Buffer): void => {
    seen += chunk.length;
    if (seen >= bytes) fire();
  };
  req.on('data', onData).on('end', fire);
}

/** Reads and discards the body, so the client sees the answer rather than a write error. */
function drain(req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    req.on('end', resolve).on('close', resolve).resume();
  });
}

function sendError(res: ServerResponse, status: number, code: string, headers: Record<string, string>): void {
  const id = requestId();
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(MESSAGES[code] ?? code)}</Message><RequestId>${id}</RequestId></Error>`;
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/xml',
    'Content-Length': Buffer.byteLength(body),
    'x-amz-request-id': id,
  });
  res.end(body);
}

function requestId(): string {
  return randomBytes(8).toString('hex').toUpperCase();
}

const XML_ENTITIES: Readonly<Record<string, string>> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' };

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => XML_ENTITIES[c] ?? c);
}

/** Lets bytes through at `bytesPerSecond`, in slices of ~50 ms so the flow stays smooth. */
class Throttle extends Transform {
  private readonly sliceBytes: number;
  private startedAt = -1;
  private passed = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly bytesPerSecond: number) {
    super();
    this.sliceBytes = Math.max(1, Math.floor(bytesPerSecond / 20));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.startedAt < 0) this.startedAt = Date.now();
    this.passSlices(chunk, 0, callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.timer);
    callback(error);
  }

  private passSlices(chunk: Buffer, offset: number, callback: TransformCallback): void {
    if (offset >= chunk.length) {
      callback();
      return;
    }
    const slice = chunk.subarray(offset, offset + this.sliceBytes);
    this.passed += slice.length;
    const due = this.startedAt + (this.passed / this.bytesPerSecond) * 1000;
    this.timer = setTimeout(() => {
      this.push(slice);
      this.passSlices(chunk, offset + slice.length, callback);
    }, Math.max(0, due - Date.now()));
  }
}
