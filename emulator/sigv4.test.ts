import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ApiError } from './http';
import { verifySigV4, type SignedRequest } from './sigv4';

const credentials = { accessKeyId: 'DEVKEY', secretAccessKey: 'dev-secret' };
const scope = { credentials, region: 'us-east-1', service: 'connect' };
const amzDate = '20250102T030405Z';
const signedAt = Date.UTC(2025, 0, 2, 3, 4, 5);

/** An independent SigV4 signer written from the AWS specification, so the test does not trust the code it checks. */
function sign(request: Omit<SignedRequest, 'headers'> & { headers: Record<string, string> }, secret = credentials.secretAccessKey): SignedRequest {
  const headers = { ...request.headers, host: request.host, 'x-amz-date': amzDate };
  const names = Object.keys(headers).map((name) => name.toLowerCase()).sort();
  const lower = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  const [path = '/', query = ''] = request.url.split('?');
  const canonicalQuery = query
    .split('&')
    .filter(Boolean)
    .sort()
    .join('&');
  const canonical = [
    request.method,
    path,
    canonicalQuery,
    ...names.map((name) => `${name}:${String(lower[name]).trim()}`),
    '',
    names.join(';'),
    createHash('sha256').update(request.body).digest('hex'),
  ].join('\n');
  const credentialScope = `${amzDate.slice(0, 8)}/us-east-1/connect/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, credentialScope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const key = ['us-east-1', 'connect', 'aws4_request'].reduce((k, part) => hmac(k, part), hmac(`AWS4${secret}`, amzDate.slice(0, 8)));
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  return {
    ...request,
    headers: {
      ...lower,
      authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${credentialScope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
      connection: 'keep-alive',
    },
  };
}

const base = {
  method: 'PUT',
  host: '127.0.0.1:8787',
  url: '/contact/chat',
  headers: { 'content-type': 'application/json' },
  body: Buffer.from('{"InstanceId":"i"}'),
};

async function errorTypeOf(request: SignedRequest, now = signedAt): Promise<string | undefined> {
  try {
    await verifySigV4(request, { ...scope, now });
    return undefined;
  } catch (error) {
    if (error instanceof ApiError) return error.errorType;
    throw error;
  }
}

describe('verifySigV4', () => {
  it('accepts a correct signature, ignoring unsigned hop-by-hop headers', async () => {
    expect(await errorTypeOf(sign(base))).toBeUndefined();
    expect(await errorTypeOf(sign({ ...base, url: '/attached-files/i?associatedResourceArn=arn%3Aaws%3Ax' }))).toBeUndefined();
  });

  it('refuses a changed body, a changed signed header and a wrong secret', async () => {
    expect(await errorTypeOf({ ...sign(base), body: Buffer.from('{"InstanceId":"j"}') })).toBe('InvalidSignatureException');
    const signed = sign(base);
    expect(await errorTypeOf({ ...signed, headers: { ...signed.headers, 'content-type': 'text/plain' } })).toBe('InvalidSignatureException');
    expect(await errorTypeOf(sign(base, 'other-secret'))).toBe('InvalidSignatureException');
  });

  it('refuses requests signed more than 15 minutes away from now', async () => {
    expect(await errorTypeOf(sign(base), signedAt + 14 * 60_000)).toBeUndefined();
    expect(await errorTypeOf(sign(base), signedAt + 16 * 60_000)).toBe('InvalidSignatureException');
  });

  it('names a missing or malformed Authorization header like AWS', async () => {
    expect(await errorTypeOf({ ...base, headers: {} })).toBe('MissingAuthenticationTokenException');
    expect(await errorTypeOf({ ...base, headers: { authorization: 'Bearer abc' } })).toBe('IncompleteSignatureException');
  });
});
