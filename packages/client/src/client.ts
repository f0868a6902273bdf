import { StreamIdSchema } from '@org/bedrock-stream-contracts';
import { createConversationsApi, type ConversationsApi } from './conversations.js';
import { StreamClientError } from './errors.js';
import { createLifecycle, type LifecycleEnvironment } from './lifecycle.js';
import { OperationRetrier } from './operation-retry.js';
import {
  resolveOptions,
  type ResolvedStreamClientOptions,
  type StreamClientOptions,
} from './options.js';
import {
  StreamSession,
  validateStreamInput,
  type SessionContext,
  type SessionMode,
} from './stream.js';
import type { StreamHandle, StreamInput, StreamOptions } from './stream-types.js';
import {
  createApolloTransport,
  type ChunkSubscriptionHandlers,
  type StreamHandleRecord,
  type StreamRecord,
  type StreamTransport,
  type UsageReport,
} from './transport.js';
import type { ApolloClient } from '@apollo/client/core';

/**
 * A random UUID v4 (122 random bits). `crypto.randomUUID` is missing in browsers outside
 * secure contexts (plain http on a LAN host), where getRandomValues still exists.
 */
export function newStreamId(): string {
  const c = globalThis.crypto;
  if (typeof c.randomUUID === 'function') return c.randomUUID();
  const b = c.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The framework-free client. One instance per API endpoint and identity; it shares one
 * real-time WebSocket among all streams.
 */
export interface StreamClient {
  /**
   * Starts a stream: makes the stream id, subscribes, waits for `start_ack`, then calls
   * startStream. The input is validated first.
   * @throws StreamClientError `INVALID_INPUT` (synchronously) when the input breaks the contract.
   */
  stream(input: StreamInput, options?: StreamOptions): StreamHandle;
  /**
   * Follows a stream that was started earlier — by this page before a reload, in another
   * tab, on another device of the same owner — whether it still runs or already ended:
   * every stored chunk first, then live ones, ending exactly as a client that never left
   * (same text, stop reason, usage). Returns the running handle when this client already
   * follows that stream. An unknown id (or another owner's) ends with `STREAM_NOT_FOUND`.
   * @throws StreamClientError `INVALID_INPUT` (synchronously) when `streamId` is not a stream id.
   */
  resume(streamId: string, options?: ResumeOptions): StreamHandle;
  /**
   * Asks the worker to stop a stream (also one started elsewhere by the same owner).
   * Retried under `retry.cancelStream`.
   */
  cancel(streamId: string): Promise<StreamHandleRecord>;
  /** The stored record of a stream, or null when unknown / not the caller's. Retried. */
  getStream(streamId: string): Promise<StreamRecord | null>;
  /**
   * The caller's usage ledger (tokens per UTC day and month, all models and per model) and
   * the quotas in force. `from`/`to` are UTC days (YYYY-MM-DD, at most 92 days apart);
   * both default to today.
   * @throws StreamClientError `QUERY_FAILED`.
   */
  usage(range?: { from?: string; to?: string }): Promise<UsageReport>;
  /**
   * Low-level typed subscription to onStreamChunk(streamId) (the codegen OnStreamChunkDocument):
   * raw chunks, no assembly. Returns the unsubscribe function.
   */
  subscribeChunks(streamId: string, handlers: ChunkSubscriptionHandlers): () => void;
  /**
   * Conversations kept on the server: create, list, get, rename, delete, read messages,
   * and the turns (sendMessage, regenerate, submitToolResults) whose answers stream like
   * `stream()`'s. A {@link Chat} drives them for a UI.
   */
  readonly conversations: ConversationsApi;
  /** Streams currently running on this client. */
  readonly activeStreams: ReadonlyMap<string, StreamHandle>;
  /** The validated options with defaults. */
  readonly options: ResolvedStreamClientOptions;
  /** The underlying ApolloClient (when built by createStreamClient), for custom operations. */
  readonly apollo: ApolloClient | undefined;
  /** Ends every running stream (status 'error', code `CLIENT_CLOSED`) and closes the connection. */
  close(): void;
}

/**
 * A page hidden this long gets a new WebSocket when it is shown again: mobile browsers
 * suspend hidden pages within about a minute, and their sockets may not report the loss.
 */
const RESET_AFTER_HIDDEN_MS = 30_000;

/** Options of `client.resume()`. */
export interface ResumeOptions {
  /** Aborting cancels the stream (as `cancel()`). */
  signal?: AbortSignal;
}

/** Extra wiring for {@link createStreamClient}, mainly for tests and custom transports. */
export interface CreateStreamClientExtras {
  /** Use this transport instead of Apollo + the AppSync links. */
  transport?: StreamTransport;
  /** The page events to follow instead of the global `window` / `document`. */
  lifecycleEnvironment?: LifecycleEnvironment;
}

/**
 * Creates a client for an AppSync API deployed by bedrock-stream (or the local stack).
 *
 * @example
 * ```ts
 * const client = createStreamClient({
 *   url: 'https://<id>.appsync-api.us-east-1.amazonaws.com/graphql',
 *   region: 'us-east-1',
 *   auth: { type: 'AMAZON_COGNITO_USER_POOLS', jwtToken: async () => session.idToken },
 * });
 * const handle = client.stream({ modelId: 'anthropic.claude-3-haiku-20240307-v1:0', prompt: 'Hi' });
 * for await (const u of handle) if (u.type === 'text') process.stdout.write(u.delta);
 * ```
 * @throws StreamClientError `INVALID_OPTIONS` naming every invalid option.
 */
export function createStreamClient(
  options: StreamClientOptions,
  extras: CreateStreamClientExtras = {},
): StreamClient {
  const resolved = resolveOptions(options);
  const apolloTransport = extras.transport ? undefined : createApolloTransport(resolved);
  const transport: StreamTransport = extras.transport ?? apolloTransport!;
  // Without it (`browserLifecycle: false`) the page is ignored: always online, never wakes.
  const lifecycle = createLifecycle(resolved.browserLifecycle ? extras.lifecycleEnvironment : {});
  const retrier = new OperationRetrier(resolved.retry, lifecycle);
  const context: SessionContext = { transport, options: resolved, retrier, lifecycle };
  const active = new Map<string, StreamSession>();
  let closed = false;

  // The page came back. After being offline, or hidden long enough for a phone to have
  // suspended it, the WebSocket may be dead without knowing it, so it is remade; then every
  // stream resubscribes if needed and catches up.
  const stopWaking = lifecycle.onWake(({ reason, awayMs }) => {
    if (closed) return;
    const mayBeDead = reason === 'online' || awayMs >= RESET_AFTER_HIDDEN_MS;
    if (mayBeDead && active.size > 0) transport.resetConnection?.();
    for (const session of [...active.values()]) session.wake();
  });

  const open = (streamId: string, mode: SessionMode, signal?: AbortSignal) => {
    const session = new StreamSession(context, streamId, mode, signal, (s) => {
      if (active.get(s.streamId) === s) active.delete(s.streamId);
    });
    active.set(streamId, session);
    return session;
  };

  const ensureOpen = () => {
    if (closed) throw new StreamClientError('CLIENT_CLOSED', 'the client is closed', false);
  };
  const conversations = createConversationsApi({
    transport: transport.conversations,
    retrier,
    open: (streamId, starter, signal) => open(streamId, { kind: 'start', starter }, signal),
    newId: newStreamId,
    ensureOpen,
  });

  return {
    options: resolved,
    apollo: apolloTransport?.apollo,
    conversations,
    activeStreams: active,
    stream(input, streamOptions = {}) {
      if (closed) throw new StreamClientError('CLIENT_CLOSED', 'the client is closed', false);
      const streamId = streamOptions.streamId ?? newStreamId();
      const validated = validateStreamInput({ ...input, streamId });
      const starter = {
        operation: 'startStream' as const,
        send: () => transport.startStream(validated),
      };
      return open(streamId, { kind: 'start', starter }, streamOptions.signal);
    },
    resume(streamId, resumeOptions = {}) {
      if (closed) throw new StreamClientError('CLIENT_CLOSED', 'the client is closed', false);
      const parsed = StreamIdSchema.safeParse(streamId);
      if (!parsed.success) {
        throw new StreamClientError(
          'INVALID_INPUT',
          `resume: ${parsed.error.issues[0]?.message ?? 'not a stream id'}`,
          false,
        );
      }
      const running = active.get(streamId);
      if (running) return running;
      return open(streamId, { kind: 'resume' }, resumeOptions.signal);
    },
    cancel: (streamId) => retrier.run('cancelStream', () => transport.cancelStream(streamId)),
    getStream: (streamId) => retrier.run('getStream', () => transport.getStream(streamId)),
    usage(range = {}) {
      if (!transport.myUsage) {
        return Promise.reject(
          new StreamClientError('QUERY_FAILED', 'this transport cannot read usage', false),
        );
      }
      const today = new Date().toISOString().slice(0, 10);
      return transport.myUsage(range.from ?? today, range.to ?? range.from ?? today);
    },
    subscribeChunks: (streamId, handlers) => transport.subscribe(streamId, handlers),
    close() {
      if (closed) return;
      closed = true;
      for (const session of [...active.values()]) {
        session.abort(new StreamClientError('CLIENT_CLOSED', 'the client was closed', false));
      }
      stopWaking();
      lifecycle.close();
      transport.close();
    },
  };
}
