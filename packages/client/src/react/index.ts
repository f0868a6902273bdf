/**
 * @packageDocumentation
 * React bindings of `@org/bedrock-stream-client` (subpath `@org/bedrock-stream-client/react`).
 * React is an optional peer dependency: only this entry imports it.
 *
 * Pass a client through {@link BedrockStreamProvider} (TanStack-style) or to each hook's
 * `client` option.
 */
import {
  createContext,
  createElement,
  useCallback,
  useContext,
  useEffect,
  useRef,
  useState,
  useSyncExternalStore,
  type ReactNode,
} from 'react';
import type { QuotaErrorInfo, Usage } from '@org/bedrock-stream-contracts';
import { newStreamId, type StreamClient } from '../client.js';
import { StreamClientError, describeError } from '../errors.js';
import { emptyMetrics } from '../stream.js';
import type { StreamInput, StreamMetrics, StreamResult, StreamUpdate } from '../stream-types.js';
import type { StreamPart } from '../parts.js';
import type { StreamChunkMessage } from '../transport.js';
import { StreamStore, type BedrockStreamStatus } from './stream-store.js';

export type { BedrockStreamStatus } from './stream-store.js';
export { useBedrockChat, useConversations } from './chat-hooks.js';
export type {
  UseBedrockChatOptions,
  UseBedrockChatResult,
  UseConversationsOptions,
  UseConversationsResult,
} from './chat-hooks.js';

/**
 * What the hooks need from a client: `createStreamClient()`'s result, or anything with the
 * same `stream` / `subscribeChunks` (e.g. an in-memory fake in tests).
 */
export type StreamClientLike = Pick<StreamClient, 'stream'> &
  Partial<Pick<StreamClient, 'subscribeChunks' | 'resume' | 'conversations' | 'connect'>>;

const ClientContext = createContext<StreamClientLike | null>(null);

/** Props of {@link BedrockStreamProvider}. */
export interface BedrockStreamProviderProps {
  client: StreamClientLike;
  children?: ReactNode;
}

/** Makes `client` available to the hooks below it. */
export function BedrockStreamProvider({ client, children }: BedrockStreamProviderProps) {
  return createElement(ClientContext.Provider, { value: client }, children);
}

/**
 * The client given to the hook, else the nearest provider's.
 * @throws Error when neither exists.
 */
export function useStreamClient(client?: StreamClientLike): StreamClientLike {
  const fromContext = useContext(ClientContext);
  const resolved = client ?? fromContext;
  if (!resolved) {
    throw new Error(
      'No stream client: wrap the tree in <BedrockStreamProvider client={...}> or pass { client }',
    );
  }
  return resolved;
}

/**
 * Opens the client's real-time connection when the component first renders, so the first
 * stream's subscription costs one round trip, not a new WebSocket's three or more (see
 * `client.connect()`). Failures are left to the stream, which retries.
 */
export function usePreconnect(client: StreamClientLike): void {
  useEffect(() => {
    client.connect?.().catch(() => undefined);
  }, [client]);
}

/** Options of {@link useBedrockStream}. */
export interface UseBedrockStreamOptions {
  /** Overrides the provider's client. */
  client?: StreamClientLike;
  /**
   * Re-render at most once per this many milliseconds while text and parts stream in (status
   * changes and the end render at once). 0 renders on every update. Default 50.
   */
  throttleMs?: number;
  /**
   * On unmount (or when `start` replaces a running stream): `true` (default) cancels the
   * generation server-side; `false` only stops listening (`handle.detach()`).
   */
  cancelOnUnmount?: boolean;
  /** Called for every update, unthrottled. */
  onUpdate?: (update: StreamUpdate) => void;
  /** Called once when a stream ends. */
  onFinish?: (result: StreamResult) => void;
  /**
   * Follow this stream when the hook mounts (or the id changes): one started earlier, e.g.
   * before a page reload, whose id the app kept (see the README: sessionStorage). Stored
   * text shows at once, then it streams on live, like `resume(streamId)`.
   */
  resumeStreamId?: string | null;
}

/** What {@link useBedrockStream} returns. */
export interface UseBedrockStreamResult {
  text: string;
  /**
   * The answer's ordered parts: text, reasoning, tool calls (with their state) and step
   * starts. Unchanged parts keep their identity across renders, so a memoized component
   * per part re-renders only the part that changed.
   */
  parts: readonly StreamPart[];
  status: BedrockStreamStatus;
  error: StreamClientError | null;
  /**
   * The limit that refused the last start (`error.code === 'QuotaExceeded'` from
   * startStream): which quota, its limit, the current count; null otherwise.
   */
  quota: QuotaErrorInfo | null;
  /** Seconds until trying again can succeed (quotas, throttling), from `error`; else null. */
  retryAfterSeconds: number | null;
  usage: Usage | null;
  /** The stream's metrics as of the last render-causing change. */
  metrics: StreamMetrics | null;
  streamId: string | null;
  /**
   * Starts a stream (replacing a running one) and resolves with its result once it ends,
   * however it ends (never rejects, like `handle.done`). Input the contract rejects makes
   * status 'error' (`INVALID_INPUT`) at once and resolves with that error.
   */
  start: (input: StreamInput) => Promise<StreamResult>;
  /** Cancels the running stream (status becomes 'cancelled' when the worker confirms). */
  cancel: () => void;
  /** Starts a new stream with the last input. */
  retry: () => void;
  /**
   * Follows a stream started earlier (`client.resume`), replacing a running one; resolves
   * with its result once it ends. A resumed stream is only detached, never cancelled, when
   * the component unmounts: it outlives pages by design, and a remount that passes
   * `resumeStreamId` (StrictMode, a route change) resumes it again.
   */
  resume: (streamId: string) => Promise<StreamResult>;
}

