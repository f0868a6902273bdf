import { ApolloClient, ApolloLink, HttpLink } from '@apollo/client/core';
import { createAuthLink, type AuthOptions } from 'aws-appsync-auth-link';
import { CONTROL_EVENTS_KEY, createSubscriptionHandshakeLink } from 'aws-appsync-subscription-link';
import {
  CancelStreamDocument,
  GetStreamDocument,
  MyUsageDocument,
  OnStreamChunkDocument,
  StartStreamDocument,
  StreamChunksDocument,
  type CancelStreamMutation,
  type GetStreamQuery,
  type MyUsageQuery,
  type OnStreamChunkSubscription,
  type StartStreamInput,
  type StartStreamMutation,
  type StreamChunksQuery,
  type StreamChunksQueryVariables,
} from '@org/bedrock-stream-contracts';
import { map } from 'rxjs';
import {
  createApolloConversationTransport,
  type ConversationTransport,
} from './conversation-transport.js';
import { StreamClientError } from './errors.js';
import { asClientError } from './operation-retry.js';
import { NoStoreCache } from './no-store-cache.js';
import type { ResolvedStreamClientOptions } from './options.js';
import { ensureRealtimeGlobals } from './runtime.js';
import { timedFetch } from './timed-fetch.js';

/** One chunk as the subscription and the catch-up query deliver it (payload still AWSJSON). */
export type StreamChunkMessage = NonNullable<OnStreamChunkSubscription['onStreamChunk']>;
/** The stored stream record (getStream). */
export type StreamRecord = NonNullable<GetStreamQuery['getStream']>;
/** What startStream / cancelStream return. */
export type StreamHandleRecord = StartStreamMutation['startStream'];
/** One page of the streamChunks catch-up query. */
export type StreamChunkPage = StreamChunksQuery['streamChunks'];
/** The caller's usage ledger over a range of UTC days (myUsage). */
export type UsageReport = MyUsageQuery['myUsage'];

/** Callbacks of {@link StreamTransport.subscribe}. */
export interface ChunkSubscriptionHandlers {
  /** The server acknowledged the subscription (`start_ack`): publishes from now on are delivered. */
  onAck?: () => void;
  /** A chunk arrived. */
  onChunk: (chunk: StreamChunkMessage) => void;
  /** The subscription ended with an error (WebSocket closed, start rejected, ack timeout). */
  onError?: (error: StreamClientError) => void;
}

/**
 * The GraphQL operations the stream logic needs, each tried once (the client retries them).
 * {@link createApolloTransport} implements it with Apollo Client 4 and the AppSync links;
 * tests may implement it in memory. Failures should be `StreamClientError`s whose
 * `retryable` says whether the same request may pass when sent again (or anything else,
 * which the client classifies itself).
 */
export interface StreamTransport {
  /** Subscribes to onStreamChunk(streamId). Returns the unsubscribe function. */
  subscribe(streamId: string, handlers: ChunkSubscriptionHandlers): () => void;
  startStream(input: StartStreamInput): Promise<StreamHandleRecord>;
  cancelStream(streamId: string): Promise<CancelStreamMutation['cancelStream']>;
  getStream(streamId: string): Promise<StreamRecord | null>;
  streamChunks(variables: StreamChunksQueryVariables): Promise<StreamChunkPage>;
  /** The caller's usage from..to (UTC days, YYYY-MM-DD); optional for custom transports. */
  myUsage?(from: string, to: string): Promise<UsageReport>;
  /** The conversation operations (`client.conversations`, `Chat`); optional for custom transports. */
  readonly conversations?: ConversationTransport;
  /**
   * Drops the real-time connection and makes later subscriptions open a new one; every
   * open subscription ends with an error (and its stream resubscribes). For a connection
   * that may be dead without knowing it (the page was offline). Optional.
   */
  resetConnection?(): void;
  /** Ends every subscription and stops the underlying client. */
  close(): void;
}

/** The Apollo transport plus its ApolloClient, for apps that want to run their own operations. */
export interface ApolloStreamTransport extends StreamTransport {
  readonly apollo: ApolloClient;
}

function toAuthOptions(auth: ResolvedStreamClientOptions['auth']): AuthOptions {
  switch (auth.type) {
    case 'API_KEY':
      return { type: 'API_KEY', apiKey: auth.apiKey };
    case 'AWS_IAM':
      return { type: 'AWS_IAM', credentials: auth.credentials };
    default:
      return { type: auth.type, jwtToken: auth.jwtToken };
  }
}

/**
 * Apollo drops subscription results without `data`, and the link reports `start_ack` as
 * `{ extensions: { controlMsgType: 'CONNECTED' } }` with no data. Give such control
 * messages an empty data object so they reach the subscriber, which tells them apart by
 * the extension.
 */
const controlMessageLink = new ApolloLink((operation, forward) =>
  forward(operation).pipe(
    map((result) =>
      result.extensions?.['controlMsgType'] !== undefined && result.data == null
        ? { ...result, data: {} }
        : result,
    ),
  ),
);

/**
 * Builds the transport: HTTP operations through aws-appsync-auth-link, subscriptions
 * through aws-appsync-subscription-link (AppSync real-time protocol), all on one
 * ApolloClient with caching off (every read must see the store, not a cache): each
 * operation is sent `no-cache`, and the cache is the app's (`options.cache`) or one that
 * stores nothing.
 */
