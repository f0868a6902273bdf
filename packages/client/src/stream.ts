// One stream's lifecycle: subscribe and start at once (or attach to a stream that exists:
// resume), assemble, fill gaps from the store, check the record when nothing arrives, end. The
// parts with a job of their own live beside it: the subscription (stream-subscription.ts),
// retries (operation-retry.ts), catch-up (catch-up.ts), the update log (update-log.ts),
// the assembler and the record reader. It stays whole at ~650 lines because every step
// left reads and changes the same session state (status, assembler, timers, metrics).
import {
  ContractError,
  type StartStreamInput,
  type StopReason,
  type Usage,
} from '@org/bedrock-stream-contracts';
import { ChunkAssembler, type AssemblerUpdate, type ChunkOrigin } from './assembler.js';
import { CatchUp } from './catch-up.js';
import { classifyError } from './classify-error.js';
import {
  StreamClientError,
  describeError,
  refusedStartError,
  workerError,
  type ClientErrorCode,
} from './errors.js';
import type { ClientLifecycle } from './lifecycle.js';
import type { OperationRetrier, RetryHooks } from './operation-retry.js';
import type { OperationName, ResolvedStreamClientOptions } from './options.js';
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
import { StreamSubscription } from './stream-subscription.js';
import type {
  StreamChunkMessage,
  StreamHandleRecord,
  StreamRecord,
  StreamTransport,
} from './transport.js';
import { UpdateLog } from './update-log.js';

/** What a session runs on: shared by every stream of one client. */
export interface SessionContext {
  transport: StreamTransport;
  options: ResolvedStreamClientOptions;
  retrier: OperationRetrier;
  lifecycle: ClientLifecycle;
}

/**
 * The mutation that starts a stream once it is subscribed: startStream, or a conversation
 * turn (sendMessage, regenerateMessage, submitToolResults). Tried once per call (the
 * session retries it under `operation`'s budget), so it must be safe to send again: the
 * same stream id must return the stream a lost answer already started.
 */
export interface StreamStarter {
  operation: OperationName;
  send(): Promise<Pick<StreamHandleRecord, 'status'>>;
}

/** Start a new stream with this starter, or attach to one that exists (resume). */
export type SessionMode = { kind: 'start'; starter: StreamStarter } | { kind: 'resume' };

/**
 * Drives one stream: subscribe and start at once (or subscribe first, with the
 * `subscribeFirst` option; both retried, the start safely: the server returns the stream a
 * lost answer already started) or, to resume, read the record and catch up from the first
 * stored chunk; then assemble, fill gaps, resubscribe after drops and check
 * the record when nothing arrives. Internal; use `client.stream()` / `client.resume()`.
 */
export class StreamSession implements StreamHandle {
  readonly streamId: string;
  readonly done: Promise<StreamResult>;
  private resolveDone!: (r: StreamResult) => void;
  private readonly asm = new ChunkAssembler();
  private readonly updates = new UpdateLog();
  private readonly subscription: StreamSubscription;
  /** Aborted when the stream ends: stops every retry loop. */
  private readonly lifetime = new AbortController();
  private readonly retryHooks: RetryHooks;
  private _status: StreamStatus = 'submitted';
  private _error: StreamClientError | null = null;
  private _stopReason: StopReason | null = null;
  private _usage: Usage | null = null;
  private finished = false;
  private started = false;
  private cancelRequested = false;
  private gapTimer: ReturnType<typeof setTimeout> | undefined;
  private stallTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly catchUpRunner: CatchUp;
  private checking = false;
  /** Checks in a row that found the store ahead of what was assembled. */
  private behindChecks = 0;
  private lastLiveAt = Date.now();
  private readonly t0 = Date.now();
  private readonly _metrics: StreamMetrics = emptyMetrics();

  constructor(
    private readonly ctx: SessionContext,
    streamId: string,
    private readonly mode: SessionMode,
    signal: AbortSignal | undefined,
    private readonly onFinished: (s: StreamSession) => void,
  ) {
    this.streamId = streamId;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.retryHooks = {
      signal: this.lifetime.signal,
      onRetry: () => this._metrics.retries++,
    };
    this.subscription = new StreamSubscription(
      ctx.transport,
      streamId,
      ctx.options.reconnect,
      ctx.lifecycle,
      {
        onChunk: (chunk) => this.onChunk(chunk),
        onTry: (kind) =>
          kind === 'reconnect' ? this._metrics.reconnects++ : this._metrics.retries++,
        // Nothing is replayed after a reconnect: whatever was published meanwhile is stored.
        onRestored: () => void this.catchUp(),
        onLost: (error) => this.finishWith('error', error),
      },
    );
    this.catchUpRunner = new CatchUp(
      ctx.transport,
      ctx.retrier,
      streamId,
      ctx.options.catchUpPageSize,
      this.retryHooks,
      {
        position: () => ({ attempt: this.asm.attempt, lastAppliedSeq: this.asm.lastAppliedSeq }),
        apply: (chunk) => this.apply(chunk, 'store'),
        finished: () => this.finished,
        counted: (chunks) => {
          this._metrics.catchUpQueries++;
          this._metrics.catchUpChunks += chunks;
        },
      },
    );
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
    return this.updates.subscribe(listener);
  }

