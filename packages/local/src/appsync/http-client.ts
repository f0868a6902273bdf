// A minimal HTTP client for an AppSync endpoint (the emulator or a deployed API), for
// tests and scripts that need to see the raw response: status, data and AppSync-shaped
// errors, or to sign a request as an IAM caller (the worker) does.
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

/** A GraphQL response as AppSync shapes it, with the HTTP status. */
export interface GraphQLResponse {
  status: number;
  data?: Record<string, unknown> | null;
  errors?: Array<{ errorType?: string; message: string }>;
}

/**
 * POSTs one GraphQL operation with the given headers (e.g. `x-api-key`, `authorization`).
 * A body that is not JSON comes back as one error carrying the text.
 */
export async function postGraphQL(
  url: string,
  headers: Record<string, string>,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<GraphQLResponse> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  try {
    return { status: res.status, ...(JSON.parse(text) as object) };
  } catch {
    return { status: res.status, errors: [{ message: text }] };
  }
}

/**
 * SigV4 headers (service `appsync`) for a POST of `body` to `url`, as an IAM caller such
 * as the worker signs it. `signingDate` backdates or postdates the signature.
 */
export async function signAppSyncRequest(
  url: string,
  body: string,
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  region: string,
  signingDate?: Date,
): Promise<Record<string, string>> {
  const u = new URL(url);
  const signer = new SignatureV4({ credentials, region, service: 'appsync', sha256: Sha256 });
  const signed = await signer.sign(
    new HttpRequest({
      method: 'POST',
      protocol: u.protocol,
      hostname: u.hostname,
      port: Number(u.port),
      path: u.pathname,
      headers: {
        host: u.host,
        'content-type': 'application/json',
        accept: 'application/json, text/javascript',
      },
      body,
    }),
    signingDate ? { signingDate } : {},
  );
  return signed.headers as Record<string, string>;
}