export function createApolloTransport(options: ResolvedStreamClientOptions): ApolloStreamTransport {
  const auth = toAuthOptions(options.auth);
  const httpLink = new HttpLink({
    uri: options.url,
    fetch: timedFetch(() => options.fetch ?? globalThis.fetch, options.requestTimeoutMs),
  });
  // The AppSync links' .d.ts files resolve @apollo/client's CJS typings while we use the
  // ESM ones (same runtime classes, nominally different types), hence the casts.
  const authLink = createAuthLink({ url: options.url, region: options.region, auth });
  // The subscription link owns the WebSocket; resetConnection() swaps in a new one so the
  // next subscription dials afresh while the old socket winds down on its own.
  const newSubscriptionLink = () =>
    createSubscriptionHandshakeLink(
      { url: options.url, region: options.region, auth },
      httpLink as unknown as Parameters<typeof createSubscriptionHandshakeLink>[1],
    ) as unknown as ApolloLink;
  let subscriptionLink = newSubscriptionLink();
  const link = ApolloLink.from([
    authLink as unknown as ApolloLink,
    controlMessageLink,
    new ApolloLink((operation, forward) => subscriptionLink.request(operation, forward)),
  ]);
  const apollo = new ApolloClient({
    link,
    cache: options.cache ?? new NoStoreCache(),
    defaultOptions: {
      query: { fetchPolicy: 'no-cache' },
      mutate: { fetchPolicy: 'no-cache' },
    },
  });
  /** Ends each open subscription; with an error, its stream resubscribes. */
  const active = new Map<() => void, (error: unknown) => void>();

  return {
    apollo,
    conversations: createApolloConversationTransport(apollo),
    subscribe(streamId, handlers) {
      let closed = false;
      let unsubscribe: (() => void) | undefined;
      const stop = () => {
        if (closed) return;
        closed = true;
        active.delete(stop);
        unsubscribe?.();
      };
      let acked = false;
      const ackTimer = setTimeout(() => {
        if (acked || closed) return;
        stop();
        handlers.onError?.(
          new StreamClientError(
            'SUBSCRIBE_FAILED',
            `subscription was not acknowledged within ${options.ackTimeoutMs} ms`,
            true,
          ),
        );
      }, options.ackTimeoutMs);
      const fail = (err: unknown) => {
        clearTimeout(ackTimer);
        if (closed) return;
        stop();
        handlers.onError?.(
          asClientError(acked ? 'CONNECTION_LOST' : 'SUBSCRIBE_FAILED', 'subscription', err),
        );
      };
      active.set(stop, fail);
      ensureRealtimeGlobals(options.webSocketImpl).then(() => {
        if (closed) return;
        const sub = apollo
          .subscribe({
            query: OnStreamChunkDocument,
            variables: { streamId },
            fetchPolicy: 'no-cache',
            context: {
              controlMessages: { [CONTROL_EVENTS_KEY]: true },
              // Two subscriptions to the same stream (e.g. a resubscribe racing the old
              // one's teardown) must be two server subscriptions.
              queryDeduplication: false,
            },
          })
          .subscribe({
            next(result) {
              if (closed) return;
              if (result.extensions?.['controlMsgType'] === 'CONNECTED') {
                if (!acked) {
                  acked = true;
                  clearTimeout(ackTimer);
                  handlers.onAck?.();
                }
                return;
              }
              if (result.error) return fail(result.error);
              const chunk = result.data?.onStreamChunk;
              if (chunk) handlers.onChunk(chunk);
            },
            error: fail,
            complete() {
              // The link completes right after reporting an error; a bare completion
              // (server `complete`) while we still listen is a drop as well.
              fail(new Error('subscription completed by the server'));
            },
          });
        unsubscribe = () => sub.unsubscribe();
        if (closed) sub.unsubscribe();
      }, fail);
      return () => {
        clearTimeout(ackTimer);
        stop();
      };
    },
    async startStream(input) {
      try {
        const res = await apollo.mutate({ mutation: StartStreamDocument, variables: { input } });
        if (res.error) throw res.error;
        if (!res.data) throw new Error('startStream returned no data');
        return res.data.startStream;
      } catch (err) {
        // A refusal by a quota (QuotaExceeded) is not retried; a busy counter (Throttled) is,
        // on the shared policy: classify-error.ts decides. The stream turns either into its
        // typed error (errors.ts refusedStartError).
        throw asClientError('START_FAILED', 'startStream', err);
      }
    },
    async myUsage(from, to) {
      try {
        const res = await apollo.query({ query: MyUsageDocument, variables: { from, to } });
        if (res.error) throw res.error;
        if (!res.data) throw new Error('myUsage returned no data');
        return res.data.myUsage;
      } catch (err) {
        throw asClientError('QUERY_FAILED', 'myUsage', err);
      }
    },
    async cancelStream(streamId) {
      try {
        const res = await apollo.mutate({
          mutation: CancelStreamDocument,
          variables: { streamId },
        });
        if (res.error) throw res.error;
        if (!res.data) throw new Error('cancelStream returned no data');
        return res.data.cancelStream;
      } catch (err) {
        throw asClientError('CANCEL_FAILED', 'cancelStream', err);
      }
    },
    async getStream(streamId) {
      try {
        const res = await apollo.query({ query: GetStreamDocument, variables: { streamId } });
        if (res.error) throw res.error;
        return res.data?.getStream ?? null;
      } catch (err) {
        throw asClientError('QUERY_FAILED', 'getStream', err);
      }
    },
    async streamChunks(variables) {
      try {
        const res = await apollo.query({ query: StreamChunksDocument, variables });
        if (res.error) throw res.error;
        if (!res.data) throw new Error('streamChunks returned no data');
        return res.data.streamChunks;
      } catch (err) {
        throw asClientError('QUERY_FAILED', 'streamChunks', err);
      }
    },
    resetConnection() {
      subscriptionLink = newSubscriptionLink();
      for (const fail of [...active.values()])
        fail(new Error('Connection closed: reset by the client'));
    },
    close() {
      for (const stop of [...active.keys()]) stop();
      apollo.stop();
    },
  };
}
