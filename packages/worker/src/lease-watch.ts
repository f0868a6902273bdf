import type { StreamRecordStore } from './record.js';

/** Options of {@link LeaseWatch}. */
export interface LeaseWatchOptions {
  store: Pick<StreamRecordStore, 'get' | 'renewLease'>;
  streamId: string;
  attempt: number;
  /** The lease, renewed every lease/3. */
  leaseMs: number;
  /**
   * How often the record is read for `cancelRequested` while nothing else reports it:
   * each publish answers the flag (see {@link LeaseWatch.acknowledge}), so a stream that
   * publishes is not polled; tool runs and the wait for the model's first token are.
   */
  pollMs: number;
}

/**
 * Watches a running attempt's record: renews its lease and notices a cancel within
 * `pollMs`. `signal` aborts when the owner cancelled or the lease was lost to a newer
 * attempt (`superseded`): either way the run stops reading the model.
 */
export class LeaseWatch {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | null = null;
  private lastRenewedAt = Date.now();
  /** When the cancel flag was last learned (a read or a publish's answer). */
  private lastHeardAt = -Infinity;
  private lostLease = false;

  constructor(private readonly options: LeaseWatchOptions) {}

  /** Aborts when the run must stop: a cancel, or a lost lease. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The owner asked to cancel (and the lease is still this run's). */
  get cancelled(): boolean {
    return this.controller.signal.aborted && !this.lostLease;
  }

  /** A newer attempt holds the stream, or it ended: this run must stop quietly. */
  get superseded(): boolean {
    return this.lostLease;
  }

  /** Starts polling. */
  start(): this {
    this.timer ??= setInterval(() => {
      // A failed read or renewal is tried again at the next poll.
      this.poll().catch(() => undefined);
    }, this.options.pollMs);
    return this;
  }

  /**
   * A publish's answer: it carries the record's cancel flag, read when the chunk was
   * checked, so the next poll's read is skipped.
   */
  acknowledge(ack: { cancelRequested: boolean } | undefined): void {
    if (!ack) return;
    this.lastHeardAt = Date.now();
    if (ack.cancelRequested) this.controller.abort();
  }

  /** Stops polling (the run ended). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async poll(): Promise<void> {
    const { store, streamId, attempt, leaseMs } = this.options;
    if (Date.now() - this.lastRenewedAt >= leaseMs / 3) {
      this.lastRenewedAt = Date.now();
      if (!(await store.renewLease(streamId, attempt, leaseMs))) {
        this.lostLease = true;
        this.controller.abort();
      }
    }
    // A publish answered the flag within the last poll interval: no read needed.
    if (Date.now() - this.lastHeardAt < this.options.pollMs) return;
    const current = await store.get(streamId);
    this.lastHeardAt = Date.now();
    if (current?.cancelRequested) this.controller.abort();
  }
}
