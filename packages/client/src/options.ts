import type { ApolloCache } from '@apollo/client/core';
import { LIMITS, type RetryPolicy } from '@org/bedrock-stream-contracts';
// zod/mini: the method-chain build would be most of a browser bundle's weight.
import * as z from 'zod/mini';
import { StreamClientError } from './errors.js';

/** AWS credentials as the AWS SDK v3 resolves them. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** A value or a (possibly async) function producing it, called for every request/handshake. */
export type Provider<T> = T | (() => T | Promise<T>);

/**
 * How the client authenticates to AppSync; the same mode is used for HTTP operations
 * and the real-time handshake.
 * - `API_KEY`: the API key (`x-api-key`).
 * - `AWS_IAM`: SigV4 with static credentials or a provider function (e.g.
 *   `fromNodeProviderChain()` of `@aws-sdk/credential-providers`), called per request so
 *   rotated credentials are picked up.
 * - `AMAZON_COGNITO_USER_POOLS` / `OPENID_CONNECT`: a JWT; give a function so a fresh
 *   token is used for each request and each reconnect.
 */
export type StreamClientAuth =
  | { type: 'API_KEY'; apiKey: Provider<string> }
  | { type: 'AWS_IAM'; credentials: Provider<AwsCredentials> }
  | { type: 'AMAZON_COGNITO_USER_POOLS' | 'OPENID_CONNECT'; jwtToken: Provider<string> };

/** A WebSocket constructor (the browser's, or `ws` in Node). */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => unknown;

/**
 * The client's one-shot GraphQL operations, each with its own retry budget. The three
 * conversation mutations start a stream like startStream (and are as safe to retry: the
 * same stream id returns the turn already started); `conversations` covers the
 * conversation reads and create / rename (delete is sent once).
 */
export type OperationName = (typeof OPERATION_NAMES)[number];

/** The operations in {@link OperationName}, in a fixed order. */
export const OPERATION_NAMES = [
  'startStream',
  'cancelStream',
  'getStream',
  'streamChunks',
  'sendMessage',
  'regenerateMessage',
  'submitToolResults',
  'conversations',
] as const;

/** Options of {@link createStreamClient}. Only `url`, `region` and `auth` are required. */
export interface StreamClientOptions {
  /** The AppSync GraphQL endpoint, e.g. `https://<id>.appsync-api.<region>.amazonaws.com/graphql`. */
  url: string;
  /** AWS region of the API (used for SigV4 and the handshake). */
  region: string;
  auth: StreamClientAuth;
  /**
   * WebSocket implementation used when `globalThis.WebSocket` is missing (Node 20).
   * Defaults to the `ws` package, loaded lazily only where needed.
   */
  webSocketImpl?: WebSocketConstructor;
  /** `fetch` for HTTP operations; defaults to the global one. */
  fetch?: typeof fetch;
  /**
   * How long to wait for the subscription's `start_ack` before that try fails (and is retried
   * under `reconnect`). Default 15000.
   */
  ackTimeoutMs?: number;
  /**
   * How long one HTTP operation may take before that try is abandoned as lost (and retried
   * under `retry`). A mobile network can swallow a request without an error. Default 15000.
   */
  requestTimeoutMs?: number;
  /**
   * How long a gap (a missing seq) may stay open before the catch-up query is sent.
   * Delivery is unordered, so a short wait avoids queries for chunks that are merely late.
   * Default 200.
   */
  gapFillDelayMs?: number;
  /**
   * Silence (no chunk) while a stream is running after which the client asks `getStream`
   * for its status and catches up: the terminal chunk may have been lost. Default 10000.
   */
  stallTimeoutMs?: number;
  /**
   * How a stream's subscription is made and remade (contracts' `RetryPolicy`: capped
   * exponential backoff with full jitter): the first subscription is retried under it, and
   * after a WebSocket drop the stream resubscribes under it, the subscription that dropped
   * counting as the first try. The default `{ maxTries: 10, initialDelayMs: 200,
   * maxDelayMs: 5000, jitter: true }` makes up to 9 more tries, waiting up to 200, 400, 800,
   * 1600, 3200, then 5000 ms before each. Each drop starts a fresh count. Fields left out keep
   * the default.
   */
  reconnect?: Partial<RetryPolicy>;
  /**
   * Retry budgets of the one-shot operations (contracts' `RetryPolicy` each), e.g.
   * `{ startStream: { maxTries: 12 } }`. A try that fails on the network, with a 5xx or with
   * throttling is retried; one the service refuses (validation, auth, not found, conflict) is
   * not. Default for each: `{ maxTries: 8, initialDelayMs: 200, maxDelayMs: 5000, jitter:
   * true }` (waits of up to 200, 400, 800, 1600, 3200, 5000, 5000 ms). startStream is safe to
   * retry: the same stream id and input return the stream already started.
   */
  retry?: Partial<Record<OperationName, Partial<RetryPolicy>>>;
  /**
   * In browsers, follow `online` / `offline` and `visibilitychange`: retries wait while the
   * browser is offline instead of spending their budget, and running streams catch up and
   * resubscribe when the page comes back. No effect outside a browser. Default true.
   */
  browserLifecycle?: boolean;
  /** Page size of the `streamChunks` catch-up query. Default LIMITS.catchUpPageDefault. */
  catchUpPageSize?: number;
  /**
   * After `cancel()`, how long to wait for the worker's `cancelled` end chunk before
   * asking `getStream` (the chunk may be lost). Default 1500.
   */
  cancelGraceMs?: number;
  /**
   * Wait for the subscription's `start_ack` before sending the start mutation (the order
   * of the original pattern). By default both go out at once and one record check after
   * the ack catches up what the worker published before the subscription was live: the
   * first text comes one to three round trips sooner, for one more query per stream.
   * Default false.
   */
  subscribeFirst?: boolean;
  /**
   * How long the real-time connection stays open with no stream (ms), so the next stream
   * subscribes in one round trip instead of opening a WebSocket (three or more). Held by a
   * subscription to an id nothing publishes to; `connect()` opens it ahead of the first
   * stream. 0 closes the connection with the last stream. Default 300000 (5 minutes).
   */
  keepWarmMs?: number;
  /**
   * The cache of the underlying ApolloClient (`client.apollo`). The client's own operations
   * never use a cache (each is sent `fetchPolicy: 'no-cache'`: a stream's record must be read
   * from the store), so the default is a cache that stores nothing, which spares browsers
   * InMemoryCache's weight (about 14 KB gzipped). To run your own operations on
   * `client.apollo` with any fetch policy but `no-cache` (e.g. `useQuery`'s default
   * `cache-first`), pass `new InMemoryCache()` (from `@apollo/client`): on the default cache
   * they always go to the network, and Apollo warns about it in development.
   */
  cache?: ApolloCache;
}

