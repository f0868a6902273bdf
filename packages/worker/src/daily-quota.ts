import { secondsToNextUtcDay } from '@org/bedrock-stream-contracts';
import { QuotaExceededError } from './errors.js';
import type { ProcessDeps } from './deps.js';
import type { StreamRecordStore } from './record.js';

/** How often a running answer re-reads its owner's usage today (other streams end). */
const QUOTA_REFRESH_MS = 5_000;

/** Options of {@link DailyOutputQuota}. */
export interface DailyOutputQuotaOptions {
  store: Pick<StreamRecordStore, 'outputTokensToday'>;
  owner: string;
  /** The owner's output tokens per UTC day. */
  limit: number;
  /** How often the ledger is read again while the answer streams (other streams end). */
  refreshMs: number;
}

/**
 * The daily output-token quota as a running answer sees it: the owner's ended streams
 * today (the ledger, read at the start and every `refreshMs`) plus this answer's tokens
 * so far. {@link check} throws QuotaExceededError once the sum passes the limit, which ends
 * the model call; the stream then ends with a terminal `QuotaExceeded` error.
 */
export class DailyOutputQuota {
  private usedToday = 0;
  private timer: NodeJS.Timeout | null = null;

  private constructor(private readonly options: DailyOutputQuotaOptions) {}

  /** The configured daily quota of `owner`, opened (null when the quota is off). */
  static forOwner(
    deps: Pick<ProcessDeps, 'config' | 'store'>,
    owner: string,
  ): Promise<DailyOutputQuota | null> {
    const limit = deps.config.quotas.outputTokensPerDayPerOwner;
    if (!limit) return Promise.resolve(null);
    return DailyOutputQuota.open({ store: deps.store, owner, limit, refreshMs: QUOTA_REFRESH_MS });
  }

  /** Reads the owner's usage today and starts refreshing it. */
  static async open(options: DailyOutputQuotaOptions): Promise<DailyOutputQuota> {
    const quota = new DailyOutputQuota(options);
    quota.usedToday = await options.store.outputTokensToday(options.owner);
    quota.timer = setInterval(() => {
      // A failed read keeps the last value; the next one tries again.
      options.store.outputTokensToday(options.owner).then(
        (used) => (quota.usedToday = used),
        () => undefined,
      );
    }, options.refreshMs);
    quota.timer.unref?.();
    return quota;
  }

  /** Whether the owner has no tokens left today (before this answer's first token). */
  get exhausted(): boolean {
    return this.usedToday >= this.options.limit;
  }

  /** Throws QuotaExceededError when `answerTokens` more would pass the limit. */
  check(answerTokens: number): void {
    const total = this.usedToday + answerTokens;
    if (total <= this.options.limit) return;
    throw this.error(total);
  }

  /** The error that ends the stream, `total` being the tokens counted against the limit. */
  error(total = this.usedToday): QuotaExceededError {
    const retryAfterSeconds = secondsToNextUtcDay(Date.now() / 1000);
    return new QuotaExceededError(
      `quota outputTokensPerDayPerOwner exceeded: ${total} of ${this.options.limit} output tokens today (UTC); retry in ${retryAfterSeconds} s`,
      retryAfterSeconds,
    );
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