  [Symbol.asyncIterator](): AsyncIterator<StreamUpdate> {
    return this.updates.iterate();
  }

  async cancel(): Promise<void> {
    if (this.finished || this.cancelRequested) return;
    this.cancelRequested = true;
    // Not started yet: run() sees the flag and either never sends startStream or, when
    // it is already in flight, sends cancelStream once the record exists.
    if (!this.started) return;
    try {
      await this.ctx.retrier.run(
        'cancelStream',
        () => this.ctx.transport.cancelStream(this.streamId),
        this.retryHooks,
      );
    } catch (err) {
      if (this.finished) return;
      this.emit({ type: 'error', error: toClientError('CANCEL_FAILED', err), fatal: false });
    }
    this.armStall(this.ctx.options.cancelGraceMs);
  }

  detach(): void {
    this.abort(new StreamClientError('DETACHED', 'stopped following the stream', false));
  }

  /** Ends the stream locally (client.close(), detach()). */
  abort(error: StreamClientError): void {
    this.finishWith('error', error);
  }

  /**
   * The page came back (online again, shown again): a subscription that is down is retried
   * now, and the record is read at once, catching up what was stored meanwhile.
   */
  wake(): void {
    if (this.finished) return;
    this.subscription.wake();
    if (this.started) void this.check();
  }

  private async run(): Promise<void> {
    if (this.mode.kind === 'start' && !this.ctx.options.subscribeFirst) {
      return this.runStartAtOnce(this.mode.starter);
    }
    try {
      await this.subscription.open();
    } catch (err) {
      return this.finishWith('error', toClientError('SUBSCRIBE_FAILED', err));
    }
    if (this.finished) return;
    if (this.mode.kind === 'resume') await this.attach();
    else await this.start(this.mode.starter);
    if (this.finished || !this.started) return;
    if (this.cancelRequested) {
      // cancel() arrived before the record was known to exist: send it now.
      this.cancelRequested = false;
      await this.cancel();
    }
  }

  /**
   * The first text sooner: the start mutation goes out with the subscription instead of
   * after its `start_ack` (one round trip earlier on an open connection, three or more on a
   * new one). What the worker publishes before the subscription is live is stored, so once
   * it is, one check reads the record and catches that up.
   */
  private async runStartAtOnce(starter: StreamStarter): Promise<void> {
    const subscribed = this.subscription.open().then(
      () => null,
      (error: unknown) => error,
    );
    await this.start(starter);
    const failure = await subscribed;
    if (this.finished) return;
    if (failure) {
      // No way to follow it: stop the answer rather than pay for one nobody receives.
      if (this.started) {
        void this.ctx.transport.cancelStream(this.streamId).catch(() => undefined);
      }
      return this.finishWith('error', toClientError('SUBSCRIBE_FAILED', failure));
    }
    if (!this.started) return;
    if (this.cancelRequested) {
      this.cancelRequested = false;
      await this.cancel();
      return;
    }
    // Chunks published before the subscription went live reach this client only from the store.
    void this.check();
  }

  private async start(starter: StreamStarter): Promise<void> {
    if (this.cancelRequested) return this.finishCancelledLocally();
    let alreadyRunning = false;
    try {
      const handle = await this.ctx.retrier.run(
        starter.operation,
        () => starter.send(),
        this.retryHooks,
      );
      // A retried start whose first answer was lost gets the stream as it is now.
      alreadyRunning = handle.status !== 'ACCEPTED';
    } catch (err) {
      if (this.finished) return;
      // Every answer may have been lost although a start reached the server: ask the record.
      if (!classifyError(err).retryable || !(await this.recordExists())) {
        // A quota's refusal (or a counter still busy after the retries) as its typed error.
        return this.finishWith(
          'error',
          refusedStartError(err) ?? toClientError('START_FAILED', err),
        );
      }
      alreadyRunning = true;
    }
    if (this.finished) return;
    this.started = true;
    this.armStall();
    if (alreadyRunning) void this.check();
  }

  /** Resume: the stream must exist; then everything stored is read and live chunks follow. */
  private async attach(): Promise<void> {
    let record: StreamRecord | null;
    try {
      record = await this.readRecord();
    } catch (err) {
      return this.finishWith('error', toClientError('QUERY_FAILED', err));
    }
    if (this.finished) return;
    if (!record) {
      return this.finishWith(
        'error',
        new StreamClientError(
          'STREAM_NOT_FOUND',
          `no stream ${this.streamId} for this caller (never started, expired, or another owner's)`,
          false,
        ),
      );
    }
    this.started = true;
    await this.check(record);
  }

