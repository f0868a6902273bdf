// Retries of the client's one-shot operations (startStream, cancelStream, getStream,
// streamChunks) on contracts' shared policy: capped exponential backoff with full jitter,
// a budget per operation from the options, only errors classify-error.ts calls retryable,
// and no tries spent while the browser says it is offline.
import { RetriesExhaustedError, retry, type RetryPolicy } from '@org/bedrock-stream-contracts';
import { classifyError } from './classify-error.js';
import { StreamClientError, describeError, type ClientErrorCode } from './errors.js';
import type { ClientLifecycle } from './lifecycle.js';
import type { OperationName } from './options.js';

/** The failures of one retried operation, for the message when its budget runs out. */
export class RetryLog {
  private readonly counts = new Map<string, number>();
  private readonly startedAt = Date.now();

  /** Notes one failed try. */
  note(error: unknown): void {
    const { label } = classifyError(error);
    this.counts.set(label, (this.counts.get(label) ?? 0) + 1);
  }

  /** e.g. `8 tries in 12.4 s (network error ×6, HTTP 503 ×2)`. */
  describe(tries: number): string {
    const seconds = ((Date.now() - this.startedAt) / 1000).toFixed(1);
    const kinds = [...this.counts].map(([label, n]) => `${label} ×${n}`).join(', ');
    return `${tries} ${tries === 1 ? 'try' : 'tries'} in ${seconds} s${kinds ? ` (${kinds})` : ''}`;
  }
}

/** What a caller of {@link OperationRetrier.run} may hook into. */
export interface RetryHooks {
  /** Stops retrying (the error then is the signal's reason or the last failure). */
  signal?: AbortSignal;
  /** Called before each retry (not before the first try). */
  onRetry?: (error: unknown) => void;
}

/** The client error code an operation reports when it fails for good. */
const FAILURE_CODE: Record<OperationName, ClientErrorCode> = {
  startStream: 'START_FAILED',
  cancelStream: 'CANCEL_FAILED',
  getStream: 'QUERY_FAILED',
  streamChunks: 'QUERY_FAILED',
  sendMessage: 'START_FAILED',
  regenerateMessage: 'START_FAILED',
  submitToolResults: 'START_FAILED',
  conversations: 'QUERY_FAILED',
};

/**
 * Runs operations under their retry budgets. A failure that cannot pass on retry is
 * reported at once; a spent budget is reported with what was tried.
 */
export class OperationRetrier {
  constructor(
    private readonly policies: Readonly<Record<OperationName, RetryPolicy>>,
    private readonly lifecycle: ClientLifecycle,
  ) {}

  /**
   * Runs `fn` until it succeeds, fails for good, or the operation's budget is spent.
   * @throws StreamClientError with the operation's failure code (`START_FAILED`, ...); when
   *   the budget ran out its message says how many tries, over how long, failing how.
   */
  async run<T>(operation: OperationName, fn: () => Promise<T>, hooks: RetryHooks = {}): Promise<T> {
    const log = new RetryLog();
    const code = FAILURE_CODE[operation];
    try {
      return await retry(
        operation,
        this.policies[operation],
        async () => {
          // Offline (as the browser says): wait for the network instead of spending tries.
          await this.lifecycle.whenOnline(hooks.signal);
          try {
            return await fn();
          } catch (error) {
            log.note(error);
            throw error;
          }
        },
        {
          shouldRetry: (error) => classifyError(error).retryable,
          ...(hooks.onRetry ? { onRetry: (error: unknown) => hooks.onRetry!(error) } : {}),
          ...(hooks.signal ? { signal: hooks.signal } : {}),
        },
      );
    } catch (error) {
      if (error instanceof RetriesExhaustedError) {
        throw new StreamClientError(
          code,
          `${operation} failed after ${log.describe(error.tries)}; last: ${lastFailure(error.cause)}`,
          true,
          { cause: error },
        );
      }
      throw asClientError(code, operation, error);
    }
  }
}

/** The last failure's own words (without the "<operation> failed:" a transport put first). */
export function lastFailure(error: unknown): string {
  const inner =
    error instanceof StreamClientError && error.cause !== undefined ? error.cause : error;
  return describeError(inner);
}

/** A failure that was not retried, as the client reports it (retryable as classified). */
export function asClientError(
  code: ClientErrorCode,
  operation: string,
  error: unknown,
): StreamClientError {
  if (error instanceof StreamClientError) return error;
  const { retryable } = classifyError(error);
  return new StreamClientError(code, `${operation} failed: ${describeError(error)}`, retryable, {
    cause: error,
  });
}
