// One claimed attempt as one unit (kept whole, over 400 lines): its steps (model calls,
// server tools, publishes, the daily quota, the outcome) share the attempt's state — seq,
// usage, timings, streamed output and the answer's parts (a conversation's message) —
// which splitting would have to pass around.
import {
  PartsBuilder,
  estimateTokens,
  safeParseStartStreamInput,
  toolBlocksAsText,
  type ChunkEvent,
  type Message,
  type StopReason,
  type StoredError,
  type Timings,
  type Usage,
  type WorkerErrorCode,
} from '@org/bedrock-stream-contracts';
import { readTurnMessages } from './conversation.js';
import { classifyRunFailure, errorCodeOf, errorEventMessage } from './classify-error.js';
import { Coalescer } from './coalescer.js';
import { DailyOutputQuota } from './daily-quota.js';
import { Deadline } from './deadline.js';
import type { ProcessDeps } from './deps.js';
import { QuotaExceededError, RetryableRunError, SupersededError } from './errors.js';
import { requestOf, type ModelEvent, type ModelRequest, type StoredInput } from './generate.js';
import { LeaseWatch } from './lease-watch.js';
import { callModel } from './model-call.js';
import type { ProcessOutcome } from './outcome.js';
import type { SpentEstimate } from './ledger.js';
import type { StoredToolResult, StreamRecord } from './record.js';
import { runStepTools } from './step-tools.js';
import { StepCollector, addUsage, toolResultsMessage } from './steps.js';
import { toModelToolSpec, type ServerTool } from './tools.js';

/**
 * One claimed attempt of a stream, run to its outcome: check the input, stream the
 * model's answer through the coalescer to publishes (watching lease, cancel and deadline),
 * then record the outcome. Throws RetryableRunError only to ask Lambda for attempt N+1.
 */
export class StreamRun {
  private readonly claimedAt = performance.now();
  private readonly startEvent: ChunkEvent;
  /** Seq of the next chunk this attempt publishes. */
  private seq = 0;
  /** When the first output (text, reasoning or tool call) came from the model. */
  private firstOutputAt: number | null = null;
  /** The worker's own tools by name. */
  private readonly toolsByName: Map<string, ServerTool>;
  private stopReason: StopReason = 'end_turn';
  private usage: Usage | null = null;
  private modelLatencyMs: number | null = null;
  /** Answer text streamed (characters), for the ledger's estimate and the daily quota. */
  private outputChars = 0;
  /** A conversation's input (its history is not in the record), for the ledger's estimate. */
  private inputChars: number | undefined;
  private modelCalled = false;
  /** The owner's daily output-token quota, when one is configured. */
  private quota: DailyOutputQuota | null = null;
  /** The answer as clients see it: every published event folded (a conversation's message). */
  private readonly parts = new PartsBuilder();

  /**
   * @param record the stream record as the claim returned it (this run's attempt).
   * @param remainingMs the function's remaining time (Lambda's context).
   */
  constructor(
    private readonly deps: ProcessDeps,
    private readonly record: StreamRecord,
    private readonly remainingMs: () => number,
  ) {
    this.toolsByName = new Map(this.tools.map((t) => [t.name, t]));
    this.startEvent = {
      type: 'start',
      modelId: record.modelId,
      attempt: record.attempt,
      startedAt: new Date().toISOString(),
    };
  }

  private get tools(): ServerTool[] {
    return this.deps.tools ?? [];
  }

  private get streamId(): string {
    return this.record.streamId;
  }

  private get attempt(): number {
    return this.record.attempt;
  }

  /** Runs the attempt; a run superseded by a newer attempt stops quietly. */
  async run(): Promise<ProcessOutcome> {
    const { config, logger } = this.deps;
    this.deps.count?.('Attempts');
    logger.info('claimed stream', {
      streamId: this.streamId,
      attempt: this.attempt,
      modelId: this.record.modelId,
    });
    try {
      if (this.attempt > config.maxAttempts) {
        return await this.fail(
          'MaxAttemptsExceeded',
          `the stream failed ${config.maxAttempts} times; start it again`,
          true,
        );
      }
      // A conversation's answer cancelled before it began (e.g. by a purge) ends as
      // cancelled without reading a history that may be gone.
      if (this.record.conversation && this.record.cancelRequested)
        return await this.endCancelledBeforeStart();
      const input = await this.readInput();
      if (!input.ok) return await this.fail(input.code, input.message, false);
      if (this.record.cancelRequested) return await this.endCancelledBeforeStart();
      this.quota = await DailyOutputQuota.forOwner(this.deps, this.record.owner);
      // Other streams of the owner may have used the day up since this one was accepted.
      if (this.quota?.exhausted) {
        const error = this.quota.error();
        return await this.fail('QuotaExceeded', error.message, false, error.retryAfterSeconds);
      }
      return await this.streamAnswer(input.value);
    } catch (error) {
      if (error instanceof SupersededError) {
        logger.info('attempt superseded by a newer one; stopping', {
          streamId: this.streamId,
          attempt: this.attempt,
        });
        return 'superseded';
      }
      throw error;
    } finally {
      this.quota?.stop();
    }
  }