  private async recordExists(): Promise<boolean> {
    try {
      return (await this.readRecord()) !== null;
    } catch {
      return false;
    }
  }

  private readRecord(): Promise<StreamRecord | null> {
    return this.ctx.retrier.run(
      'getStream',
      () => this.ctx.transport.getStream(this.streamId),
      this.retryHooks,
    );
  }

  private finishCancelledLocally(): void {
    if (this.finished) return;
    this._stopReason = 'cancelled';
    this.finishWith('cancelled', null);
  }

  private onChunk(chunk: StreamChunkMessage): void {
    if (chunk.streamId !== this.streamId || this.finished) return;
    this.lastLiveAt = Date.now();
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
    }, this.ctx.options.gapFillDelayMs);
  }

  /**
   * Reads every stored chunk after what is assembled (see catch-up.ts). Resolves true when
   * it read to the end of the store, false when a page failed for good: reported as a
   * non-fatal error, the next check tries again.
   */
  private async catchUp(): Promise<boolean> {
    try {
      await this.catchUpRunner.run();
      return true;
    } catch (err) {
      if (!this.finished) {
        this.emit({ type: 'error', error: toClientError('QUERY_FAILED', err), fatal: false });
      }
      return false;
    }
  }

  private armStall(ms = this.ctx.options.stallTimeoutMs): void {
    if (this.finished) return;
    clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(() => void this.check(), ms);
  }

  /**
   * Reads the record (or takes the one given), catches up when the store is ahead, and ends
   * the stream when the record says it ended. Runs when nothing arrived for a while, when
   * the page comes back, and when a start or resume finds the stream already running.
   */
  private async check(known?: StreamRecord): Promise<void> {
    if (this.finished || this.checking) return;
    this.checking = true;
    try {
      let record: StreamRecord | null = known ?? null;
      if (!known) {
        try {
          record = await this.readRecord();
        } catch (err) {
          if (!this.finished) {
            this.emit({ type: 'error', error: toClientError('QUERY_FAILED', err), fatal: false });
          }
        }
      }
      if (this.finished) return;
      const behind =
        record != null &&
        (record.attempt > this.asm.attempt ||
          (record.attempt === this.asm.attempt && record.lastSeq > this.asm.lastAppliedSeq));
      const outcome = record && outcomeOfRecord(record);
      this.behindChecks = behind ? this.behindChecks + 1 : 0;
      if (
        this.behindChecks >= 2 &&
        !outcome &&
        this.liveSilentFor(2 * this.ctx.options.stallTimeoutMs)
      ) {
        // Twice in a row the store moved on while the subscription, said to be up, brought
        // nothing: its connection may be dead without knowing it (a half-open socket after
        // a network change). Make a new one; catch-up covers the switch.
        this.behindChecks = 0;
        this.resetSubscription();
      }
      const caughtUp =
        record && (behind || outcome || this.asm.gap()) ? await this.catchUp() : true;
      if (this.finished) return;
      // Ending from the record needs everything stored first: else try again at the next check.
      if (outcome && caughtUp) {
        // The store has every chunk it ever fanned out; if the terminal one is still missing,
        // the worker ended without publishing it (e.g. it crashed): the record is the truth.
        this._usage = outcome.usage ?? this._usage;
        this._metrics.worker = outcome.timings ?? this._metrics.worker;
        this._stopReason = outcome.stopReason;
        this.finishWith(outcome.status, outcome.error);
        return;
      }
      this.armStall(
        this.cancelRequested ? this.ctx.options.cancelGraceMs : this.ctx.options.stallTimeoutMs,
      );
    } finally {
      this.checking = false;
    }
  }

  private liveSilentFor(ms: number): boolean {
    return this.subscription.connected && Date.now() - this.lastLiveAt >= ms;
  }

  private resetSubscription(): void {
    this.lastLiveAt = Date.now();
    if (this.ctx.transport.resetConnection) this.ctx.transport.resetConnection();
    else this.subscription.restart();
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
    this.lifetime.abort(new StreamClientError('DETACHED', 'the stream ended', false));
    this.subscription.close();
    this.updates.end();
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
    this.updates.push(update);
  }
}

/** Metrics of a stream before anything happened. */
export function emptyMetrics(): StreamMetrics {
  return {
    worker: null,
    timeToFirstTextMs: null,
    totalMs: null,
    reconnects: 0,
    retries: 0,
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
  return new StreamClientError(code, describeError(err), classifyError(err).retryable, {
    cause: err,
  });
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
