// One stream's state machine (subscribe first, start, assemble, fill gaps, resubscribe,
// watch for stalls, end from the record). It stays whole at ~500 lines because every step
// reads and changes the same session state; the pure parts live beside it (assembler.ts,
// record.ts, stream-types.ts).
import {
  backoffDelayMs,
  canRetry,
  sleep,
  ContractError,
  type StartStreamInput,
  type StopReason,
  type Usage,
} from '@org/bedrock-stream-contracts';
import { ChunkAssembler, type AssemblerUpdate, type ChunkOrigin } from './assembler.js';
import { StreamClientError, describeError, workerError, type ClientErrorCode } from './errors.js';
import type { ResolvedStreamClientOptions } from './options.js';
import type { StreamPart } from './parts.js';
import { outcomeOfRecord } from './record.js';
import { encodeStreamInput } from './stream-input.js';
import type {
  StreamHandle,
  StreamInput,
  StreamMetrics,
  StreamResult,
  StreamStatus,
  StreamUpdate,
} from './stream-types.js';
import type { StreamChunkMessage, StreamRecord, StreamTransport } from './transport.js';

/**
 * Drives one stream: subscribe first, wait for start_ack, startStream, assemble chunks,
 * fill gaps from the store, resubscribe after drops, watch for stalls. Internal; use
 * `client.stream()`.
 */
export class StreamSession implements StreamHandle {
  readonly streamId: string;
  readonly done: Promise<StreamResult>;
  private resolveDone!: (r: StreamResult) => void;
  private readonly asm = new ChunkAssembler();
  private _status: StreamStatus = 'submitted';
  private _error: StreamClientError | null = null;
  private _stopReason: StopReason | null = null;
  private _usage: Usage | null = null;
  private readonly log: StreamUpdate[] = [];
  private readonly listeners = new Set<(u: StreamUpdate) => void>();
  private readonly wakeups = new Set<() => void>();
  private finished = false;
  private unsubscribe: (() => void) | undefined;
  private started = false;
  private cancelRequested = false;
  private gapTimer: ReturnType<typeof setTimeout> | undefined;
  private stallTimer: ReturnType<typeof setTimeout> | undefined;
  private catchUpRunning = false;
  private catchUpAgain = false;
  private readonly t0 = Date.now();
  private readonly _metrics: StreamMetrics = emptyMetrics();

  constructor(
    private readonly transport: StreamTransport,
    private readonly options: ResolvedStreamClientOptions,
    private readonly input: StartStreamInput,
    signal: AbortSignal | undefined,
    private readonly onFinished: (s: StreamSession) => void,
  ) {
    this.streamId = input.streamId;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    if (signal?.aborted) {
      this.cancelRequested = true;
    } else {
      signal?.addEventListener('abort', () => void this.cancel(), { once: true });
    }
    this.emit({ type: 'status', status: 'submitted' });
    void this.run();
  }

  get status(): StreamStatus {
    return this._status;
  }
  get text(): string {
    return this.asm.text;
  }
  get parts(): readonly StreamPart[] {
    return this.asm.parts;
  }
  get usage(): Usage | null {
    return this._usage;
  }
  get metrics(): StreamMetrics {
    return {
      ...this._metrics,
      skippedEventTypes: [...this._metrics.skippedEventTypes],
      duplicates: this.asm.stats.duplicates + this.asm.stats.stale,
    };
  }
  get stopReason(): StopReason | null {
    return this._stopReason;
  }
  get error(): StreamClientError | null {
    return this._error;
  }