  /** What this attempt spent, for the ledger when Bedrock reports no usage. */
  private spent(): SpentEstimate {
    return {
      outputChars: this.outputChars,
      modelCalled: this.modelCalled,
      ...(this.inputChars !== undefined ? { inputChars: this.inputChars } : {}),
    };
  }

  /**
   * The stored input, if it is valid and names an allowed model. A conversation's turn
   * stores no messages: they are its history (read now, within the token budget).
   */
  private async readInput(): Promise<
    { ok: true; value: StoredInput } | { ok: false; code: WorkerErrorCode; message: string }
  > {
    const conversation = this.record.conversation;
    // A turn's options are checked as startStream's; its history is not held to
    // startStream's size bounds (the token budget bounds it), so a stand-in prompt is.
    const parsed = safeParseStartStreamInput({
      ...this.record.input,
      streamId: this.streamId,
      ...(conversation ? { prompt: '.' } : {}),
    });
    if (!parsed.ok) return { ok: false, code: 'InvalidInput', message: parsed.error.message };
    let input: StoredInput = parsed.value;
    if (conversation) {
      const history = await this.readHistory();
      if (!history.ok) return history;
      input = { ...input, prompt: null, messages: history.value };
      this.inputChars = JSON.stringify(input).length;
    }
    if (!this.deps.config.allowedModelIds.includes(input.modelId))
      return {
        ok: false,
        code: 'ModelNotAllowed',
        message: `model '${input.modelId}' is not in this worker's allow-list`,
      };
    const clash = input.toolConfig?.tools.find((t) => this.toolsByName.has(t.name));
    if (clash)
      return {
        ok: false,
        code: 'InvalidInput',
        message: `toolConfig declares '${clash.name}', the name of one of this worker's own tools`,
      };
    return { ok: true, value: input };
  }

  /** A conversation turn's history as the model's messages (see readTurnMessages). */
  private async readHistory(): Promise<
    { ok: true; value: Message[] } | { ok: false; code: WorkerErrorCode; message: string }
  > {
    const read = await readTurnMessages(
      this.deps.store.conversations,
      this.record.conversation!,
      this.deps.config.historyTokenBudget,
    );
    if (!read.ok) return { ok: false, code: 'InvalidInput', message: read.message };
    if (read.droppedMessages > 0)
      this.deps.logger.info('history over the token budget: oldest messages left out', {
        streamId: this.streamId,
        dropped: read.droppedMessages,
      });
    return { ok: true, value: read.messages };
  }

  /** Streams the model's answer to clients and records how it ended. */
  private async streamAnswer(input: StoredInput): Promise<ProcessOutcome> {
    const { config } = this.deps;
    const deadline = new Deadline(this.remainingMs(), config.deadlineMargin);
    const watch = new LeaseWatch({
      store: this.deps.store,
      streamId: this.streamId,
      attempt: this.attempt,
      leaseMs: config.leaseMs,
      pollMs: config.cancelPollMs,
    }).start();
    const coalescer = new Coalescer({
      windowMs: config.flushWindowMs,
      maxBytes: config.maxChunkBytes,
      publish: (events) => this.publish(events),
    });
    coalescer.push(this.startEvent);
    try {
      this.modelCalled = true;
      await this.runSteps(input, { coalescer, watch, deadline });
      if (watch.superseded) {
        coalescer.abandon();
        return 'superseded';
      }
      coalescer.push({
        type: 'end',
        stopReason: watch.cancelled ? 'cancelled' : this.stopReason,
        usage: this.usage,
        timings: this.timings(),
      });
      await coalescer.done();
    } catch (error) {
      return await this.handleFailure(error, coalescer);
    } finally {
      watch.stop();
      deadline.clear();
    }
    return await this.complete(watch.cancelled);
  }