/**
 * Streams a generation into component state: a thin hook over an external store that
 * follows `StreamHandle.subscribe` (./stream-store.ts), read with `useSyncExternalStore`.
 *
 * @example
 * ```tsx
 * const { text, status, start, cancel } = useBedrockStream({ throttleMs: 50 });
 * <button onClick={() => void start({ modelId, prompt })}>Ask</button>
 * <pre>{text}</pre>
 * ```
 */
export function useBedrockStream(options: UseBedrockStreamOptions = {}): UseBedrockStreamResult {
  const client = useStreamClient(options.client);
  usePreconnect(client);
  // The latest options, read by the store at each use (no stale callbacks, no re-subscribe).
  const optionsRef = useRef(options);
  optionsRef.current = options;
  const [store] = useState(() => new StreamStore(() => optionsRef.current));
  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
  const inputRef = useRef<StreamInput | null>(null);
  // The id of the stream followed, and whether it was resumed (then it is never cancelled).
  const followingRef = useRef<{ streamId: string; resumed: boolean } | null>(null);
  const release = useCallback(() => {
    const resumed = followingRef.current?.resumed ?? false;
    followingRef.current = null;
    store.release(!resumed && (optionsRef.current.cancelOnUnmount ?? true));
  }, [store]);

  useEffect(() => release, [release]);

  /** A stream the client refused to open (bad input, no resume()): its result at once. */
  const refuse = useCallback(
    (streamId: string, err: unknown): Promise<StreamResult> => {
      const error =
        err instanceof StreamClientError
          ? err
          : new StreamClientError('INVALID_INPUT', describeError(err), false, { cause: err });
      store.fail(streamId, error);
      return Promise.resolve(rejectedResult(streamId, error));
    },
    [store],
  );

  const start = useCallback(
    (input: StreamInput): Promise<StreamResult> => {
      release();
      inputRef.current = input;
      // Named here so a stream whose input is rejected still has an id in its result.
      const streamId = newStreamId();
      try {
        const handle = client.stream(input, { streamId });
        followingRef.current = { streamId, resumed: false };
        return store.follow(handle);
      } catch (err) {
        return refuse(streamId, err);
      }
    },
    [client, store, release, refuse],
  );

  const resume = useCallback(
    (streamId: string): Promise<StreamResult> => {
      release();
      inputRef.current = null;
      try {
        if (!client.resume) throw new Error('this client cannot resume streams (no resume())');
        const handle = client.resume(streamId);
        followingRef.current = { streamId, resumed: true };
        return store.follow(handle);
      } catch (err) {
        return refuse(streamId, err);
      }
    },
    [client, store, release, refuse],
  );

  const resumeStreamId = options.resumeStreamId;
  useEffect(() => {
    if (resumeStreamId && followingRef.current?.streamId !== resumeStreamId) {
      void resume(resumeStreamId);
    }
  }, [resumeStreamId, resume]);

  const cancel = useCallback(() => store.cancel(), [store]);

  const retry = useCallback(() => {
    if (inputRef.current) void start(inputRef.current);
  }, [start]);

  return {
    ...snapshot,
    quota: snapshot.error?.quota ?? null,
    retryAfterSeconds: snapshot.error?.retryAfterSeconds ?? null,
    start,
    cancel,
    retry,
    resume,
  };
}

/** The result of a stream that was refused before it started. */
function rejectedResult(streamId: string, error: StreamClientError): StreamResult {
  return {
    streamId,
    status: 'error',
    text: '',
    parts: [],
    stopReason: null,
    usage: null,
    metrics: emptyMetrics(),
    error,
  };
}

/** Options of {@link useStreamSubscription}. */
export interface UseStreamSubscriptionOptions {
  client?: StreamClientLike;
  /** Subscribe only while true. Default true. */
  enabled?: boolean;
}

/** What {@link useStreamSubscription} returns. */
export interface UseStreamSubscriptionResult {
  /** Chunks in arrival order (raw: duplicates and disorder included; payload is AWSJSON). */
  chunks: StreamChunkMessage[];
  /** The newest chunk. */
  lastChunk: StreamChunkMessage | null;
  /** The server acknowledged the subscription (start_ack). */
  connected: boolean;
  error: StreamClientError | null;
}

/**
 * Low-level typed subscription to `onStreamChunk(streamId)` (codegen OnStreamChunkDocument):
 * the chunks as delivered, for custom rendering or debugging. Prefer {@link useBedrockStream},
 * which assembles, deduplicates and catches up.
 */
export function useStreamSubscription(
  streamId: string | null | undefined,
  options: UseStreamSubscriptionOptions = {},
): UseStreamSubscriptionResult {
  const client = useStreamClient(options.client);
  const enabled = options.enabled ?? true;
  const [state, setState] = useState<UseStreamSubscriptionResult>({
    chunks: [],
    lastChunk: null,
    connected: false,
    error: null,
  });
  useEffect(() => {
    setState({ chunks: [], lastChunk: null, connected: false, error: null });
    if (!streamId || !enabled) return;
    if (!client.subscribeChunks) {
      setState((s) => ({
        ...s,
        error: new StreamClientError('SUBSCRIBE_FAILED', 'client has no subscribeChunks', false),
      }));
      return;
    }
    return client.subscribeChunks(streamId, {
      onAck: () => setState((s) => ({ ...s, connected: true })),
      onChunk: (chunk) =>
        setState((s) => ({ ...s, chunks: [...s.chunks, chunk], lastChunk: chunk })),
      onError: (error) => setState((s) => ({ ...s, connected: false, error })),
    });
  }, [client, streamId, enabled]);
  return state;
}