  subscribe(listener: (update: StreamUpdate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<StreamUpdate> {
    let cursor = 0;
    for (;;) {
      while (cursor < this.log.length) yield this.log[cursor++]!;
      if (this.finished) return;
      await new Promise<void>((resolve) => this.wakeups.add(resolve));
    }
  }

  async cancel(): Promise<void> {
    if (this.finished || this.cancelRequested) return;
    this.cancelRequested = true;
    // Not started yet: run() sees the flag and either never sends startStream or, when
    // it is already in flight, sends cancelStream once the record exists.
    if (!this.started) return;
    try {
      await this.transport.cancelStream(this.streamId);
    } catch (err) {
      this.emit({ type: 'error', error: toClientError('CANCEL_FAILED', err), fatal: false });
    }
    this.armStall(this.options.cancelGraceMs);
  }

  detach(): void {
    this.abort(new StreamClientError('DETACHED', 'stopped following the stream', false));
  }

  /** Ends the stream locally (client.close(), detach()). */
  abort(error: StreamClientError): void {
    this.finishWith('error', error);
  }

  private async run(): Promise<void> {
    try {
      await this.subscribeOnce();
    } catch (err) {
      return this.finishWith('error', toClientError('SUBSCRIBE_FAILED', err));
    }
    if (this.finished) return;
    if (this.cancelRequested) return this.finishCancelledLocally();
    try {
      await this.transport.startStream(this.input);
    } catch (err) {
      return this.finishWith('error', toClientError('START_FAILED', err));
    }
    this.started = true;
    if (this.finished) return;
    this.armStall();
    if (this.cancelRequested) {
      // cancel() arrived while startStream was in flight: the record exists only now.
      this.cancelRequested = false;
      await this.cancel();
    }
  }

  private finishCancelledLocally(): void {
    if (this.finished) return;
    this._stopReason = 'cancelled';
    this.finishWith('cancelled', null);
  }

  /** Subscribes; resolves on start_ack, rejects if the subscription fails before it. */
  private subscribeOnce(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let acked = false;
      this.unsubscribe?.();
      const unsubscribe = this.transport.subscribe(this.streamId, {
        onAck: () => {
          acked = true;
          resolve();
        },
        onChunk: (chunk) => this.onChunk(chunk),
        onError: (error) => {
          if (this.unsubscribe === unsubscribe) this.unsubscribe = undefined;
          if (!acked) reject(error);
          else void this.reconnect(error);
        },
      });
      this.unsubscribe = unsubscribe;
    });
  }

  /**
   * Resubscribes after a drop under the `reconnect` policy (contracts' capped, full-jitter
   * backoff); the subscription that dropped was try 1.
   */
  private async reconnect(cause: StreamClientError): Promise<void> {
    const policy = this.options.reconnect;
    for (let tries = 1; canRetry(policy, tries) && !this.finished; tries++) {
      await sleep(backoffDelayMs(policy, tries + 1));
      if (this.finished) return;
      this._metrics.reconnects++;
      try {
        await this.subscribeOnce();
      } catch {
        continue;
      }
      // Nothing is replayed after a reconnect: whatever was published meanwhile is in the store.
      void this.catchUp();
      return;
    }
    if (!this.finished) {
      this.finishWith(
        'error',
        new StreamClientError(
          'CONNECTION_LOST',
          `real-time connection lost and not re-established: ${cause.message}`,
          true,
          { cause },
        ),
      );
    }
  }

  private onChunk(chunk: StreamChunkMessage): void {
    if (chunk.streamId !== this.streamId || this.finished) return;
    this.apply(chunk, 'live');
  }

  private apply(
    chunk: { attempt: number; seq: number; payload: unknown },
    origin: ChunkOrigin,
  ): void {
    const before = this.progressKey();
    const updates = this.asm.push(chunk, origin);
    for (const u of updates) this.emitAssembled(u);
    if (this.finished) return;
    if (this.progressKey() !== before) this.armStall();
    const terminal = this.asm.terminal;
    if (terminal) {
      if (terminal.type === 'end') {
        this._stopReason = terminal.stopReason;
        this._metrics.worker = terminal.timings;
        this.finishWith(terminal.stopReason === 'cancelled' ? 'cancelled' : 'done', null);
      } else {
        this.finishWith(
          'error',
          workerError(
            terminal.code,
            terminal.message,
            terminal.retryable,
            terminal.retryAfterSeconds,
          ),
        );
      }
      return;
    }
    if (this.asm.gap()) this.scheduleGapFill();
  }

  private progressKey(): string {
    return `${this.asm.attempt}:${this.asm.lastAppliedSeq}`;
  }