const providerOf = <T extends z.ZodMiniType>(schema: T) =>
  z.union([schema, z.custom<() => unknown>((v) => typeof v === 'function', 'expected a function')]);

const CredentialsSchema = z.object({
  accessKeyId: z.string().check(z.minLength(1, 'accessKeyId is empty')),
  secretAccessKey: z.string().check(z.minLength(1, 'secretAccessKey is empty')),
  sessionToken: z.optional(z.string()),
});

const AuthSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('API_KEY'),
    apiKey: providerOf(z.string().check(z.minLength(1, 'apiKey is empty'))),
  }),
  z.object({ type: z.literal('AWS_IAM'), credentials: providerOf(CredentialsSchema) }),
  z.object({
    type: z.enum(['AMAZON_COGNITO_USER_POOLS', 'OPENID_CONNECT']),
    jwtToken: providerOf(z.string().check(z.minLength(1, 'jwtToken is empty'))),
  }),
]);

/**
 * What ApolloClient calls on its cache. Checked by shape rather than `instanceof` so a cache
 * from a second copy of @apollo/client (its CommonJS build, say) is accepted too.
 */
const APOLLO_CACHE_METHODS = ['read', 'write', 'diff', 'watch', 'reset', 'evict', 'batch'] as const;

const isApolloCache = (value: unknown): value is ApolloCache =>
  typeof value === 'object' &&
  value !== null &&
  APOLLO_CACHE_METHODS.every(
    (method) => typeof (value as Record<string, unknown>)[method] === 'function',
  );

const ms = z.int().check(z.nonnegative());
const positiveMs = z.int().check(z.nonnegative(), z.positive());

/**
 * The client's default subscription policy: up to 9 resubscriptions after the dropped one
 * (waits of up to 26 s in all, about 13 s on average: a mobile network's dead spot).
 */
export const DEFAULT_RECONNECT_POLICY: RetryPolicy = {
  maxTries: 10,
  initialDelayMs: 200,
  maxDelayMs: 5_000,
  jitter: true,
};

/** The default budget of each one-shot operation: 8 tries, waits of up to 16 s in all. */
export const DEFAULT_OPERATION_RETRY_POLICY: RetryPolicy = {
  maxTries: 8,
  initialDelayMs: 200,
  maxDelayMs: 5_000,
  jitter: true,
};

const RetryPolicySchema = z.strictObject({
  maxTries: z.int().check(z.gte(1), z.lte(1_000)),
  initialDelayMs: ms,
  maxDelayMs: ms,
  jitter: z.boolean(),
});

