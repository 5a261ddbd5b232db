import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';

/** A failure answered in the restJson1 error shape: `x-amzn-ErrorType` header, JSON body with the message. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly errorType: string;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, errorType: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.errorType = errorType;
    this.headers = headers;
  }
}

export const validationError = (message: string) => new ApiError(400, 'ValidationException', message);
export const accessDenied = (message: string) => new ApiError(403, 'AccessDeniedException', message);

/** JSON request bodies are small; anything bigger is refused before it is buffered. */
export const MAX_REQUEST_BODY_BYTES = 1024 * 1024;

export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/** Past the limit, up to this much is still read and discarded, so the client sees the 413 instead of a reset. */
const DRAIN_LIMIT_BYTES = 16 * 1024 * 1024;

/** Buffers the request body; past `limit` bytes it keeps nothing and rejects with BodyTooLargeError. */
export function readBody(req: IncomingMessage, limit = MAX_REQUEST_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > DRAIN_LIMIT_BYTES) return Promise.reject(new BodyTooLargeError());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > DRAIN_LIMIT_BYTES) {
        req.off('data', onData);
        reject(new BodyTooLargeError());
      }
    };
    req.on('data', onData);
    req.once('end', () => (size > limit ? reject(new BodyTooLargeError()) : resolve(Buffer.concat(chunks))));
    req.once('error', reject);
  });
}

/**
 * Parses a JSON object body. An empty body counts as `{}` (every member optional); anything that is not a JSON
 * object is a SerializationException, as AWS answers it.
 */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  const text = body.toString('utf8').trim();
  if (text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError(400, 'SerializationException', 'The request body is not valid JSON.');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ApiError(400, 'SerializationException', 'The request body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}

/** True when `origin` matches one of `patterns`; a pattern may hold one `*` (e.g. `http://127.0.0.1:*`). */
export function originAllowed(origin: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => {
    const star = pattern.indexOf('*');
    if (star === -1) return pattern === origin;
    const prefix = pattern.slice(0, star);
    const suffix = pattern.slice(star + 1);
    return origin.length >= prefix.length + suffix.length && origin.startsWith(prefix) && origin.endsWith(suffix);
  });
}

/** Loopback page origins on any port: the demo, Storybook and the browser tests. */
export const DEFAULT_CORS_ORIGINS: readonly string[] = ['http://127.0.0.1:*', 'http://localhost:*', 'http://[::1]:*'];

const ALLOWED_HEADERS = [
  'content-type',
  'x-amz-bearer',
  'x-amz-user-agent',
  'amz-sdk-invocation-id',
  'amz-sdk-request',
  'authorization',
  'x-amz-date',
  'x-amz-content-sha256',
  'x-amz-security-token',
].join(', ');

/** Sets the CORS headers for an allowed origin; returns whether the origin is allowed. */
export function applyCors(req: IncomingMessage, res: ServerResponse, origins: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined || !originAllowed(origin, origins)) return false;
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Vary', 'Origin');
  res.setHeader('Access-Control-Expose-Headers', 'x-amzn-ErrorType, x-amzn-RequestId, Retry-After');
  if (req.method === 'OPTIONS') {
    res.setHeader('Access-Control-Allow-Methods', 'POST, GET, PUT, DELETE, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
    res.setHeader('Access-Control-Max-Age', '600');
  }
  return true;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendRaw(res, status, JSON.stringify(body), headers);
}

export function sendRaw(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  // setHeader rather than writeHead's object, so the request log can read the error type back.
  const all = { 'Content-Type': 'application/json', 'x-amzn-RequestId': randomUUID(), ...headers };
  for (const [name, value] of Object.entries(all)) res.setHeader(name, value);
  res.setHeader('Content-Length', String(Buffer.byteLength(text)));
  res.writeHead(status);
  res.end(text);
}

/**
 * Answers an ApiError the restJson1 way. `messageKey` is `message` for the Participant Service and `Message` for
 * Connect, as their models spell the member; the SDKs read either.
 */
export function sendError(res: ServerResponse, error: ApiError, messageKey: 'message' | 'Message' = 'message'): void {
  sendJson(res, error.status, { [messageKey]: error.message }, { 'x-amzn-ErrorType': error.errorType, ...error.headers });
}
