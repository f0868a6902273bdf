import type { Usage } from '@org/bedrock-stream-contracts';
import type { StreamClientError } from '../errors.js';
import type { StreamPart } from '../parts.js';
import type {
  StreamHandle,
  StreamMetrics,
  StreamResult,
  StreamStatus,
  StreamUpdate,
} from '../stream-types.js';

/** The hook's status: the stream's, plus 'idle' before `start`. */
export type BedrockStreamStatus = 'idle' | StreamStatus;

/** What the store publishes: an immutable view of the followed stream. */
export interface StreamSnapshot {
  text: string;
  /**
   * The ordered parts (text, reasoning, tool calls, steps). A new array when a part
   * changed; unchanged parts keep their identity (memoize a part's component on it).
   */
  parts: readonly StreamPart[];
  status: BedrockStreamStatus;
  error: StreamClientError | null;
  usage: Usage | null;
  /** Refreshed with every published change (not a change by itself). */
  metrics: StreamMetrics | null;
  streamId: string | null;
}

/** The store's view of the hook's options, read at each use so they may change per render. */
export interface StreamStoreSettings {
  throttleMs?: number;
  onUpdate?: (update: StreamUpdate) => void;
  onFinish?: (result: StreamResult) => void;
}

const NO_PARTS: readonly StreamPart[] = Object.freeze([]);

export const IDLE_SNAPSHOT: StreamSnapshot = {
  text: '',
  parts: NO_PARTS,
  status: 'idle',
  error: null,
  usage: null,
  metrics: null,
  streamId: null,
};

function snapshotOf(handle: StreamHandle): StreamSnapshot {
  return {
    text: handle.text,
    parts: handle.parts,
    status: handle.status,
    error: handle.error,
    usage: handle.usage,
    metrics: handle.metrics,
    streamId: handle.streamId,
  };
}

/** Whether two snapshots show the same thing (metrics only ride along). */
function sameView(a: StreamSnapshot, b: StreamSnapshot): boolean {
  return (
    a.text === b.text &&
    a.parts === b.parts &&
    a.status === b.status &&
    a.error === b.error &&
    a.usage === b.usage &&
    a.streamId === b.streamId
  );
}

/**
 * The external store behind `useBedrockStream` (read with React's useSyncExternalStore):
 * follows one {@link StreamHandle} at a time through `handle.subscribe` and publishes an
 * immutable snapshot of it — at once when the status changes, at most once per
 * `throttleMs` while only text and parts stream in (the last text is always published). Framework
 * free: React only sees `subscribe` and `getSnapshot`.
 */
export class StreamStore {
  private snapshot: StreamSnapshot = IDLE_SNAPSHOT;
  private readonly listeners = new Set<() => void>();
  private handle: StreamHandle | null = null;
  private unfollow: (() => void) | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastPublishedAt = 0;

  constructor(private readonly settings: () => StreamStoreSettings) {}

  /** Registers a change listener (useSyncExternalStore's `subscribe`). */
  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  /** The current snapshot; the same object until something visible changes. */
  readonly getSnapshot = (): StreamSnapshot => this.snapshot;

  /** Follows `handle` instead of the current stream; resolves with its result. */
  follow(handle: StreamHandle): Promise<StreamResult> {
    this.handle = handle;
    let following = true;
    const unsubscribe = handle.subscribe((update) => {
      this.settings().onUpdate?.(update);
      this.schedule(handle);
    });
    this.unfollow = () => {
      following = false;
      unsubscribe();
      this.clearTimer();
    };
    this.publish(snapshotOf(handle));
    void handle.done.then((result) => {
      if (!following) return;
      this.publish(snapshotOf(handle));
      this.settings().onFinish?.(result);
    });
    return handle.done;
  }

  /** Shows a stream that failed before it existed (e.g. its input was rejected). */
  fail(streamId: string, error: StreamClientError): void {
    this.publish({ ...IDLE_SNAPSHOT, status: 'error', error, streamId });
  }

  /** Stops following the current stream; a running one is cancelled or detached. */
  release(cancel: boolean): void {
    this.unfollow?.();
    this.unfollow = null;
    const handle = this.handle;
    this.handle = null;
    if (handle && !isTerminal(handle.status)) {
      if (cancel) void handle.cancel();
      else handle.detach();
    }
  }

  /** Asks the worker to stop the current stream. */
  cancel(): void {
    void this.handle?.cancel();
  }

  private schedule(handle: StreamHandle): void {
    const throttleMs = this.settings().throttleMs ?? 50;
    if (handle.status !== this.snapshot.status || throttleMs <= 0) {
      this.publish(snapshotOf(handle));
      return;
    }
    const wait = throttleMs - (Date.now() - this.lastPublishedAt);
    if (wait <= 0) {
      this.publish(snapshotOf(handle));
      return;
    }
    this.timer ??= setTimeout(() => this.publish(snapshotOf(handle)), wait);
  }

  private publish(next: StreamSnapshot): void {
    this.clearTimer();
    this.lastPublishedAt = Date.now();
    if (sameView(this.snapshot, next)) return;
    this.snapshot = next;
    for (const listener of [...this.listeners]) listener();
  }

  private clearTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function isTerminal(status: BedrockStreamStatus): boolean {
  return status === 'done' || status === 'cancelled' || status === 'error';
}
