// Every error class the worker throws, declared once. Their `name`s are what the run
// classifies (classify-error.ts): the ones the contract lists (StallError,
// TruncatedStreamError) become the code of a terminal error event as they are.

/** The run failed after text went out: Lambda retries it as attempt N+1. */
export class RetryableRunError extends Error {
  override readonly name = 'RetryableRunError';
}

/** The attempt was superseded by a newer one, or the stream ended: this run must stop quietly. */
export class SupersededError extends Error {
  override readonly name = 'SupersededError';
}

/** A publish that failed; `transient` ones are retried with the same (attempt, seq). */
export class PublishError extends Error {
  override readonly name = 'PublishError';
  constructor(
    message: string,
    readonly errorType: string,
    readonly transient = false,
  ) {
    super(message);
  }
}

/** The model produced no output for the stall timeout. Retryable. */
export class StallError extends Error {
  override readonly name = 'StallError';
}

/** The model's event stream ended before its stop event (a cut connection). Retryable. */
export class TruncatedStreamError extends Error {
  override readonly name = 'TruncatedStreamError';
}

/**
 * The run is about to hit the function timeout and stops cleanly instead of being killed
 * (its terminal error code is `WorkerTimeout`).
 */
export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

/**
 * The owner's output tokens today passed the daily quota mid-answer: the stream ends with
 * a terminal `QuotaExceeded` error (its name is the contract's code). Not retryable today.
 */
export class QuotaExceededError extends Error {
  override readonly name = 'QuotaExceeded';
  constructor(
    message: string,
    /** Seconds until the quota resets (the next UTC midnight). */
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** A server tool ran past its timeout; the model sees it as an error tool result. */
export class ToolTimeoutError extends Error {
  override readonly name = 'ToolTimeoutError';
}
