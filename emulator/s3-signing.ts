import v4 from '@20minutes/s3rver/lib/signature/v4.js';

let aligned = false;

/**
 * s3rver 4.0.4 builds the SigV4 canonical request unlike S3 and the SDK that signs our URLs: it leaves `!'()*`
 * unescaped in query values and compares header values untrimmed. Real S3 accepts a presigned GET whose
 * response-content-disposition says `filename="report (1).pdf"`, or a header value with a double space; s3rver
 * answers SignatureDoesNotMatch. This makes s3rver canonicalize as S3 does (once per process; its module is shared).
 */
export function alignS3rverSigning(): void {
  if (aligned) return;
  aligned = true;
  const getStringToSign = v4.getStringToSign;
  v4.getStringToSign = (canonicalRequest, signature) =>
    getStringToSign(
      {
        ...canonicalRequest,
        querystring: canonicalRequest.querystring.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
        headers: Object.fromEntries(
          Object.entries(canonicalRequest.headers).map(([name, value]) => [name, typeof value === 'string' ? value.trim().replace(/\s+/g, ' ') : value]),
        ),
      },
      signature,
    );
}
