import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import type { Logger } from '@aws-lambda-powertools/logger';
import {
  LIMITS,
  safeParseStartStreamInput,
  type ChunkEvent,
  type StopReason,
  type Usage,
} from '@org/bedrock-stream-contracts';
import { Coalescer } from './coalescer.js';
import type { WorkerConfig } from './config.js';
import { generate, isRetryable, type StoredInput } from './generate.js';
import { SupersededError, type Publisher } from './publisher.js';
import type { StreamRecord, StreamRecordStore } from './record.js';

/** What one invocation did with its stream. */
export type ProcessOutcome =
  'completed' | 'cancelled' | 'failed' | 'duplicate' | 'missing' | 'superseded';

/** Everything processStream talks to. */
export interface ProcessDeps {
  config: WorkerConfig;
  store: StreamRecordStore;
  bedrock: BedrockRuntimeClient;
  publish: Publisher;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Counts for metrics: publishes, output tokens. */
  count?: (metric: 'ChunksPublished' | 'Attempts' | 'Failures', value?: number) => void;
}

/** The run failed after text went out: Lambda retries it as attempt N+1. */
export class RetryableRunError extends Error {
  override readonly name = 'RetryableRunError';
}

class StallError extends Error {
  override readonly name = 'StallError';
}

/** The model's event stream ended before its stop event (a cut connection). */
class TruncatedStreamError extends Error {
  override readonly name = 'TruncatedStreamError';
}

/** The run is about to hit the function timeout: stop cleanly instead of being killed. */
class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

/**
 * Time kept back before the function timeout to publish a terminal chunk and record
 * the outcome: a tenth of the run's time, between 250 ms and 5 s.
 */
