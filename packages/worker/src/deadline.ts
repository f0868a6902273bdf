import type { DeadlineMarginBounds } from './config.js';
import { DeadlineError } from './errors.js';

/** Today's bounds: between 250 ms and 5 s. */
export const DEFAULT_DEADLINE_MARGIN: DeadlineMarginBounds = { minMs: 250, maxMs: 5_000 };

/**
 * Time kept back before the function timeout to publish a terminal chunk and record
 * the outcome: a tenth of the run's time, within `bounds`.
 */
export function deadlineMarginMs(
  remainingMs: number,
  bounds: DeadlineMarginBounds = DEFAULT_DEADLINE_MARGIN,
): number {
  return Math.min(bounds.maxMs, Math.max(bounds.minMs, Math.floor(remainingMs / 10)));
}

/**
 * A run's own deadline, shortly before the function timeout. A run killed by the timeout
 * leaves no terminal chunk and, on the last attempt, a stream that never ends; so the
 * run stops itself: `signal` aborts with a DeadlineError a margin before the timeout.
 */
export class Deadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;

  /** @param remainingMs the function's remaining time now. */
  constructor(remainingMs: number, bounds: DeadlineMarginBounds = DEFAULT_DEADLINE_MARGIN) {
    const message = `the worker ran out of time after ${Math.round(remainingMs / 1000)} s`;
    this.timer = setTimeout(
      () => this.controller.abort(new DeadlineError(message)),
      Math.max(0, remainingMs - deadlineMarginMs(remainingMs, bounds)),
    );
  }

  /** Aborts (with a DeadlineError as its reason) when the run is out of time. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Stops the timer (the run ended). */
  clear(): void {
    clearTimeout(this.timer);
  }
}