/**
 * zod schema of {@link StreamClientOptions}. Strict: an unknown option (a typo, or one
 * an older version had) is an error, not silently ignored.
 */
export const StreamClientOptionsSchema = z.strictObject({
  url: z
    .url('url must be an absolute URL')
    .check(z.refine((u) => /^https?:\/\//.test(u), 'url must be http(s)://')),
  region: z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'region must look like us-east-1')),
  auth: AuthSchema,
  webSocketImpl: z.optional(z.custom<WebSocketConstructor>((v) => typeof v === 'function')),
  fetch: z.optional(z.custom<typeof fetch>((v) => typeof v === 'function')),
  ackTimeoutMs: z.optional(positiveMs),
  requestTimeoutMs: z.optional(positiveMs),
  gapFillDelayMs: z.optional(ms),
  stallTimeoutMs: z.optional(positiveMs),
  reconnect: z.optional(z.partial(RetryPolicySchema)),
  retry: z.optional(
    z.strictObject({
      startStream: z.optional(z.partial(RetryPolicySchema)),
      cancelStream: z.optional(z.partial(RetryPolicySchema)),
      getStream: z.optional(z.partial(RetryPolicySchema)),
      streamChunks: z.optional(z.partial(RetryPolicySchema)),
      sendMessage: z.optional(z.partial(RetryPolicySchema)),
      regenerateMessage: z.optional(z.partial(RetryPolicySchema)),
      submitToolResults: z.optional(z.partial(RetryPolicySchema)),
      conversations: z.optional(z.partial(RetryPolicySchema)),
    }),
  ),
  browserLifecycle: z.optional(z.boolean()),
  catchUpPageSize: z.optional(z.int().check(z.gte(1), z.lte(LIMITS.catchUpPageMax))),
  cancelGraceMs: z.optional(ms),
  subscribeFirst: z.optional(z.boolean()),
  keepWarmMs: z.optional(ms),
  cache: z.optional(
    z.custom<ApolloCache>(isApolloCache, 'expected an ApolloCache, e.g. new InMemoryCache()'),
  ),
});

/** Options with every default filled in. */
export type ResolvedStreamClientOptions = Omit<StreamClientOptions, 'reconnect' | 'retry'> &
  Required<
    Pick<
      StreamClientOptions,
      | 'ackTimeoutMs'
      | 'requestTimeoutMs'
      | 'gapFillDelayMs'
      | 'stallTimeoutMs'
      | 'catchUpPageSize'
      | 'cancelGraceMs'
      | 'browserLifecycle'
      | 'subscribeFirst'
      | 'keepWarmMs'
    >
  > & { reconnect: RetryPolicy; retry: Record<OperationName, RetryPolicy> };

/**
 * Validates options and fills defaults.
 * @throws StreamClientError `INVALID_OPTIONS` naming every offending field.
 */
export function resolveOptions(raw: unknown): ResolvedStreamClientOptions {
  const parsed = StreamClientOptionsSchema.safeParse(raw);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
      .join('; ');
    throw new StreamClientError(
      'INVALID_OPTIONS',
      `invalid stream client options: ${detail}`,
      false,
    );
  }
  // Keep the caller's objects (provider functions, constructors) rather than zod's copies.
  const o = raw as StreamClientOptions;
  return {
    ...o,
    ackTimeoutMs: o.ackTimeoutMs ?? 15_000,
    requestTimeoutMs: o.requestTimeoutMs ?? 15_000,
    gapFillDelayMs: o.gapFillDelayMs ?? 200,
    stallTimeoutMs: o.stallTimeoutMs ?? 10_000,
    reconnect: withDefaults(DEFAULT_RECONNECT_POLICY, parsed.data.reconnect),
    retry: Object.fromEntries(
      OPERATION_NAMES.map((name) => [
        name,
        withDefaults(DEFAULT_OPERATION_RETRY_POLICY, parsed.data.retry?.[name]),
      ]),
    ) as Record<OperationName, RetryPolicy>,
    browserLifecycle: o.browserLifecycle ?? true,
    catchUpPageSize: o.catchUpPageSize ?? LIMITS.catchUpPageDefault,
    cancelGraceMs: o.cancelGraceMs ?? 1_500,
    subscribeFirst: o.subscribeFirst ?? false,
    keepWarmMs: o.keepWarmMs ?? 300_000,
  };
}

/** `defaults` with every field `overrides` sets (an explicit `undefined` keeps the default). */
function withDefaults<T extends object>(defaults: T, overrides: Partial<T> | undefined): T {
  const set = Object.entries(overrides ?? {}).filter(([, value]) => value !== undefined);
  return { ...defaults, ...Object.fromEntries(set) };
}
