// The part of @20minutes/s3rver 4.0.4 (which ships no types) that the local S3 uses.
declare module '@20minutes/s3rver' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  import type { Readable } from 'node:stream';

  interface S3rverOptions {
    silent?: boolean;
    directory?: string;
    /** Whether a Host that is not an IP or localhost names the bucket (virtual-host style). */
    vhostBuckets?: boolean;
    /** Buckets created (with their CORS/website XML configs) by `configureBuckets()`. */
    configureBuckets?: ReadonlyArray<{ name: string; configs: readonly string[] }>;
  }

  interface CorsRule {
    hasWildcardOrigin: boolean;
    exposeHeaders: string[];
    maxAgeSeconds?: number;
  }

  interface CorsConfiguration {
    matchRule(origin: string, method: string): CorsRule | undefined;
  }

  interface StoredObject {
    bucket: string;
    key: string;
    content: Readable | null;
  }

  interface FilesystemStore {
    /** Streams `object.content` to the object file (truncating it first), then writes its metadata. */
    putObject(object: StoredObject): Promise<{ size: number; md5: string }>;
    getObject(bucket: string, key: string): Promise<StoredObject | null>;
    existsObject(bucket: string, key: string): Promise<boolean>;
    /** Stored headers (content-type, x-amz-meta-*, …) plus content-length, etag, last-modified. */
    getMetadata(bucket: string, key: string): Promise<Record<string, string | number>>;
    deleteObject(bucket: string, key: string): Promise<void>;
    getSubresource(bucket: string, key: undefined, type: 'cors'): Promise<CorsConfiguration | null>;
  }

  export default class S3rver {
    constructor(options: S3rverOptions);
    readonly store: FilesystemStore;
    readonly logger: { close(): void };
    configureBuckets(): Promise<void>;
    /** Koa's request handler; its promise settles once the response is handled. */
    callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  }
}

// Used by s3-signing.ts to make s3rver canonicalize SigV4 requests as S3 does.
declare module '@20minutes/s3rver/lib/signature/v4.js' {
  interface CanonicalRequest {
    /** `name=value` pairs, each part encoded with encodeURIComponent, sorted, joined with `&`. */
    querystring: string;
    headers: Record<string, string | string[] | undefined>;
  }

  const v4: {
    getStringToSign(canonicalRequest: CanonicalRequest, signature: unknown): string;
  };
  export default v4;
}
