// Keeps one stream's onStreamChunk subscription up: the first subscription is retried like
// a reconnect, a dropped one is remade under the `reconnect` policy (contracts' capped,
// jittered backoff), a page that comes back skips the wait, and while the page is away
// (offline, hidden) a spent budget waits for it instead of failing.
import {
  RetriesExhaustedError,
  backoffDelayMs,
  canRetry,
  type RetryPolicy,
} from '@org/bedrock-stream-contracts';
import { classifyError } from './classify-error.js';
import { StreamClientError } from './errors.js';
import type { ClientLifecycle } from './lifecycle.js';
import { RetryLog, lastFailure } from './operation-retry.js';
import type { StreamChunkMessage, StreamTransport } from './transport.js';

/** What the subscription tells its stream. */
export interface StreamSubscriptionEvents {
  onChunk(chunk: StreamChunkMessage): void;
  /** A try is about to be made again: `reconnect` after a drop, `retry` for the first one. */
  onTry(kind: 'retry' | 'reconnect'): void;
  /** Acknowledged again after a drop: what was published meanwhile is only in the store. */
  onRestored(): void;
  /** A dropped subscription could not be remade; the stream cannot go on live. */
  onLost(error: StreamClientError): void;
}

/** Thrown inside the loops once the subscription is closed; never leaves this module. */
const CLOSED = Symbol('closed');

/** The budget ran out; `tried` says how (tries, time, failures). */
class SubscribeBudgetSpent extends RetriesExhaustedError {
  constructor(
    tries: number,
    cause: unknown,
    readonly tried: string,
  ) {
    super('onStreamChunk subscription', tries, cause);
  }
}

/** One stream's subscription, kept up until {@link StreamSubscription.close}. */
export class StreamSubscription {
  private unsubscribe: (() => void) | undefined;
  private acked = false;
  private closed = false;
  private recovering = false;
  /** Ends a pending backoff wait early (the page came back). */
  private skipWait: (() => void) | undefined;
  private readonly abort = new AbortController();

  constructor(
    private readonly transport: StreamTransport,
    private readonly streamId: string,
    private readonly policy: RetryPolicy,
    private readonly lifecycle: ClientLifecycle,
    private readonly events: StreamSubscriptionEvents,
  ) {}

  /** Whether the server acknowledged the current subscription and it has not dropped. */
  get connected(): boolean {
    return this.acked && !this.closed;
  }

  /**
   * Makes the first subscription, retried under the policy. Resolves on `start_ack`.
   * @throws StreamClientError `SUBSCRIBE_FAILED` (refused, or the budget ran out, saying
   *   what was tried).
   */
  async open(): Promise<void> {
    try {
      await this.establish(null);
    } catch (error) {
      if (error === CLOSED) return;
      throw this.failure('SUBSCRIBE_FAILED', 'subscription not established', error);
    }
  }

  /** The page came back: a subscription that is down is retried now, not after the wait. */
  wake(): void {
    this.skipWait?.();
  }

  /**
   * Drops the current subscription and makes a new one now (the connection may be dead
   * without knowing it).
   */
  restart(): void {
    if (this.closed || !this.acked) return;
    this.dropped(new StreamClientError('CONNECTION_LOST', 'subscription restarted', true));
  }

  /** Unsubscribes and stops every retry. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.acked = false;
    this.abort.abort(CLOSED);
    this.skipWait?.();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private dropped(cause: StreamClientError): void {
    this.acked = false;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.closed || this.recovering) return;
    this.recovering = true;
    void this.establish(cause).then(
      () => {
        this.recovering = false;
        if (!this.closed) this.events.onRestored();
      },
      (error: unknown) => {
        this.recovering = false;
        if (error === CLOSED || this.closed) return;
        this.events.onLost(
          this.failure(
            'CONNECTION_LOST',
            'real-time connection lost and not re-established',
            error,
          ),
        );
      },
    );
  }

  /**
   * Subscribes until acknowledged. After a drop, the subscription that dropped counts as
   * try 1. A refused try ends it at once; when the budget is spent while the page is away,
   * it waits for the page to come back and starts a fresh count.
   */
  private async establish(droppedBy: StreamClientError | null): Promise<void> {
    let log = new RetryLog();
    let tries = 0;
    let last: unknown = droppedBy;
    if (droppedBy) {
      log.note(droppedBy);
      tries = 1;
    }
    for (;;) {
      if (this.closed) throw CLOSED;
      if (tries > 0) {
        if (!canRetry(this.policy, tries)) {
          if (this.lifecycle.online && this.lifecycle.visible) {
            throw new SubscribeBudgetSpent(tries, last, log.describe(tries));
          }
          await this.lifecycle.nextWake(this.abort.signal).catch(() => undefined);
          log = new RetryLog();
          tries = 0;
          continue;
        }
        await this.pause(backoffDelayMs(this.policy, tries + 1));
        if (this.closed) throw CLOSED;
      }
      await this.lifecycle.whenOnline(this.abort.signal).catch(() => undefined);
      if (this.closed) throw CLOSED;
      if (droppedBy) this.events.onTry('reconnect');
      else if (tries > 0) this.events.onTry('retry');
      tries += 1;
      try {
        await this.subscribeOnce();
        return;
      } catch (error) {
        if (error === CLOSED) throw error;
        log.note(error);
        last = error;
        if (!classifyError(error).retryable) throw error;
      }
    }
  }

  /** Waits `ms`, or less when the page comes back or the subscription is closed. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.skipWait = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.skipWait = done;
    });
  }

  /** One subscription: resolves on start_ack, rejects if it fails before. */
  private subscribeOnce(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (error?: unknown) => {
        if (settled) return false;
        settled = true;
        this.abort.signal.removeEventListener('abort', onClose);
        if (error === undefined) resolve();
        else reject(error);
        return true;
      };
      const onClose = () => settle(CLOSED);
      this.abort.signal.addEventListener('abort', onClose, { once: true });
      this.unsubscribe?.();
      this.unsubscribe = undefined;
      const unsubscribe = this.transport.subscribe(this.streamId, {
        onAck: () => {
          if (this.closed || !settle()) return;
          this.acked = true;
        },
        onChunk: (chunk) => {
          if (!this.closed) this.events.onChunk(chunk);
        },
        onError: (error) => {
          const current = this.unsubscribe === unsubscribe;
          if (current) this.unsubscribe = undefined;
          // Before the ack it is this try's failure; after it, a drop (unless replaced).
          if (!settle(error) && current && !this.closed) this.dropped(error);
        },
      });
      if (!settled || this.acked) this.unsubscribe = unsubscribe;
    });
  }

  private failure(
    code: 'SUBSCRIBE_FAILED' | 'CONNECTION_LOST',
    what: string,
    error: unknown,
  ): StreamClientError {
    if (error instanceof SubscribeBudgetSpent) {
      return new StreamClientError(
        code,
        `${what} after ${error.tried}; last: ${lastFailure(error.cause)}`,
        true,
        { cause: error },
      );
    }
    const { retryable } = classifyError(error);
    if (error instanceof StreamClientError && error.code === code) return error;
    return new StreamClientError(code, `${what}: ${lastFailure(error)}`, retryable, {
      cause: error,
    });
  }
}
