import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { print } from 'graphql';
import {
  PublishChunkDocument,
  encodeChunkPayload,
  type ChunkEvent,
} from '@org/bedrock-stream-contracts';

const PUBLISH_QUERY = print(PublishChunkDocument);

/** AWS credentials (static or a provider, like the SDK's default chain). */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** The attempt was superseded by a newer one, or the stream ended: this run must stop quietly. */
export class SupersededError extends Error {
  override readonly name = 'SupersededError';
}

/** A publish that failed for good (not transient). */
export class PublishError extends Error {
  override readonly name = 'PublishError';
  constructor(
    message: string,
    readonly errorType: string,
  ) {
    super(message);
  }
}

/** Options of {@link createPublisher}. */
export interface PublisherOptions {
  graphqlUrl: string;
  region: string;
  credentials: Credentials | (() => Promise<Credentials>);
  /** Attempts per chunk for transient failures. Default 5. */
  maxTries?: number;
  /** First backoff delay; doubles per try. Default 50 ms. */
  baseDelayMs?: number;
  fetch?: typeof fetch;
}

/** Publishes one chunk at (attempt, seq). */
export type Publisher = (chunk: {
  streamId: string;
  attempt: number;
  seq: number;
  events: ChunkEvent[];
}) => Promise<void>;

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
  const maxTries = options.maxTries ?? 5;
  const baseDelay = options.baseDelayMs ?? 50;

  const once = async (body: string): Promise<{ transient: boolean; error?: PublishError }> => {
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
      return {
        transient: true,
        error: new PublishError(
          `publish request failed: ${(error as Error).message}`,
          'NetworkError',
        ),
      };
    }
    const text = await response.text();
    let json: { data?: unknown; errors?: Array<{ errorType?: string; message?: string }> } = {};
    try {
      json = JSON.parse(text) as typeof json;
    } catch {
      return {
        transient: response.status >= 500,
        error: new PublishError(`publish answered ${response.status} with non-JSON`, 'BadResponse'),
      };
    }
    const first = json.errors?.[0];
    if (response.ok && !first) return { transient: false };
    const errorType = first?.errorType ?? `HTTP${response.status}`;
    const error = new PublishError(
      first?.message ?? `publish answered ${response.status}`,
      errorType,
    );
    return {
      transient:
        response.status >= 500 || response.status === 429 || TRANSIENT_TYPES.test(errorType),
      error,
    };
  };

  return async ({ streamId, attempt, seq, events }) => {
    const payload = encodeChunkPayload({ v: 1, events });
    const body = JSON.stringify({
      query: PUBLISH_QUERY,
      operationName: 'PublishChunk',
      variables: { input: { streamId, attempt, seq, payload } },
    });
    for (let tries = 1; ; tries += 1) {
      const outcome = await once(body);
      if (!outcome.error) return;
      // A newer attempt took over, or the stream already ended: stop quietly.
      if (
        outcome.error.errorType === 'StaleAttempt' ||
        outcome.error.errorType === 'StreamNotRunning'
      )
        throw new SupersededError(outcome.error.message);
      if (!outcome.transient || tries >= maxTries) throw outcome.error;
      await new Promise((r) => setTimeout(r, baseDelay * 2 ** (tries - 1)));
    }
  };
}
