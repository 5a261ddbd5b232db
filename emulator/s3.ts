import S3rver from '@20minutes/s3rver';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buffer } from 'node:stream/consumers';
import { PutFaultRegistry } from './faults';
import { createFrontHandler, escapeXml } from './s3-front';
import { alignS3rverSigning } from './s3-signing';

/**
 * A local S3 that checks SigV4 presigned URLs like the real one: s3rver on a private port, behind a front server
 * that refuses unsigned requests and injects per-scope PUT faults (see `faults.ts`). Node only.
 */
export interface LocalS3Options {
  /** Where objects are stored; they persist there for the life of the process. */
  directory: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** AllowedOrigin entries of the bucket's CORS rule; one `*` wildcard each. */
  corsOrigins?: readonly string[];
  /** Default `connect-attachments`. */
  bucket?: string;
  /** Default us-east-1. */
  region?: string;
}

export interface LocalS3 {
  /** The public origin presigned URLs point at, e.g. http://127.0.0.1:41234. */
  readonly endpoint: string;
  readonly bucket: string;
  /** Per-scope PUT faults, consulted on every PUT. */
  readonly faults: PutFaultRegistry;
  /** A presigned PUT URL that requires every one of `headers`, with exactly these values. */
  presignPut(key: string, headers: Readonly<Record<string, string>>, expiresInSeconds: number): Promise<string>;
  presignGet(key: string, expiresInSeconds: number, options?: { responseContentDisposition?: string }): Promise<string>;
  /** `metadata` holds the x-amz-meta-* headers, keyed without the prefix (as the S3 API returns them). */
  headObject(key: string): Promise<{ size: number; contentType?: string; metadata: Record<string, string> } | undefined>;
  readObject(key: string): Promise<Buffer | undefined>;
  deleteObject(key: string): Promise<void>;
  /** Stops everything (stalled and in-flight requests included); resolves when the ports are closed. */
  close(): Promise<void>;
}

const DEFAULT_BUCKET = 'connect-attachments';
const DEFAULT_CORS_ORIGINS: readonly string[] = ['http://127.0.0.1:*', 'http://localhost:*'];

