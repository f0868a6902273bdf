import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { retry, type RetryPolicy } from '@org/bedrock-stream-contracts';
import { isRetryable, unwrapRetries } from './classify-error.js';
import { StallError, TruncatedStreamError } from './errors.js';
import { generate, type ModelEvent, type ModelRequest } from './generate.js';

/** Options of {@link callModel}. */
export interface ModelCallOptions {
  bedrock: BedrockRuntimeClient;
  request: ModelRequest;
  /** No model output for this long aborts a try with a StallError. */
  stallTimeoutMs: number;
  /** In-place tries (only while none of this call's output went out). */
  retryPolicy: RetryPolicy;
  /** Aborts the call quietly: the owner cancelled (or the run lost its lease). */
  stopSignal: AbortSignal;
  /** Aborts the call with its reason as the error (the run's deadline). */
  deadlineSignal: AbortSignal;
  /** Receives every model event; a throw ends the call with that error. */
  onEvent: (event: ModelEvent) => void;
  /** Told before each in-place retry. */
  onRetry?: (error: unknown, tries: number) => void;
}

/** Model events that reach clients: once one is out, a failed call cannot retry in place. */
const OUTPUT_EVENTS = new Set<ModelEvent['type']>([
  'text',
  'reasoning',
  'reasoning-signature',
  'reasoning-redacted',
  'tool-call-start',
  'tool-call-delta',
  'tool-call',
]);

/**
 * Streams one model call into `onEvent`, retrying in place (same attempt, nothing of this
 * call published yet) while a retryable failure comes before any output. Resolves when the
 * model sent its stop event or `stopSignal` ended the call; throws the deadline's
 * DeadlineError, or the failure of the last try. A stall or a stream cut
 * before its stop event is a retryable failure, never a complete answer.
 */
export async function callModel(options: ModelCallOptions): Promise<void> {
  const { stopSignal, deadlineSignal } = options;
  let outputSeen = false;
  const onEvent = (event: ModelEvent) => {
    if (OUTPUT_EVENTS.has(event.type)) outputSeen = true;
    options.onEvent(event);
  };
  try {
    await retry('model call', options.retryPolicy, () => oneTry(options, onEvent), {
      shouldRetry: (error) => !outputSeen && isRetryable(error),
      onRetry: (error, { tries }) => options.onRetry?.(error, tries),
      // The waits between tries end early on a cancel or the deadline.
      signal: AbortSignal.any([stopSignal, deadlineSignal]),
    });
  } catch (error) {
    if (stopSignal.aborted) return;
    if (deadlineSignal.aborted) throw deadlineSignal.reason;
    throw unwrapRetries(error);
  }
}

/** One call of the model, with its own stall timer. */
async function oneTry(
  options: ModelCallOptions,
  onEvent: (event: ModelEvent) => void,
): Promise<void> {
  const { stopSignal, deadlineSignal, stallTimeoutMs } = options;
  const stall = new AbortController();
  let stallTimer: NodeJS.Timeout | undefined;
  const armStall = () => {
    clearTimeout(stallTimer);
    stallTimer = setTimeout(
      () => stall.abort(new StallError(`no model output for ${stallTimeoutMs} ms`)),
      stallTimeoutMs,
    );
  };
  const signal = AbortSignal.any([stopSignal, deadlineSignal, stall.signal]);
  try {
    armStall();
    let stopped = false;
    for await (const event of generate(options.bedrock, options.request, signal)) {
      armStall();
      if (event.type === 'stop') stopped = true;
      onEvent(event);
    }
    // An aborted read may end the SDK's event stream quietly: a stall or the deadline
    // must not pass for a complete answer, nor may a stream cut before its stop event.
    if (stopSignal.aborted) return;
    if (stall.signal.aborted) throw stall.signal.reason;
    if (deadlineSignal.aborted) throw deadlineSignal.reason;
    if (!stopped) throw new TruncatedStreamError('the model stream ended without a stop reason');
  } catch (error) {
    if (stopSignal.aborted) return;
    // The SDK reports an aborted request as an AbortError: the stall is the real cause.
    throw stall.signal.aborted ? stall.signal.reason : error;
  } finally {
    clearTimeout(stallTimer);
  }
}
