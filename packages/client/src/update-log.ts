// A stream's updates as its handle hands them out: kept in order so every iterator replays
// from the first one, and pushed to listeners as they happen.
import type { StreamUpdate } from './stream-types.js';

/** The ordered updates of one stream, for iterators and listeners. */
export class UpdateLog {
  private readonly updates: StreamUpdate[] = [];
  private readonly listeners = new Set<(u: StreamUpdate) => void>();
  private readonly wakeups = new Set<() => void>();
  private ended = false;

  /** Appends an update and tells every iterator and listener. */
  push(update: StreamUpdate): void {
    this.updates.push(update);
    this.wakeAll();
    for (const listener of [...this.listeners]) {
      try {
        listener(update);
      } catch {
        // A throwing listener must not break the stream for others.
      }
    }
  }

  /** No more updates: iterators finish, listeners are dropped. */
  end(): void {
    this.ended = true;
    this.wakeAll();
    this.listeners.clear();
  }

  /** Calls `listener` for every later update. Returns the function that removes it. */
  subscribe(listener: (update: StreamUpdate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every update from the first, then each new one until the end. */
  async *iterate(): AsyncGenerator<StreamUpdate> {
    let cursor = 0;
    for (;;) {
      while (cursor < this.updates.length) yield this.updates[cursor++]!;
      if (this.ended) return;
      await new Promise<void>((resolve) => this.wakeups.add(resolve));
    }
  }

  private wakeAll(): void {
    for (const wake of this.wakeups) wake();
    this.wakeups.clear();
  }
}
