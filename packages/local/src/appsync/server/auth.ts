import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';

/** AppSync authorization modes. */
export type AuthMode = 'API_KEY' | 'AWS_IAM' | 'OPENID_CONNECT' | 'AMAZON_COGNITO_USER_POOLS';

/** Local IAM credentials the emulator accepts (SigV4 is verified against the secret). */
export interface LocalIamCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** Defaults to a local account id. */
  accountId?: string;
  /** Defaults to `arn:aws:iam::<accountId>:user/<accessKeyId>`. */
  userArn?: string;
}

/** How callers authenticate. */
export interface AuthConfig {
  defaultMode: AuthMode;
  additionalModes?: AuthMode[];
  apiKeys?: Array<{ key: string; expiresAt?: Date }>;
  iam?: { region: string; credentials: LocalIamCredentials[] };
  oidc?: { issuer: string; jwks?: JSONWebKeySet; jwksUrl?: string; audience?: string };
}

/** An authenticated caller. */
export interface Caller {
  mode: AuthMode;
  identity: Record<string, unknown> | null;
}

/** Why authentication failed (AppSync answers 401 UnauthorizedException). */
export class AuthError extends Error {
  constructor(
    message: string,
    readonly errorType = 'UnauthorizedException',
  ) {
    super(message);
  }
}

const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

function lower(headers: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (typeof v === 'string') out[k.toLowerCase()] = v;
  return out;
}

function parseAmzDate(value: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return null;
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}

/** The request a SigV4 signature must cover: what the verifier recomputes. */
export interface SignedRequest {
  method: string;
  /** Absolute URL the client signed (for the WebSocket: `<graphqlUrl>/connect` or `<graphqlUrl>`). */
  url: string;
  headers: Record<string, string | undefined>;
  body: string;
}

/**
 * Authenticates a caller from its headers (an HTTP request, or the header object of a
 * real-time handshake/start message) under the configured modes.
 */
export class Authenticator {
  private readonly modes: Set<AuthMode>;
  private readonly jwks:
    ReturnType<typeof createLocalJWKSet> | ReturnType<typeof createRemoteJWKSet> | null;

  constructor(private readonly config: AuthConfig) {
    this.modes = new Set([config.defaultMode, ...(config.additionalModes ?? [])]);
    const oidc = config.oidc;
    this.jwks = oidc?.jwks
      ? createLocalJWKSet(oidc.jwks)
      : oidc?.jwksUrl
        ? createRemoteJWKSet(new URL(oidc.jwksUrl))
        : null;
  }

  /** The modes a field/type allows when it carries no auth directive. */
  get defaultMode(): AuthMode {
    return this.config.defaultMode;
  }

  async authenticate(request: SignedRequest): Promise<Caller> {
    const headers = lower(request.headers);
    const authorization = headers['authorization'];
    if (authorization?.startsWith('AWS4-HMAC-SHA256'))
      return this.iam(request, headers, authorization);
    if (headers['x-api-key'] !== undefined) return this.apiKey(headers['x-api-key']);
    if (authorization) return this.jwt(authorization);
    throw new AuthError('Valid authorization header not provided.');
  }

  private apiKey(key: string): Caller {
    if (!this.modes.has('API_KEY'))
      throw new AuthError('API key authorization is not enabled for this API.');
    const match = this.config.apiKeys?.find((k) => k.key === key);
    if (!match) throw new AuthError('You are not authorized to make this call.');
    if (match.expiresAt && match.expiresAt.getTime() < Date.now())
      throw new AuthError('API key has expired.');
    return { mode: 'API_KEY', identity: null };
  }

  private async jwt(authorization: string): Promise<Caller> {
    const mode: AuthMode = this.modes.has('OPENID_CONNECT')
      ? 'OPENID_CONNECT'
      : 'AMAZON_COGNITO_USER_POOLS';
    if (!this.modes.has(mode) || !this.jwks || !this.config.oidc) {
      throw new AuthError('Token authorization is not enabled for this API.');
    }
    const token = authorization.replace(/^Bearer\s+/i, '');
    try {
      const { payload } = await jwtVerify(token, this.jwks, {
        issuer: this.config.oidc.issuer,
        audience: this.config.oidc.audience,
      });
      const groups = payload['cognito:groups'];
      return {
        mode,
        identity: {
          sub: payload.sub,
          issuer: payload.iss,
          username:
            (payload['cognito:username'] as string | undefined) ??
            (payload['username'] as string | undefined) ??
            payload.sub,
          claims: payload,
          sourceIp: [],
          defaultAuthStrategy: 'ALLOW',
          groups: Array.isArray(groups) ? groups : null,
        },
      };
    } catch (error) {
      throw new AuthError(`Token is not valid: ${(error as Error).message}`);
    }
  }

