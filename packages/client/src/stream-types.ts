import type { StopReason, Timings, Usage } from '@org/bedrock-stream-contracts';
import type { StreamClientError } from './errors.js';
import type { StreamPart } from './parts.js';

export type { StreamInput } from './stream-input.js';

/** A stream's client-side status. `submitted` lasts until the first chunk of an attempt. */
export type StreamStatus = 'submitted' | 'streaming' | 'done' | 'cancelled' | 'error';

/** Timings reported by the worker plus what the client observed. */
export interface StreamMetrics {
  /** The worker's timings of the final attempt (from the end event or the stored record). */
  worker: Timings | null;
  /** Milliseconds from `stream()` to the first text update, as seen by this client. */
  timeToFirstTextMs: number | null;
  /** Milliseconds from `stream()` to the terminal update. */
  totalMs: number | null;
  /** Resubscriptions after WebSocket drops. */
  reconnects: number;
  /** Operations tried again after a failure that may pass (lost, 5xx, throttled). */
  retries: number;
  /** Catch-up queries sent (pages count separately) and chunks they returned. */
  catchUpQueries: number;
  catchUpChunks: number;
  /** Duplicate / stale-attempt chunks ignored. */
  duplicates: number;
  /** Chunks skipped because their payload broke the contract. */
  invalidPayloads: number;
  /** Events of unknown types (from a newer worker) skipped in applied chunks. */
  skippedEvents: number;
  /** Those events' types, each once, in the order first seen. */
  skippedEventTypes: string[];
}

/** Codes of {@link StreamNotice}s. */
export type StreamNoticeCode = 'UNKNOWN_EVENTS';

/**
 * Something the client tolerated that a UI may log or show; never ends the stream and
 * never changes the text.
 * - `UNKNOWN_EVENTS`: a chunk carried events of types this client version does not know
 *   (the worker is newer). They were skipped; every known event, and so all the text, was
 *   kept. Reported at most once per stream, for the first such chunk (`eventTypes` are its
 *   unknown types); `metrics.skippedEvents` / `metrics.skippedEventTypes` count them all.
 */
export interface StreamNotice {
  type: 'notice';
  code: StreamNoticeCode;
  /** The unknown event types that triggered the notice. */
  eventTypes: string[];
  message: string;
}

/** The typed updates a {@link StreamHandle} yields, in stream order. */
export type StreamUpdate =
  | { type: 'status'; status: StreamStatus }
  | { type: 'start'; attempt: number; modelId: string }
  /** A newer worker attempt began; earlier text and parts are discarded (both restart empty). */
  | { type: 'reset'; attempt: number }
  | { type: 'text'; text: string; delta: string; attempt: number; seq: number }
  /**
   * A part was added or changed: `parts[index]` is now `part` (appended when `index` is the
   * old length). Unchanged parts keep their identity, so a UI re-renders only this one.
   */
  | { type: 'part'; index: number; part: StreamPart; attempt: number; seq: number }
  | { type: 'usage'; usage: Usage }
  /** Terminal success (`status` 'done', or 'cancelled' when stopReason is `cancelled`). */
  | {
      type: 'end';
      status: 'done' | 'cancelled';
      stopReason: StopReason;
      text: string;
      parts: readonly StreamPart[];
      usage: Usage | null;
      metrics: StreamMetrics;
    }
  /** `fatal` errors end the stream; others (an invalid payload that was skipped) do not. */
  | { type: 'error'; error: StreamClientError; fatal: boolean }
  | StreamNotice;

/** How a stream ended; what `handle.done` resolves to. */
export interface StreamResult {
  streamId: string;
  status: 'done' | 'cancelled' | 'error';
  text: string;
  /** The answer's ordered parts (text, reasoning, tool calls, steps). */
  parts: readonly StreamPart[];
  stopReason: StopReason | null;
  usage: Usage | null;
  metrics: StreamMetrics;
  error: StreamClientError | null;
}

/**
 * A running stream. Iterate it (`for await (const u of handle)`) for typed updates — every
 * iterator replays from the first update, so late iteration misses nothing — or read the
 * live getters, or register a listener with `subscribe`.
 */
export interface StreamHandle extends AsyncIterable<StreamUpdate> {
  /** The client-made stream id (UUID v4). */
  readonly streamId: string;
  readonly status: StreamStatus;
  /** Text assembled so far (the text parts, concatenated); equals the stored text once done. */
  readonly text: string;
  /**
   * The answer's ordered parts so far: text, reasoning (with its signature), tool calls
   * (with their state) and step starts; equal to the stored parts once done. The same array
   * until a part changes; a changed part is a new object.
   */
  readonly parts: readonly StreamPart[];
  /** Token usage, with `cacheReadInputTokens` / `cacheWriteInputTokens` when the model reports them. */
  readonly usage: Usage | null;
  readonly metrics: StreamMetrics;
  readonly stopReason: StopReason | null;
  /** The fatal error when `status` is 'error'. */
  readonly error: StreamClientError | null;
  /** Resolves when the stream ends, however it ends. Never rejects. */
  readonly done: Promise<StreamResult>;
  /**
   * Asks the worker to stop (cancelStream). The stream then ends with status 'cancelled'
   * once the worker's `cancelled` end chunk (or the stored record) says so.
   */
  cancel(): Promise<void>;
  /**
   * Stops following the stream locally (closes its subscription and timers) without asking
   * the worker to stop; the generation goes on and stays readable with `getStream`.
   * The handle ends with status 'error', code `DETACHED`.
   */
  detach(): void;
  /** Calls `listener` for every later update. Returns the function that removes it. */
  subscribe(listener: (update: StreamUpdate) => void): () => void;
}

/** Options of `client.stream()`. */
export interface StreamOptions {
  /** Aborting cancels the stream (as `cancel()`). */
  signal?: AbortSignal;
  /** Use this id instead of a random one (must be a lowercase UUID v4). */
  streamId?: string;
}
