/**
 * Calls through the host's backend: each operation is POSTed as `{operation, input}` to one endpoint that signs
 * and forwards it to Connect (see README.md), so the browser holds no AWS credentials at all.
 */
import axios, { type AxiosInstance } from 'axios';
import { UploadError } from '../core/errors';
import { isRecord, send, valueNamed } from '../core/http-errors';
import { replyJson } from '../core/reply';
import type { Clock } from '../core/time';
import { connectError } from './errors';
import type { Transport } from './types';

export interface AttachedFileBackendOptions {
  /** The host's endpoint that forwards each operation to Connect. A relative URL is fine in a browser. */
  url: string;
  /** Sent with every call, e.g. the host's CSRF or session header; a function is called per call (fresh tokens). */
  headers?: Readonly<Record<string, string>> | (() => Readonly<Record<string, string>> | Promise<Readonly<Record<string, string>>>);
  /** Host-provided instance (interceptors, adapters); default `axios.create()`. */
  axios?: AxiosInstance;
  /** Sends the host's cookies to a backend on another origin (same-origin calls send them anyway). Default false. */
  withCredentials?: boolean;
  /** Per call; default 30 s. */
  timeoutMs?: number;
}

export function backendTransport(options: AttachedFileBackendOptions, clock: Clock): Transport {
  const { url, timeoutMs = 30_000, withCredentials = false } = options;
  if (!url) throw new TypeError('createAttachedFileClient: backend.url is required.');
  const http = options.axios ?? axios.create();

  return async (request, signal) => {
    const { operation } = request;
    const extra = typeof options.headers === 'function' ? await options.headers() : options.headers;
    const reply = await send(
      http,
      {
        method: 'POST',
        url,
        data: JSON.stringify(request),
        // The host's headers first: the body is JSON whatever they say.
        headers: { ...extra, 'Content-Type': 'application/json' },
        withCredentials,
      },
      operation,
      { signal, clock, quietMs: timeoutMs },
    );
    const body = replyJson(reply.data);
    const record = isRecord(body) ? body : undefined;
    if (reply.status < 200 || reply.status > 299) {
      throw connectError(
        operation,
        {
          status: reply.status,
          name: valueNamed(reply.headers, 'x-amzn-errortype') ?? record?.['__type'] ?? record?.['name'] ?? record?.['code'],
          message: record?.['Message'] ?? record?.['message'],
          reason: record?.['Reason'],
          retryAfter: valueNamed(reply.headers, 'retry-after'),
        },
        clock.now(),
      );
    }
    if (record === undefined) {
      throw new UploadError('bad-response', `${operation} returned an unexpected reply: not a JSON object.`, { status: reply.status });
    }
    return record;
  };
}