  private emitAssembled(u: AssemblerUpdate): void {
    switch (u.type) {
      case 'start':
        this.setStatus('streaming');
        this.emit({ type: 'start', attempt: u.attempt, modelId: u.modelId });
        break;
      case 'reset':
        this._usage = null;
        this.emit({ type: 'reset', attempt: u.attempt });
        break;
      case 'text':
        this.setStatus('streaming');
        this._metrics.timeToFirstTextMs ??= Date.now() - this.t0;
        this.emit({ type: 'text', text: u.text, delta: u.delta, attempt: u.attempt, seq: u.seq });
        break;
      case 'part':
        this.emit({ type: 'part', index: u.index, part: u.part, attempt: u.attempt, seq: u.seq });
        break;
      case 'usage':
        this._usage = u.usage;
        this.emit({ type: 'usage', usage: u.usage });
        break;
      case 'end':
        if (u.usage) this._usage = u.usage;
        break; // emitted by finishWith
      case 'error':
        break; // emitted by finishWith
      case 'skipped':
        this.noteSkipped(u.eventTypes, u.count);
        break;
      case 'invalid':
        this._metrics.invalidPayloads++;
        this.emit({
          type: 'error',
          fatal: false,
          error: new StreamClientError(
            'INVALID_PAYLOAD',
            `chunk (${u.attempt}, ${u.seq}) skipped: ${u.message}`,
            false,
          ),
        });
        break;
    }
  }

  /** Counts skipped unknown events; the first time, tells the listeners (one notice a stream). */
  private noteSkipped(eventTypes: string[], count: number): void {
    const first = this._metrics.skippedEvents === 0;
    this._metrics.skippedEvents += count;
    for (const type of eventTypes) {
      if (!this._metrics.skippedEventTypes.includes(type))
        this._metrics.skippedEventTypes.push(type);
    }
    if (!first) return;
    this.emit({
      type: 'notice',
      code: 'UNKNOWN_EVENTS',
      eventTypes,
      message: `skipped events of types this client does not know (${eventTypes.join(', ')}); the worker is newer than this client, every known event was kept`,
    });
  }

  private scheduleGapFill(): void {
    if (this.gapTimer) return;
    // Delivery is unordered: give late chunks a moment before asking the store.
    this.gapTimer = setTimeout(() => {
      this.gapTimer = undefined;
      if (!this.finished && this.asm.gap()) void this.catchUp();
    }, this.options.gapFillDelayMs);
  }

  /** Reads every stored chunk after what is assembled, page by page. Serialized. */
  private async catchUp(): Promise<void> {
    if (this.catchUpRunning) {
      this.catchUpAgain = true;
      return;
    }
    this.catchUpRunning = true;
    try {
      do {
        this.catchUpAgain = false;
        let nextToken: string | null = null;
        const from = { attempt: this.asm.attempt, afterSeq: this.asm.lastAppliedSeq };
        do {
          if (this.finished) return;
          this._metrics.catchUpQueries++;
          const page = await this.transport.streamChunks({
            streamId: this.streamId,
            attempt: from.attempt > 0 ? from.attempt : null,
            afterSeq: from.attempt > 0 ? from.afterSeq : null,
            limit: this.options.catchUpPageSize,
            nextToken,
          });
          this._metrics.catchUpChunks += page.items.length;
          for (const item of page.items) {
            if (this.finished) return;
            this.apply(item, 'store');
          }
          nextToken = page.nextToken;
        } while (nextToken);
      } while (this.catchUpAgain && !this.finished);
    } catch (err) {
      // A failed catch-up is retried by the stall watchdog; report, don't end the stream.
      this.emit({ type: 'error', error: toClientError('QUERY_FAILED', err), fatal: false });
    } finally {
      this.catchUpRunning = false;
    }
  }

  private armStall(ms = this.options.stallTimeoutMs): void {
    if (this.finished) return;
    clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(() => void this.onStall(), ms);
  }