export function deadlineMarginMs(remainingMs: number): number {
  return Math.min(5_000, Math.max(250, Math.floor(remainingMs / 10)));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function truncate(message: string): string {
  return message.length > LIMITS.errorMessageChars
    ? `${message.slice(0, LIMITS.errorMessageChars - 1)}…`
    : message;
}

function errorCode(error: unknown): string {
  const name = (error as Error)?.name;
  return name && /^[A-Za-z][A-Za-z0-9_.]*$/.test(name) ? name : 'InternalError';
}

/** Waits out a live lease held by another run: until the stream ends or the lease lapses. */
async function waitForHolder(
  deps: ProcessDeps,
  streamId: string,
  deadline: number,
): Promise<'finished' | 'expired' | 'missing' | 'timeout'> {
  const pollMs = Math.min(500, Math.max(50, Math.floor(deps.config.leaseMs / 4)));
  while (Date.now() < deadline) {
    await sleep(pollMs);
    const record = await deps.store.get(streamId);
    if (!record) return 'missing';
    if (
      record.status === 'COMPLETED' ||
      record.status === 'CANCELLED' ||
      record.status === 'FAILED'
    )
      return 'finished';
    if ((record.leaseExpiresAt ?? 0) < Date.now()) return 'expired';
  }
  return 'timeout';
}

/**
 * Records the outcome a dead run had already published: its attempt's last stored chunk
 * is terminal, but the run died before finishing the record. Taking the stream over
 * instead would replace an answer clients already have. Returns whether it did.
 */
export async function settleFromStoredChunks(
  deps: Pick<ProcessDeps, 'store' | 'logger'>,
  record: StreamRecord,
): Promise<boolean> {
  const terminal = await deps.store.storedTerminal(record);
  if (!terminal) return false;
  await deps.store.finish(
    record.streamId,
    record.attempt,
    terminal.type === 'end'
      ? {
          status: terminal.stopReason === 'cancelled' ? 'CANCELLED' : 'COMPLETED',
          stopReason: terminal.stopReason,
          usage: terminal.usage,
          metrics: terminal.timings,
        }
      : {
          status: 'FAILED',
          error: { code: terminal.code, message: terminal.message, retryable: terminal.retryable },
        },
  );
  deps.logger.info('the previous run had published its terminal chunk; recorded its outcome', {
    streamId: record.streamId,
    attempt: record.attempt,
  });
  return true;
}

/**
 * One invocation: claim the stream (idempotently), stream from Bedrock through the
 * coalescer to signed publishes, watch for cancel, and record the outcome.
 */
export async function processStream(
  deps: ProcessDeps,
  streamId: string,
  remainingMs: () => number,
): Promise<ProcessOutcome> {
  const { config, store, logger } = deps;
  let record: StreamRecord;
  for (;;) {
    const claim = await store.claim(streamId, config.leaseMs);
    if (claim.kind === 'missing') {
      logger.warn('stream record not found', { streamId });
      return 'missing';
    }
    if (claim.kind === 'finished') {
      logger.info('duplicate delivery of a finished stream: nothing to do', { streamId });
      return 'duplicate';
    }
    if (claim.kind === 'claimed') {
      record = claim.record;
      break;
    }
    if (claim.kind === 'published') {
      // A run stored its terminal chunk and died before recording it: record that
      // outcome rather than redo an answer clients already have.
      await settleFromStoredChunks(deps, claim.record);
      return 'duplicate';
    }
    // Another run holds a live lease: a concurrent duplicate, or a crashed run whose
    // lease has not lapsed yet. Wait; take over only if the lease lapses.
    const waited = await waitForHolder(
      deps,
      streamId,
      Date.now() + Math.max(0, remainingMs() - 2_000),
    );
    if (waited === 'finished') return 'duplicate';
    if (waited === 'missing') return 'missing';
    if (waited === 'timeout') {
      logger.info('stream still held by a live run; leaving it', { streamId });
      return 'duplicate';
    }
  }

  const attempt = record.attempt;
  const claimedAt = performance.now();
  deps.count?.('Attempts');
  logger.info('claimed stream', { streamId, attempt, modelId: record.modelId });
  let seq = 0;
  const publishEvents = async (events: ChunkEvent[]) => {
    await deps.publish({ streamId, attempt, seq, events });
    seq += 1;
    deps.count?.('ChunksPublished');
  };
  const startEvent: ChunkEvent = {
    type: 'start',
    modelId: record.modelId,
    attempt,
    startedAt: new Date().toISOString(),
  };
  const failNow = async (
    code: string,
    message: string,
    retryable: boolean,
  ): Promise<ProcessOutcome> => {
    const errorEvent: ChunkEvent = { type: 'error', code, message: truncate(message), retryable };
    await publishEvents(seq === 0 ? [startEvent, errorEvent] : [errorEvent]);
    await store.finish(streamId, attempt, {
      status: 'FAILED',
      error: { code, message: truncate(message), retryable },
    });
    deps.count?.('Failures');
    logger.warn('stream failed', { streamId, attempt, code, retryable });
    return 'failed';
  };

  try {
    if (attempt > config.maxAttempts) {
      return await failNow(
        'MaxAttemptsExceeded',
        `the stream failed ${config.maxAttempts} times; start it again`,
        true,
      );
    }
    const parsed = safeParseStartStreamInput({ ...record.input, streamId });
    if (!parsed.ok) return await failNow('InvalidInput', parsed.error.message, false);
    const input: StoredInput = parsed.value;
    if (!config.allowedModelIds.includes(input.modelId)) {
      return await failNow(
        'ModelNotAllowed',
        `model '${input.modelId}' is not in this worker's allow-list`,
        false,
      );
    }
    if (record.cancelRequested) {
      await publishEvents([
        startEvent,
        {
          type: 'end',
          stopReason: 'cancelled',
          usage: null,
          timings: { timeToFirstTokenMs: null, totalMs: 0, modelLatencyMs: null },
        },
      ]);
      await store.finish(streamId, attempt, { status: 'CANCELLED', stopReason: 'cancelled' });
      return 'cancelled';
    }
    return await generateAndPublish(
      deps,
      streamId,
      record,
      input,
      startEvent,
      publishEvents,
      claimedAt,
      failNow,
      remainingMs,
    );
  } catch (error) {
    if (error instanceof SupersededError) {
      logger.info('attempt superseded by a newer one; stopping', { streamId, attempt });
      return 'superseded';
    }
    throw error;
  }
}

async function generateAndPublish(
  deps: ProcessDeps,
  streamId: string,
  record: StreamRecord,
  input: StoredInput,
  startEvent: ChunkEvent,
  publishEvents: (events: ChunkEvent[]) => Promise<void>,
  claimedAt: number,
  failNow: (code: string, message: string, retryable: boolean) => Promise<ProcessOutcome>,
  remainingMs: () => number,
): Promise<ProcessOutcome> {
  const { config, store, logger } = deps;
  const attempt = record.attempt;
  const cancel = new AbortController();
  // A run killed by the function timeout leaves no terminal chunk and, on the last retry,
  // a stream that never ends; so the run stops itself shortly before the timeout.
  const deadline = new AbortController();
  const remaining = remainingMs();
  const deadlineTimer = setTimeout(
    () =>
      deadline.abort(
        new DeadlineError(`the worker ran out of time after ${Math.round(remaining / 1000)} s`),
      ),
    Math.max(0, remaining - deadlineMarginMs(remaining)),
  );
  let superseded = false;
  const coalescer = new Coalescer({
    windowMs: config.flushWindowMs,
    maxBytes: config.maxChunkBytes,
    publish: publishEvents,
  });
  coalescer.push(startEvent);

  // Cancel watch (and lease renewal): a cancel is noticed within cancelPollMs.
  let lastRenew = Date.now();
  const watch = setInterval(() => {
    void (async () => {
      if (Date.now() - lastRenew >= config.leaseMs / 3) {
        lastRenew = Date.now();
        if (!(await store.renewLease(streamId, attempt, config.leaseMs))) {
          superseded = true;
          cancel.abort();
        }
      }
      const current = await store.get(streamId);
      if (current?.cancelRequested) cancel.abort();
    })().catch(() => undefined);
  }, config.cancelPollMs);

  let firstTextAt: number | null = null;
  let stopReason: StopReason = 'end_turn';
  let usage: Usage | null = null;
  let modelLatencyMs: number | null = null;
  const timings = () => ({
    timeToFirstTokenMs: firstTextAt === null ? null : Math.round(firstTextAt - claimedAt),
    totalMs: Math.round(performance.now() - claimedAt),
    modelLatencyMs,
  });

  try {
    for (let tries = 1; ; tries += 1) {
      const attemptAbort = new AbortController();
      const signal = AbortSignal.any([cancel.signal, deadline.signal, attemptAbort.signal]);
      let stall: NodeJS.Timeout | null = null;
      const armStall = () => {
        if (stall) clearTimeout(stall);
        stall = setTimeout(
          () =>
            attemptAbort.abort(new StallError(`no model output for ${config.stallTimeoutMs} ms`)),
          config.stallTimeoutMs,
        );
      };
      try {
        armStall();
        let stopped = false;
        for await (const event of generate(deps.bedrock, input, signal)) {
          armStall();
          if (coalescer.error) throw coalescer.error;
          if (event.type === 'text') {
            firstTextAt ??= performance.now();
            coalescer.push({ type: 'text', text: event.text });
          } else if (event.type === 'stop') {
            stopReason = event.stopReason;
            stopped = true;
          } else if (event.type === 'usage') usage = event.usage;
          else modelLatencyMs = event.latencyMs;
        }
        // An aborted read may end the SDK's event stream quietly: a stall or the deadline
        // must not pass for a complete answer, nor may a stream cut before its stop event.
        if (!cancel.signal.aborted) {
          if (attemptAbort.signal.aborted) throw attemptAbort.signal.reason as Error;
          if (deadline.signal.aborted) throw deadline.signal.reason as Error;
          if (!stopped)
            throw new TruncatedStreamError('the model stream ended without a stop reason');
        }
        break;
      } catch (error) {
        if (cancel.signal.aborted) break;
        if (deadline.signal.aborted) throw deadline.signal.reason as Error;
        const cause = attemptAbort.signal.aborted ? (attemptAbort.signal.reason as Error) : error;
        if (firstTextAt === null && isRetryable(cause) && tries < 4) {
          logger.warn('retryable model error before any text; retrying in place', {
            streamId,
            attempt,
            code: errorCode(cause),
            tries,
          });
          await sleep(200 * 2 ** (tries - 1));
          continue;
        }
        throw cause;
      } finally {
        if (stall) clearTimeout(stall);
      }
    }
    if (superseded) {
      coalescer.abandon();
      return 'superseded';
    }
    const cancelled = cancel.signal.aborted;
    const finalReason: StopReason = cancelled ? 'cancelled' : stopReason;
    coalescer.push({ type: 'end', stopReason: finalReason, usage, timings: timings() });
    await coalescer.done();
  } catch (error) {
    coalescer.abandon();
    await coalescer.done().catch(() => undefined);
    if (error instanceof SupersededError || coalescer.error instanceof SupersededError)
      throw new SupersededError('superseded');
    const timedOut = error instanceof DeadlineError;
    const retryable = timedOut || isRetryable(error);
    // Text already reached clients (or the run is out of time): a clean retry is a new
    // attempt that replaces it.
    if (retryable && (firstTextAt !== null || timedOut) && attempt < config.maxAttempts) {
      await store.releaseLease(streamId, attempt);
      logger.warn('model failed mid-stream; failing the run for a new attempt', {
        streamId,
        attempt,
        code: errorCode(error),
      });
      throw new RetryableRunError(`${errorCode(error)}: ${(error as Error).message}`);
    }
    return await failNow(
      timedOut ? 'WorkerTimeout' : errorCode(error),
      (error as Error)?.message ?? String(error),
      retryable,
    );
  } finally {
    clearInterval(watch);
    clearTimeout(deadlineTimer);
  }
  // The terminal chunk is stored: record the outcome (a failure here is retried by
  // Lambda; the next run finds the stream still RUNNING and re-runs it as attempt N+1).
  const cancelled = cancel.signal.aborted && !superseded;
  await store.finish(streamId, attempt, {
    status: cancelled ? 'CANCELLED' : 'COMPLETED',
    stopReason: cancelled ? 'cancelled' : stopReason,
    usage,
    metrics: timings(),
  });
  logger.info(cancelled ? 'stream cancelled' : 'stream completed', {
    streamId,
    attempt,
    stopReason,
    outputTokens: usage?.outputTokens,
  });
  return cancelled ? 'cancelled' : 'completed';
}
