import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

/** Credentials the endpoint accepts when SigV4 verification is on. */
export interface SigV4Credential {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Why a signature was rejected, named as AWS names it (403 for all). */
export interface SigV4Failure {
  errorType:
    | 'MissingAuthenticationTokenException'
    | 'UnrecognizedClientException'
    | 'InvalidSignatureException';
  message: string;
}

const AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]+)$/;

function parseAmzDate(v: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(v);
  if (!m) return undefined;
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}

/**
 * Recomputes the SigV4 signature of an incoming request with the matching secret and compares it.
 * Only the headers the client signed take part, so proxies adding headers do not break it.
 */
export async function verifySigV4(
  args: {
    method: string;
    url: string;
    headers: Record<string, string | string[] | undefined>;
    body: Buffer;
  },
  credentials: readonly SigV4Credential[],
): Promise<SigV4Failure | undefined> {
  const header = (name: string): string | undefined => {
    const v = args.headers[name];
    return Array.isArray(v) ? v.join(',') : v;
  };
  const auth = header('authorization');
  if (!auth) {
    return {
      errorType: 'MissingAuthenticationTokenException',
      message: 'Missing Authentication Token',
    };
  }
  const m = AUTH.exec(auth);
  const date = parseAmzDate(header('x-amz-date') ?? '');
  if (!m || !date) {
    return {
      errorType: 'InvalidSignatureException',
      message: 'Authorization header is malformed.',
    };
  }
  const [, accessKeyId, , region, service, signedHeaders, signature] = m as unknown as string[];
  const cred = credentials.find((c) => c.accessKeyId === accessKeyId);
  if (!cred) {
    return {
      errorType: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    };
  }
  const names = (signedHeaders ?? '').split(';');
  const headers: Record<string, string> = {};
  for (const name of names) {
    // HTTP/2 carries the host as :authority.
    const value = name === 'host' ? (header('host') ?? header(':authority')) : header(name);
    if (value !== undefined) headers[name] = value;
  }
  const url = new URL(args.url, `http://${headers.host ?? 'localhost'}`);
  const query: Record<string, string> = {};
  url.searchParams.forEach((v, k) => (query[k] = v));
  const request = new HttpRequest({
    method: args.method,
    protocol: 'http:',
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    path: args.url.split('?')[0] ?? '/',
    query,
    headers,
    body: args.body,
  });
  const signer = new SignatureV4({
    credentials: cred,
    region: region ?? 'us-east-1',
    service: service ?? 'bedrock',
    sha256: Sha256,
    uriEscapePath: true,
    // Never add headers the client did not sign (e.g. x-amz-content-sha256).
    applyChecksum: false,
  });
  const signed = await signer.sign(request, {
    signingDate: date,
    signableHeaders: new Set(names),
  });
  const expected = /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization ?? ''))?.[1];
  if (expected !== signature) {
    return {
      errorType: 'InvalidSignatureException',
      message:
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    };
  }
  return undefined;
}