  /**
   * The answer's model calls: one, or with tools in play a loop of steps (model call,
   * then the server tools it called, fed back) until the model stops calling tools, calls
   * a client tool (the app runs it: the answer ends with `tool_use`), or `maxSteps` calls
   * were made. Returns early when cancelled or superseded.
   */
  private async runSteps(
    input: StoredInput,
    run: { coalescer: Coalescer; watch: LeaseWatch; deadline: Deadline },
  ): Promise<void> {
    const { config, logger } = this.deps;
    const { coalescer, watch, deadline } = run;
    const request: ModelRequest = {
      ...requestOf(input),
      tools: [...(input.toolConfig?.tools ?? []), ...this.tools.map(toModelToolSpec)],
      guardrail: config.guardrail,
    };
    const stepsInPlay = request.tools.length > 0;
    // A conversation's earlier answers may hold tool blocks this turn has no tools for.
    if (!stepsInPlay && this.record.conversation)
      request.messages = toolBlocksAsText(request.messages);
    const maxSteps = input.maxSteps ?? config.maxSteps;
    for (let step = 1; ; step += 1) {
      if (stepsInPlay) coalescer.push({ type: 'step-start', step });
      const collector = new StepCollector();
      await callModel({
        bedrock: this.deps.bedrock,
        request,
        stallTimeoutMs: config.stallTimeoutMs,
        retryPolicy: config.modelRetry,
        stopSignal: watch.signal,
        deadlineSignal: deadline.signal,
        onEvent: (event) => {
          collector.take(event);
          this.takeModelEvent(event, coalescer);
        },
        onRetry: (error, tries) =>
          logger.warn('retryable model error before any output; retrying in place', {
            streamId: this.streamId,
            attempt: this.attempt,
            step,
            code: errorCodeOf(error),
            tries,
          }),
      });
      if (watch.signal.aborted) return;
      this.usage = addUsage(this.usage, collector.usage);
      this.stopReason = collector.stopReason;
      if (stepsInPlay)
        coalescer.push({
          type: 'step-end',
          step,
          stopReason: collector.stopReason,
          usage: collector.usage,
        });
      if (collector.stopReason !== 'tool_use' || !collector.toolCalls.length) return;
      const results = await runStepTools({
        step,
        calls: collector.toolCalls,
        tools: this.toolsByName,
        stored: this.record.toolResults,
        stopSignal: watch.signal,
        deadlineSignal: deadline.signal,
        timeoutMs: config.toolTimeoutMs,
        save: (key, result) => this.storeToolResult(key, result),
        emit: (event) => coalescer.push(event),
      });
      if (watch.signal.aborted) return;
      const clientCalled = collector.toolCalls.some((c) => !this.toolsByName.has(c.toolName));
      // A client tool is the app's to run; out of steps, no model would read the results.
      if (clientCalled || step >= maxSteps) return;
      request.messages = [
        ...request.messages,
        collector.assistantMessage(),
        toolResultsMessage(results),
      ];
      // A forced choice applies to the first call only, or every step would call again.
      request.toolChoice = null;
    }
  }

  /** Keeps a finished tool call's result in the record for later attempts (best effort). */
  private async storeToolResult(key: string, outcome: StoredToolResult): Promise<void> {
    try {
      await this.deps.store.saveToolResult(this.streamId, this.attempt, key, outcome);
    } catch (error) {
      // Not fatal: only a later attempt would run the tool again.
      this.deps.logger.warn('could not store a tool result', {
        streamId: this.streamId,
        attempt: this.attempt,
        code: errorCodeOf(error),
      });
    }
  }

  /** One model event: output to the coalescer, the rest kept for the end event. */
  private takeModelEvent(event: ModelEvent, coalescer: Coalescer): void {
    // A failed publish ends the model call.
    if (coalescer.error) throw coalescer.error;
    switch (event.type) {
      case 'stop':
      case 'usage':
        // Summed per step in runSteps.
        break;
      case 'latency':
        this.modelLatencyMs = (this.modelLatencyMs ?? 0) + event.latencyMs;
        break;
      default:
        this.firstOutputAt ??= performance.now();
        this.countOutput(event);
        coalescer.push(event);
        break;
    }
  }

  /**
   * Counts the model's output (answer and reasoning text, tool input) for the ledger's
   * estimate and the daily quota. Past the owner's daily output tokens it throws
   * QuotaExceededError, which ends the model call (this output is not sent).
   */
  private countOutput(event: ModelEvent): void {
    const chars =
      'text' in event ? event.text.length : 'inputDelta' in event ? event.inputDelta.length : 0;
    if (chars === 0) return;
    this.outputChars += chars;
    this.quota?.check(Math.max(estimateTokens(this.outputChars), this.usage?.outputTokens ?? 0));
  }

