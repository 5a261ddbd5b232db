import { createHash, createHmac, timingSafeEqual, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { ApiError } from './http';

export interface DevCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface SignedRequest {
  method: string;
  /** `host` as the client sent it (with the port). */
  host: string;
  /** Raw request target: path as sent (percent-encoded once) plus the query string. */
  url: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: Buffer;
}

export interface SigV4Scope {
  credentials: DevCredentials;
  region: string;
  service: string;
  /** Epoch milliseconds; injected for tests of the clock-skew rule. */
  now?: number;
}

/** AWS refuses signatures more than 15 minutes away from its clock. */
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/;

type SourceData = string | ArrayBuffer | ArrayBufferView;

const toBytes = (data: SourceData): string | Uint8Array =>
  typeof data === 'string'
    ? data
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);

/** The checksum constructor @smithy/signature-v4 wants (SHA-256, or HMAC-SHA-256 when given a key), on node:crypto. */
class NodeSha256 {
  private hash: Hash | Hmac;
  private readonly secret: string | Uint8Array | undefined;

  constructor(secret?: SourceData) {
    this.secret = secret === undefined ? undefined : toBytes(secret);
    this.hash = this.create();
  }

  update(data: SourceData): void {
    this.hash.update(toBytes(data));
  }

  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }

  reset(): void {
    this.hash = this.create();
  }

  private create(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
}

const forbidden = (errorType: string, message: string) => new ApiError(403, errorType, message);

/**
 * Verifies a SigV4 `Authorization` header by signing the same request again with the dev credentials and
 * comparing signatures, answering failures with the error names AWS uses. Only the headers the client listed in
 * `SignedHeaders` are re-signed, so hop-by-hop headers added on the way do not matter.
 */
export async function verifySigV4(request: SignedRequest, scope: SigV4Scope): Promise<void> {
  const authorization = headerValue(request.headers, 'authorization');
  if (authorization === undefined || authorization === '') {
    throw forbidden('MissingAuthenticationTokenException', 'Missing Authentication Token');
  }
  const match = AUTHORIZATION.exec(authorization);
  if (match === null) {
    throw forbidden('IncompleteSignatureException', 'Authorization header is not a valid AWS4-HMAC-SHA256 signature.');
  }
  const [, credential = '', signedHeaderList = '', signature = ''] = match;
  const [accessKeyId, shortDate, region, service, terminator] = credential.split('/');
  if (accessKeyId !== scope.credentials.accessKeyId) {
    throw forbidden('UnrecognizedClientException', 'The security token included in the request is invalid.');
  }
  if (region !== scope.region) {
    throw forbidden('InvalidSignatureException', `Credential should be scoped to a valid region, not '${region ?? ''}'.`);
  }
  if (service !== scope.service || terminator !== 'aws4_request') {
    throw forbidden('InvalidSignatureException', `Credential should be scoped to correct service: '${scope.service}'.`);
  }
  const amzDate = headerValue(request.headers, 'x-amz-date') ?? '';
  const signingDate = parseAmzDate(amzDate);
  if (signingDate === undefined || amzDate.slice(0, 8) !== shortDate) {
    throw forbidden('IncompleteSignatureException', 'X-Amz-Date is missing or does not match the credential scope date.');
  }
  if (Math.abs((scope.now ?? Date.now()) - signingDate.getTime()) > MAX_CLOCK_SKEW_MS) {
    throw forbidden('InvalidSignatureException', 'Signature expired: the request time is more than 15 minutes from the server time.');
  }

  const signedHeaders = signedHeaderList.split(';');
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = headerValue(request.headers, name);
    if (value === undefined) {
      throw forbidden('InvalidSignatureException', `Header '${name}' is listed in SignedHeaders but is missing.`);
    }
    headers[name] = value;
  }
  const target = new URL(request.url, 'http://emulator.invalid');
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of target.searchParams) {
    const existing = query[key];
    query[key] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  // applyChecksum off: x-amz-content-sha256 is signed only when the client sent it (the JS SDK does, botocore does not).
  const signer = new SignatureV4({
    credentials: scope.credentials,
    region: scope.region,
    service: scope.service,
    sha256: NodeSha256,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: request.host,
      path: request.url.split('?')[0] ?? '/',
      query,
      headers,
      body: request.body,
    },
    { signingDate, signableHeaders: new Set(signedHeaders) },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers['authorization'] ?? ''))?.[1] ?? '';
  if (expected.length !== signature.length || !timingSafeEqual(Buffer.from(expected), Buffer.from(signature))) {
    throw forbidden(
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    );
  }
}

function headerValue(headers: SignedRequest['headers'], name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(',') : value;
}

/** `20240102T030405Z` → Date. */
function parseAmzDate(value: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (match === null) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number);
  return new Date(Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 0, h ?? 0, mi ?? 0, s ?? 0));
}