  /** No progress for a while: ask the record, catch up, and end from the record if needed. */
  private async onStall(): Promise<void> {
    if (this.finished) return;
    let record: StreamRecord | null = null;
    try {
      record = await this.transport.getStream(this.streamId);
    } catch (err) {
      this.emit({ type: 'error', error: toClientError('QUERY_FAILED', err), fatal: false });
    }
    if (this.finished) return;
    const behind =
      record != null &&
      (record.attempt > this.asm.attempt ||
        (record.attempt === this.asm.attempt && record.lastSeq > this.asm.lastAppliedSeq));
    const outcome = record && outcomeOfRecord(record);
    if (record && (behind || outcome || this.asm.gap())) {
      await this.catchUp();
    }
    if (this.finished) return;
    if (outcome) {
      // The store has every chunk it ever fanned out; if the terminal one is still missing,
      // the worker ended without publishing it (e.g. it crashed): the record is the truth.
      this._usage = outcome.usage ?? this._usage;
      this._metrics.worker = outcome.timings ?? this._metrics.worker;
      this._stopReason = outcome.stopReason;
      this.finishWith(outcome.status, outcome.error);
      return;
    }
    this.armStall(this.cancelRequested ? this.options.cancelGraceMs : this.options.stallTimeoutMs);
  }

  private setStatus(status: StreamStatus): void {
    if (this._status === status || this.finished) return;
    this._status = status;
    this.emit({ type: 'status', status });
  }

  private finishWith(
    status: 'done' | 'cancelled' | 'error',
    error: StreamClientError | null,
  ): void {
    if (this.finished) return;
    this._metrics.totalMs = Date.now() - this.t0;
    if (status === 'error') {
      this._error = error;
      this.emit({
        type: 'error',
        fatal: true,
        error: error ?? new StreamClientError('STREAM_FAILED', 'stream failed', true),
      });
    } else {
      this.emit({
        type: 'end',
        status,
        stopReason: this._stopReason ?? (status === 'cancelled' ? 'cancelled' : 'end_turn'),
        text: this.asm.text,
        parts: this.asm.parts,
        usage: this._usage,
        metrics: this.metrics,
      });
    }
    this.setStatus(status);
    this.finished = true;
    clearTimeout(this.gapTimer);
    clearTimeout(this.stallTimer);
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const wake of this.wakeups) wake();
    this.wakeups.clear();
    this.listeners.clear();
    this.onFinished(this);
    this.resolveDone({
      streamId: this.streamId,
      status,
      text: this.asm.text,
      parts: this.asm.parts,
      stopReason: this._stopReason,
      usage: this._usage,
      metrics: this.metrics,
      error: this._error,
    });
  }

  private emit(update: StreamUpdate): void {
    this.log.push(update);
    for (const wake of this.wakeups) wake();
    this.wakeups.clear();
    for (const listener of [...this.listeners]) {
      try {
        listener(update);
      } catch {
        // A throwing listener must not break the stream for others.
      }
    }
  }
}

/** Metrics of a stream before anything happened. */
export function emptyMetrics(): StreamMetrics {
  return {
    worker: null,
    timeToFirstTextMs: null,
    totalMs: null,
    reconnects: 0,
    catchUpQueries: 0,
    catchUpChunks: 0,
    duplicates: 0,
    invalidPayloads: 0,
    skippedEvents: 0,
    skippedEventTypes: [],
  };
}

function toClientError(code: ClientErrorCode, err: unknown): StreamClientError {
  if (err instanceof StreamClientError) return err;
  if (err instanceof ContractError)
    return new StreamClientError('INVALID_INPUT', err.message, false, { cause: err });
  return new StreamClientError(code, describeError(err), true, { cause: err });
}

/**
 * Validates a stream input (with its stream id) against contracts' StartStreamInputSchema
 * and encodes it for GraphQL (AWSJSON fields given as values become JSON strings).
 * @throws StreamClientError `INVALID_INPUT` naming each offending field.
 */
export function validateStreamInput(input: StreamInput & { streamId: string }): StartStreamInput {
  try {
    return encodeStreamInput(input);
  } catch (err) {
    throw toClientError('INVALID_INPUT', err);
  }
}
