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
  type ReactNode,
} from 'react';
import type { Usage } from '@org/bedrock-stream-contracts';
import type { StreamClient } from '../client.js';
import { StreamClientError, describeError } from '../errors.js';
import type {
  StreamHandle,
  StreamInput,
  StreamMetrics,
  StreamResult,
  StreamStatus,
  StreamUpdate,
} from '../stream.js';
import type { StreamChunkMessage } from '../transport.js';

/**
 * What the hooks need from a client: `createStreamClient()`'s result, or anything with the
 * same `stream` / `subscribeChunks` (e.g. an in-memory fake in tests).
 */
export type StreamClientLike = Pick<StreamClient, 'stream'> &
  Partial<Pick<StreamClient, 'subscribeChunks'>>;

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

/** The hook's status: the stream's, plus 'idle' before `start`. */
export type BedrockStreamStatus = 'idle' | StreamStatus;

/** Options of {@link useBedrockStream}. */
export interface UseBedrockStreamOptions {
  /** Overrides the provider's client. */
  client?: StreamClientLike;
  /**
   * Re-render at most once per this many milliseconds while text streams in (status
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
}

/** What {@link useBedrockStream} returns. */
export interface UseBedrockStreamResult {
  text: string;
  status: BedrockStreamStatus;
  error: StreamClientError | null;
  usage: Usage | null;
  metrics: StreamMetrics | null;
  streamId: string | null;
  /** Starts a stream (replacing a running one). Invalid input sets status 'error'. */
  start: (input: StreamInput) => void;
  /** Cancels the running stream (status becomes 'cancelled' when the worker confirms). */
  cancel: () => void;
  /** Starts a new stream with the last input. */
  retry: () => void;
}

interface Snapshot {
  text: string;
  status: BedrockStreamStatus;
  error: StreamClientError | null;
  usage: Usage | null;
  metrics: StreamMetrics | null;
  streamId: string | null;
}

const IDLE: Snapshot = {
  text: '',
  status: 'idle',
  error: null,
  usage: null,
  metrics: null,
  streamId: null,
};

function snapshotOf(handle: StreamHandle): Snapshot {
  return {
    text: handle.text,
    status: handle.status,
    error: handle.error,
    usage: handle.usage,
    metrics: handle.metrics,
    streamId: handle.streamId,
  };
}

/**
 * Streams a generation into component state.
 *
 * @example
 * ```tsx
 * const { text, status, start, cancel } = useBedrockStream({ throttleMs: 50 });
 * <button onClick={() => start({ modelId, prompt })}>Ask</button>
 * <pre>{text}</pre>
 * ```
 */
export function useBedrockStream(options: UseBedrockStreamOptions = {}): UseBedrockStreamResult {
  const client = useStreamClient(options.client);
  const [snapshot, setSnapshot] = useState<Snapshot>(IDLE);
  // Refs, not state: these change without needing a render.
  const optionsRef = useRef(options);
  optionsRef.current = options;
  const handleRef = useRef<StreamHandle | null>(null);
  const detachRef = useRef<(() => void) | null>(null);
  const inputRef = useRef<StreamInput | null>(null);
  const mountedRef = useRef(true);

  const release = useCallback((cancel: boolean) => {
    detachRef.current?.();
    detachRef.current = null;
    const handle = handleRef.current;
    handleRef.current = null;
    if (handle && !isTerminal(handle.status)) {
      if (cancel) void handle.cancel();
      else handle.detach();
    }
  }, []);

  useEffect(() => {
    mountedRef.current = true;
    return () => {
      mountedRef.current = false;
      release(optionsRef.current.cancelOnUnmount ?? true);
    };
  }, [release]);

  const start = useCallback(
    (input: StreamInput) => {
      release(optionsRef.current.cancelOnUnmount ?? true);
      inputRef.current = input;
      let handle: StreamHandle;
      try {
        handle = client.stream(input);
      } catch (err) {
        const error =
          err instanceof StreamClientError
            ? err
            : new StreamClientError('INVALID_INPUT', describeError(err), false, { cause: err });
        setSnapshot({ ...IDLE, status: 'error', error });
        return;
      }
      handleRef.current = handle;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let lastCommit = 0;
      let lastStatus: BedrockStreamStatus = handle.status;
      let active = true;
      const commit = () => {
        clearTimeout(timer);
        timer = undefined;
        if (!active || !mountedRef.current) return;
        lastCommit = Date.now();
        lastStatus = handle.status;
        setSnapshot(snapshotOf(handle));
      };
      const unsubscribe = handle.subscribe((update) => {
        optionsRef.current.onUpdate?.(update);
        const throttleMs = optionsRef.current.throttleMs ?? 50;
        // Status changes (and the end) render at once; text is throttled.
        if (handle.status !== lastStatus || throttleMs <= 0) return commit();
        const wait = throttleMs - (Date.now() - lastCommit);
        if (wait <= 0) return commit();
        timer ??= setTimeout(commit, wait);
      });
      void handle.done.then((result) => {
        if (!active) return;
        commit();
        optionsRef.current.onFinish?.(result);
      });
      detachRef.current = () => {
        active = false;
        clearTimeout(timer);
        unsubscribe();
      };
      commit();
    },
    [client, release],
  );

  const cancel = useCallback(() => {
    void handleRef.current?.cancel();
  }, []);

  const retry = useCallback(() => {
    if (inputRef.current) start(inputRef.current);
  }, [start]);

  return { ...snapshot, start, cancel, retry };
}

function isTerminal(status: BedrockStreamStatus): boolean {
  return status === 'done' || status === 'cancelled' || status === 'error';
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