// s3rver's built-in account.
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  const host = options.host ?? '127.0.0.1';
  const bucket = options.bucket ?? DEFAULT_BUCKET;
  alignS3rverSigning();
  const s3 = new S3rver({
    silent: true,
    directory: options.directory,
    vhostBuckets: false,
    configureBuckets: [{ name: bucket, configs: [corsXml(options.corsOrigins ?? DEFAULT_CORS_ORIGINS)] }],
  });
  const { store } = s3;

  // Real S3 never keeps part of an interrupted PUT; s3rver writes in place, so remove what it left. Unless a later
  // PUT of the key (a retry on the same URL while the server still reads an abandoned attempt) is writing it.
  const putObject = store.putObject.bind(store);
  const latestPut = new Map<string, symbol>();
  store.putObject = async (object) => {
    const key = `${object.bucket}/${object.key}`;
    const put = Symbol(key);
    latestPut.set(key, put);
    try {
      return await putObject(object);
    } catch (error) {
      if (latestPut.get(key) === put) await store.deleteObject(object.bucket, object.key).catch(() => undefined);
      throw error;
    } finally {
      if (latestPut.get(key) === put) latestPut.delete(key);
    }
  };

  // Track s3rver's handlers so close() returns only once nothing writes to `directory` any more.
  const handle = s3.callback();
  const inFlight = new Set<Promise<void>>();
  const upstream = http.createServer({ requestTimeout: 0 }, (req, res) => {
    const done: Promise<void> = handle(req, res)
      .catch(() => undefined)
      .finally(() => inFlight.delete(done));
    inFlight.add(done);
  });
  // No keep-alive to s3rver: a reused socket that s3rver closes as idle at the same moment resets the forwarded
  // request, which a browser then sees as a CORS failure (a 502 without CORS headers), at random.
  const agent = new http.Agent({ keepAlive: false });
  const faults = new PutFaultRegistry();
  // No request timeout: throttled and stalled PUTs are meant to take long.
  const front = http.createServer({ requestTimeout: 0 });

  try {
    await s3.configureBuckets();
    const upstreamPort = await listen(upstream, '127.0.0.1', 0);
    front.on('request', createFrontHandler({ upstreamPort, agent, bucket, store, faults }));
    const port = await listen(front, host, options.port ?? 0);
    const endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    const client = new S3Client({
      endpoint,
      region: options.region ?? 'us-east-1',
      forcePathStyle: true,
      credentials: CREDENTIALS,
      // Otherwise the SDK adds a checksum of an empty body to PUT URLs.
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });

    let closing: Promise<void> | undefined;
    return {
      endpoint,
      bucket,
      faults,
      presignPut(key, headers, expiresInSeconds) {
        const signed = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
        const names = Object.keys(signed);
        const command = new PutObjectCommand({ Bucket: bucket, Key: key });
        command.middlewareStack.add(
          (next) => (args) => {
            setHeaders(args.request, signed);
            return next(args);
          },
          { step: 'build', name: 'localS3SignedHeaders' },
        );
        return getSignedUrl(client, command, {
          expiresIn: expiresInSeconds,
          signableHeaders: new Set(names),
          // x-amz-* headers would otherwise move into the query string, and the client could leave them out.
          unhoistableHeaders: new Set(names.filter((name) => name.startsWith('x-amz-'))),
        });
      },
      presignGet(key, expiresInSeconds, getOptions) {
        const command = new GetObjectCommand({
          Bucket: bucket,
          Key: key,
          ResponseContentDisposition: getOptions?.responseContentDisposition,
        });
        return getSignedUrl(client, command, { expiresIn: expiresInSeconds });
      },
      async headObject(key) {
        let stored: Record<string, string | number>;
        try {
          stored = await store.getMetadata(bucket, key);
        } catch (error) {
          if (isNotFound(error)) return undefined;
          throw error;
        }
        const contentType = stored['content-type'];
        const metadata: Record<string, string> = {};
        for (const [name, value] of Object.entries(stored)) {
          if (name.startsWith('x-amz-meta-')) metadata[name.slice('x-amz-meta-'.length)] = String(value);
        }
        return { size: Number(stored['content-length']), contentType: contentType === undefined ? undefined : String(contentType), metadata };
      },
      async readObject(key) {
        const object = await store.getObject(bucket, key);
        return object?.content ? buffer(object.content) : undefined;
      },
      async deleteObject(key) {
        if (await store.existsObject(bucket, key)) await store.deleteObject(bucket, key);
      },
      close() {
        closing ??= (async () => {
          client.destroy();
          await closeServer(front);
          await closeServer(upstream);
          await Promise.all(inFlight);
          agent.destroy();
          s3.logger.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    await Promise.all([closeServer(front), closeServer(upstream)]);
    agent.destroy();
    s3.logger.close();
    throw error;
  }
}

function corsXml(origins: readonly string[]): string {
  const lines = [
    ...origins.map((origin) => `<AllowedOrigin>${escapeXml(origin)}</AllowedOrigin>`),
    ...['PUT', 'GET', 'HEAD'].map((method) => `<AllowedMethod>${method}</AllowedMethod>`),
    '<AllowedHeader>*</AllowedHeader>',
    '<ExposeHeader>ETag</ExposeHeader>',
    '<ExposeHeader>x-amz-request-id</ExposeHeader>',
  ];
  return `<CORSConfiguration><CORSRule>${lines.join('')}</CORSRule></CORSConfiguration>`;
}

function setHeaders(request: unknown, headers: Record<string, string>): void {
  if (typeof request === 'object' && request !== null && 'headers' in request && typeof request.headers === 'object' && request.headers !== null) {
    Object.assign(request.headers, headers);
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT';
}

function listen(server: http.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Closes a server and every connection it holds (stalled or throttled requests included). */
function closeServer(server: http.Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
