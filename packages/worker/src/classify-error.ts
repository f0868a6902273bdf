import {
  LIMITS,
  RetriesExhaustedError,
  toWorkerErrorCode,
  type WorkerErrorCode,
} from '@org/bedrock-stream-contracts';
import { DeadlineError } from './errors.js';

// Bedrock's exceptions (by name) and our own model-call failures that may succeed on
// another try.
const RETRYABLE_NAMES = new Set([
  'ThrottlingException',
  'ModelStreamErrorException',
  'ServiceUnavailableException',
  'InternalServerException',
  'ModelNotReadyException',
  'ModelTimeoutException',
  'StallError',
  'TruncatedStreamError',
]);
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ERR_HTTP2_STREAM_ERROR',
  'ERR_HTTP2_SESSION_ERROR',
]);

/** Whether a Bedrock failure may succeed when tried again. */
export function isRetryable(error: unknown): boolean {
  const e = error as {
    name?: string;
    code?: string;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number };
  };
  if (e?.name && RETRYABLE_NAMES.has(e.name)) return true;
  if (e?.code && NETWORK_CODES.has(e.code)) return true;
  if (e?.$retryable) return true;
  const status = e?.$metadata?.httpStatusCode;
  return status !== undefined && status >= 500;
}

/** The error a spent retry budget wraps (the last try's), or `error` itself. */
export function unwrapRetries(error: unknown): unknown {
  return error instanceof RetriesExhaustedError ? error.cause : error;
}

/** The contract's code for a thrown error: `WorkerTimeout` for the deadline, else by name. */
export function errorCodeOf(error: unknown): WorkerErrorCode {
  return error instanceof DeadlineError ? 'WorkerTimeout' : toWorkerErrorCode(error);
}

/** An error message cut to what an error event may carry. */
export function errorEventMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > LIMITS.errorMessageChars
    ? `${message.slice(0, LIMITS.errorMessageChars - 1)}…`
    : message;
}

/** What a run does with a failure of its model call. */
export type FailureDecision =
  /** Fail the run so Lambda's retry starts attempt N+1 (it replaces the text sent). */
  | { action: 'new-attempt'; code: WorkerErrorCode; message: string }
  /** End the stream with a terminal error event. */
  | { action: 'end-stream'; code: WorkerErrorCode; message: string; retryable: boolean };

/**
 * The error policy. A retryable failure after text reached clients, or the deadline, is
 * a new attempt while attempts are left (in-place retries happen earlier, in the model
 * call); everything else ends the stream, `retryable` telling the user whether starting
 * again may work.
 */
export function classifyRunFailure(
  error: unknown,
  run: { textSent: boolean; attempt: number; maxAttempts: number },
): FailureDecision {
  const timedOut = error instanceof DeadlineError;
  const retryable = timedOut || isRetryable(error);
  const code = errorCodeOf(error);
  const message = errorEventMessage(error);
  if (retryable && (run.textSent || timedOut) && run.attempt < run.maxAttempts)
    return { action: 'new-attempt', code, message };
  return { action: 'end-stream', code, message, retryable };
}