  /**
   * The terminal chunk is stored: record the outcome (a failure here is retried by
   * Lambda; the next run finds the terminal chunk and records it from there).
   */
  private async complete(cancelled: boolean): Promise<ProcessOutcome> {
    await this.deps.store.finish(this.record, {
      status: cancelled ? 'CANCELLED' : 'COMPLETED',
      stopReason: cancelled ? 'cancelled' : this.stopReason,
      usage: this.usage,
      metrics: this.timings(),
      spent: this.spent(),
      answerParts: this.parts.parts,
    });
    this.deps.logger.info(cancelled ? 'stream cancelled' : 'stream completed', {
      streamId: this.streamId,
      attempt: this.attempt,
      stopReason: this.stopReason,
      outputTokens: this.usage?.outputTokens,
    });
    return cancelled ? 'cancelled' : 'completed';
  }

  /**
   * A failed model call or publish: stop publishing, then either fail the run for a new
   * attempt (text already reached clients, or out of time) or end the stream with an error.
   */
  private async handleFailure(error: unknown, coalescer: Coalescer): Promise<ProcessOutcome> {
    coalescer.abandon();
    await coalescer.done().catch(() => undefined);
    if (error instanceof SupersededError || coalescer.error instanceof SupersededError)
      throw new SupersededError('superseded');
    const decision = classifyRunFailure(error, {
      textSent: this.firstOutputAt !== null,
      attempt: this.attempt,
      maxAttempts: this.deps.config.maxAttempts,
    });
    if (decision.action === 'end-stream')
      return await this.fail(
        decision.code,
        decision.message,
        decision.retryable,
        error instanceof QuotaExceededError ? error.retryAfterSeconds : undefined,
      );
    await this.deps.store.releaseLease(this.streamId, this.attempt);
    this.deps.logger.warn('model failed mid-stream; failing the run for a new attempt', {
      streamId: this.streamId,
      attempt: this.attempt,
      code: decision.code,
    });
    throw new RetryableRunError(`${decision.code}: ${decision.message}`);
  }

  /** Ends the stream with a terminal error event and records it. */
  private async fail(
    code: WorkerErrorCode,
    message: string,
    retryable: boolean,
    retryAfterSeconds?: number,
  ): Promise<ProcessOutcome> {
    const error: StoredError = {
      code,
      message: errorEventMessage(message),
      retryable,
      ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    };
    const errorEvent: ChunkEvent = { type: 'error', ...error };
    await this.publish(this.seq === 0 ? [this.startEvent, errorEvent] : [errorEvent]);
    await this.deps.store.finish(this.record, {
      status: 'FAILED',
      error,
      usage: this.usage,
      spent: this.spent(),
      answerParts: this.parts.parts,
    });
    this.deps.count?.('Failures');
    this.deps.logger.warn('stream failed', {
      streamId: this.streamId,
      attempt: this.attempt,
      code,
      retryable,
    });
    return 'failed';
  }

  /** The owner cancelled before the model was called. */
  private async endCancelledBeforeStart(): Promise<ProcessOutcome> {
    await this.publish([
      this.startEvent,
      {
        type: 'end',
        stopReason: 'cancelled',
        usage: null,
        timings: { timeToFirstTokenMs: null, totalMs: 0, modelLatencyMs: null },
      },
    ]);
    await this.deps.store.finish(this.record, {
      status: 'CANCELLED',
      stopReason: 'cancelled',
      spent: this.spent(),
      answerParts: this.parts.parts,
    });
    return 'cancelled';
  }

  /** Publishes one chunk at the next seq. */
  private async publish(events: ChunkEvent[]): Promise<void> {
    await this.deps.publish({
      streamId: this.streamId,
      attempt: this.attempt,
      seq: this.seq,
      events,
    });
    this.seq += 1;
    for (const event of events) this.parts.apply(event);
    this.deps.count?.('ChunksPublished');
  }

  private timings(): Timings {
    return {
      timeToFirstTokenMs:
        this.firstOutputAt === null ? null : Math.round(this.firstOutputAt - this.claimedAt),
      totalMs: Math.round(performance.now() - this.claimedAt),
      modelLatencyMs: this.modelLatencyMs,
    };
  }
}
