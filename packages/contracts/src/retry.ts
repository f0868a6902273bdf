/**
 * The one retry policy: capped exponential backoff with full jitter
 * (delay = random(0, min(maxDelayMs, initialDelayMs * 2^(try-1)))), a bounded number of
 * tries. Every retry loop (client reconnects and operations, worker model calls and
 * publishes) takes its numbers from a `RetryPolicy` in its config and its waits from here.
 * Plain TypeScript, no Node built-ins: it runs in browsers, Node and Lambda alike.
 */

/** Numbers of one retry loop. */
export interface RetryPolicy {
  /** Tries in all, the first included (1 = never retry). */
  readonly maxTries: number;
  /** Upper bound of the first wait. */
  readonly initialDelayMs: number;
  /** Cap of any wait. */
  readonly maxDelayMs: number;
  /** Full jitter (true, default): wait uniformly in [0, bound]; false: wait the bound. */
  readonly jitter?: boolean;
}

/** A sensible default: 5 tries, waits up to 200, 400, 800, 1600 ms, capped at 5 s. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxTries: 5,
  initialDelayMs: 200,
  maxDelayMs: 5_000,
  jitter: true,
};

/**
 * The wait before try number `nextTry` (2 for the first retry).
 * @param random source of [0, 1) numbers; injectable for tests.
 */
export function backoffDelayMs(
  policy: RetryPolicy,
  nextTry: number,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, nextTry - 2);
  const bound = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** exponent);
  return policy.jitter === false ? bound : Math.floor(random() * bound);
}

/** Whether a loop that has made `triesSoFar` tries may make another. */
export function canRetry(policy: RetryPolicy, triesSoFar: number): boolean {
  return triesSoFar < policy.maxTries;
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** What `retry` tells `shouldRetry` and `onRetry` about a failed try. */
export interface RetryContext {
  /** The try that just failed (1-based). */
  readonly tries: number;
  /** The wait before the next try. */
  readonly delayMs: number;
}

/** The budget of a retried operation ran out: `tries` tries, the last failing with `cause`. */
export class RetriesExhaustedError extends Error {
  override readonly name = 'RetriesExhaustedError';
  constructor(
    readonly operation: string,
    readonly tries: number,
    override readonly cause: unknown,
  ) {
    super(
      `${operation} failed after ${tries} ${tries === 1 ? 'try' : 'tries'}: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
    );
  }
}

/**
 * Runs `fn` until it succeeds, `shouldRetry` says no, or the policy's tries are spent.
 * A non-retryable error is rethrown as it is; a spent budget throws RetriesExhaustedError
 * naming the operation and the number of tries.
 */
export async function retry<T>(
  operation: string,
  policy: RetryPolicy,
  fn: (tries: number) => Promise<T>,
  options: {
    shouldRetry: (error: unknown, context: RetryContext) => boolean;
    onRetry?: (error: unknown, context: RetryContext) => void;
    signal?: AbortSignal;
    random?: () => number;
  },
): Promise<T> {
  for (let tries = 1; ; tries += 1) {
    try {
      return await fn(tries);
    } catch (error) {
      const context: RetryContext = {
        tries,
        delayMs: backoffDelayMs(policy, tries + 1, options.random),
      };
      if (options.signal?.aborted || !options.shouldRetry(error, context)) throw error;
      if (!canRetry(policy, tries)) throw new RetriesExhaustedError(operation, tries, error);
      options.onRetry?.(error, context);
      await sleep(context.delayMs, options.signal);
    }
  }
}
