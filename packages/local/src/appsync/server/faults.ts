import { prng } from '../../shared/prng.js';

/** Fault injection on subscription `data` messages. */
export interface SubscriptionFaults {
  dropRate?: number;
  duplicateRate?: number;
  reorderRate?: number;
  seed?: number;
}

const NONE: Required<SubscriptionFaults> = {
  dropRate: 0,
  duplicateRate: 0,
  reorderRate: 0,
  seed: 1,
};

/**
 * Decides, message by message, which fault the fan-out injects. Seeded, so a run with
 * the same seed and traffic draws the same faults; a rate of 0 draws nothing.
 */
export class FaultInjector {
  private faults = NONE;
  private random = prng(NONE.seed);

  /**
   * Replaces the faults (unset rates become 0) and restarts the seeded sequence.
   * @throws Error when a rate is not a number from 0 to 1.
   */
  set(next: SubscriptionFaults): void {
    for (const key of ['dropRate', 'duplicateRate', 'reorderRate'] as const) {
      const v = next[key];
      if (v !== undefined && (typeof v !== 'number' || v < 0 || v > 1))
        throw new Error(`${key} must be a number from 0 to 1`);
    }
    this.faults = {
      dropRate: next.dropRate ?? 0,
      duplicateRate: next.duplicateRate ?? 0,
      reorderRate: next.reorderRate ?? 0,
      seed: next.seed ?? 1,
    };
    this.random = prng(this.faults.seed);
  }

  drop(): boolean {
    return this.draw(this.faults.dropRate);
  }

  /** Whether to hold this message back; never while one is already held. */
  holdBack(holding: boolean): boolean {
    return !holding && this.draw(this.faults.reorderRate);
  }

  duplicate(): boolean {
    return this.draw(this.faults.duplicateRate);
  }

  private draw(rate: number): boolean {
    return rate > 0 && this.random() < rate;
  }
}