  private async iam(
    request: SignedRequest,
    headers: Record<string, string>,
    authorization: string,
  ): Promise<Caller> {
    const iam = this.config.iam;
    if (!this.modes.has('AWS_IAM') || !iam)
      throw new AuthError('IAM authorization is not enabled for this API.');
    const parts =
      /Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]+)/.exec(
        authorization,
      );
    if (!parts)
      throw new AuthError(
        'The Authorization header is not a valid SigV4 header.',
        'IncompleteSignatureException',
      );
    const [, accessKeyId, , region, service, signedHeaderList, signature] =
      parts as unknown as string[];
    const credentials = iam.credentials.find((c) => c.accessKeyId === accessKeyId);
    if (!credentials)
      throw new AuthError(
        'The security token included in the request is invalid.',
        'UnrecognizedClientException',
      );
    if (service !== 'appsync')
      throw new AuthError(
        `Credential should be scoped to correct service: 'appsync'.`,
        'InvalidSignatureException',
      );
    if (region !== iam.region)
      throw new AuthError(
        `Credential should be scoped to a valid region, not '${region}'.`,
        'InvalidSignatureException',
      );
    const amzDate = headers['x-amz-date'];
    const date = amzDate ? parseAmzDate(amzDate) : null;
    if (!date)
      throw new AuthError('Missing or malformed X-Amz-Date.', 'IncompleteSignatureException');
    if (Math.abs(Date.now() - date.getTime()) > MAX_CLOCK_SKEW_MS) {
      throw new AuthError(
        'Signature expired: the request date is more than 5 minutes from now.',
        'InvalidSignatureException',
      );
    }
    // The signature covers the payload hash; a client-sent hash must match the body we got.
    const declaredHash = headers['x-amz-content-sha256'];
    if (declaredHash !== undefined) {
      const actual = new Sha256();
      actual.update(request.body);
      if (Buffer.from(await actual.digest()).toString('hex') !== declaredHash) {
        throw new AuthError(
          'The provided x-amz-content-sha256 header does not match what was computed.',
          'InvalidSignatureException',
        );
      }
    }
    const url = new URL(request.url);
    const signedHeaders: Record<string, string> = {};
    for (const name of signedHeaderList!.split(';')) {
      const value = headers[name];
      if (value === undefined)
        throw new AuthError(`Signed header '${name}' is missing.`, 'IncompleteSignatureException');
      signedHeaders[name] = value;
    }
    const signer = new SignatureV4({
      credentials: {
        accessKeyId: credentials.accessKeyId,
        secretAccessKey: credentials.secretAccessKey,
        sessionToken: headers['x-amz-security-token'],
      },
      region: region!,
      service: 'appsync',
      sha256: Sha256,
      uriEscapePath: true,
      // Sign exactly the client's SignedHeaders; never add x-amz-content-sha256 ourselves.
      applyChecksum: false,
    });
    const query: Record<string, string> = {};
    url.searchParams.forEach((v, k) => (query[k] = v));
    const expected = await signer.sign(
      new HttpRequest({
        method: request.method,
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port ? Number(url.port) : undefined,
        path: url.pathname,
        query,
        headers: signedHeaders,
        body: request.body,
      }),
      { signingDate: date },
    );
    const expectedAuth = String(
      expected.headers['authorization'] ?? expected.headers['Authorization'] ?? '',
    );
    const expectedSignature = /Signature=([0-9a-f]+)/.exec(expectedAuth)?.[1];
    if (!expectedSignature || expectedSignature !== signature) {
      throw new AuthError(
        'The request signature we calculated does not match the signature you provided.',
        'InvalidSignatureException',
      );
    }
    const accountId = credentials.accountId ?? '000000000000';
    return {
      mode: 'AWS_IAM',
      identity: {
        accountId,
        cognitoIdentityPoolId: null,
        cognitoIdentityId: null,
        sourceIp: [],
        username: credentials.accessKeyId,
        userArn: credentials.userArn ?? `arn:aws:iam::${accountId}:user/${credentials.accessKeyId}`,
        cognitoIdentityAuthType: null,
        cognitoIdentityAuthProvider: null,
      },
    };
  }
}
