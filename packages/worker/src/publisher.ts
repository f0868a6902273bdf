import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import {
  PublishChunkSource,
  encodeChunkPayload,
  retry,
  type ChunkEvent,
  type RetryPolicy,
} from '@org/bedrock-stream-contracts';
import { unwrapRetries } from './classify-error.js';
import { PublishError, SupersededError } from './errors.js';

export { PublishError, SupersededError };

// The operation's text from codegen: no graphql runtime in the worker bundle.
const PUBLISH_QUERY = PublishChunkSource;

/** AWS credentials (static or a provider, like the SDK's default chain). */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Options of {@link createPublisher}. */
export interface PublisherOptions {
  graphqlUrl: string;
  region: string;
  credentials: Credentials | (() => Promise<Credentials>);
  /** Retries of transient failures. Default {@link DEFAULT_PUBLISH_RETRY}. */
  retryPolicy?: RetryPolicy;
  /** Shorthand overriding `retryPolicy.maxTries` (tries per chunk). */
  maxTries?: number;
  /** Shorthand overriding `retryPolicy.initialDelayMs` (first backoff bound; doubles per try). */
  baseDelayMs?: number;
  fetch?: typeof fetch;
}

/** What publishChunk answers besides storing the chunk. */
export interface PublishAck {
  /** The owner asked to cancel (the record's flag, read as the chunk was checked). */
  cancelRequested: boolean;
}

/** Publishes one chunk at (attempt, seq). */
export type Publisher = (chunk: {
  streamId: string;
  attempt: number;
  seq: number;
  events: ChunkEvent[];
}) => Promise<PublishAck>;

/** 5 tries, waits up to 50, 100, 200, 400 ms (full jitter). */
export const DEFAULT_PUBLISH_RETRY: RetryPolicy = {
  maxTries: 5,
  initialDelayMs: 50,
  maxDelayMs: 1_000,
};

const TRANSIENT_TYPES = /Throttl|InternalFailure|ServiceUnavailable|TooManyRequests/;

/**
 * Publishes chunks with the typed PublishChunk mutation over HTTP, SigV4-signed
 * (service `appsync`) with the function's own credentials — never an end user's token,
 * which could expire mid-stream. Transient failures are retried with backoff and the
 * SAME (attempt, seq), so a retry is at worst a duplicate the client drops.
 */
export function createPublisher(options: PublisherOptions): Publisher {
  const url = new URL(options.graphqlUrl);
  const signer = new SignatureV4({
    credentials: options.credentials,
    region: options.region,
    service: 'appsync',
    sha256: Sha256,
  });
  const doFetch = options.fetch ?? fetch;
  const policy: RetryPolicy = {
    ...(options.retryPolicy ?? DEFAULT_PUBLISH_RETRY),
    ...(options.maxTries !== undefined ? { maxTries: options.maxTries } : {}),
    ...(options.baseDelayMs !== undefined ? { initialDelayMs: options.baseDelayMs } : {}),
  };

  /** One signed request; throws PublishError (`transient` when worth another try). */
  const once = async (body: string): Promise<PublishAck> => {
    const signed = await signer.sign(
      new HttpRequest({
        method: 'POST',
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port ? Number(url.port) : undefined,
        path: url.pathname,
        headers: { host: url.host, 'content-type': 'application/json' },
        body,
      }),
    );
    let response: Response;
    try {
      response = await doFetch(url, {
        method: 'POST',
        headers: signed.headers as Record<string, string>,
        body,
      });
    } catch (error) {
      throw new PublishError(
        `publish request failed: ${(error as Error).message}`,
        'NetworkError',
        true,
      );
    }
    const text = await response.text();
    let json: {
      data?: { publishChunk?: { cancelRequested?: unknown } | null } | null;
      errors?: Array<{ errorType?: string; message?: string }>;
    } = {};
    try {
      json = JSON.parse(text) as typeof json;
    } catch {
      throw new PublishError(
        `publish answered ${response.status} with non-JSON`,
        'BadResponse',
        response.status >= 500,
      );
    }
    const first = json.errors?.[0];
    // Only `true` cancels: an endpoint that does not answer the flag never stops a stream.
    if (response.ok && !first)
      return { cancelRequested: json.data?.publishChunk?.cancelRequested === true };
    const errorType = first?.errorType ?? `HTTP${response.status}`;
    const message = first?.message ?? `publish answered ${response.status}`;
    // A newer attempt took over, or the stream already ended: stop quietly.
    if (errorType === 'StaleAttempt' || errorType === 'StreamNotRunning')
      throw new SupersededError(message);
    throw new PublishError(
      message,
      errorType,
      response.status >= 500 || response.status === 429 || TRANSIENT_TYPES.test(errorType),
    );
  };

  return async ({ streamId, attempt, seq, events }) => {
    const payload = encodeChunkPayload({ v: 1, events });
    const body = JSON.stringify({
      query: PUBLISH_QUERY,
      operationName: 'PublishChunk',
      variables: { input: { streamId, attempt, seq, payload } },
    });
    try {
      return await retry('publishChunk', policy, () => once(body), {
        shouldRetry: (error) => error instanceof PublishError && error.transient,
      });
    } catch (error) {
      // A spent budget reports the last failure itself, as a single try would.
      throw unwrapRetries(error);
    }
  };
}
