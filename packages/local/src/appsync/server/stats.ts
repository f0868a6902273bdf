/** Counters for tests and benchmarks. */
export interface EmulatorStats {
  mutations: Record<string, number>;
  queries: Record<string, number>;
  messagesSent: number;
  dataMessages: number;
  dropped: number;
  duplicated: number;
  reordered: number;
  connections: number;
  subscriptions: number;
}

/** What is counted; connections and subscriptions are read live instead. */
type Counters = Omit<EmulatorStats, 'connections' | 'subscriptions'>;

const fresh = (): Counters => ({
  mutations: {},
  queries: {},
  messagesSent: 0,
  dataMessages: 0,
  dropped: 0,
  duplicated: 0,
  reordered: 0,
});

/** The emulator's counters, bumped by the HTTP side, the real-time side and the fan-out. */
export class StatsRecorder {
  private counters = fresh();

  /** A query or mutation root field that ran over HTTP. */
  operation(kind: 'query' | 'mutation', field: string): void {
    const bucket = kind === 'mutation' ? this.counters.mutations : this.counters.queries;
    bucket[field] = (bucket[field] ?? 0) + 1;
  }

  /** A real-time message written to a socket (`data` ones are also counted apart). */
  sent(kind: 'control' | 'data'): void {
    this.counters.messagesSent += 1;
    if (kind === 'data') this.counters.dataMessages += 1;
  }

  /** A fault the fan-out injected. */
  fault(kind: 'dropped' | 'duplicated' | 'reordered'): void {
    this.counters[kind] += 1;
  }

  /** A copy of the counters plus the live connection and subscription counts. */
  snapshot(live: { connections: number; subscriptions: number }): EmulatorStats {
    return {
      ...this.counters,
      mutations: { ...this.counters.mutations },
      queries: { ...this.counters.queries },
      ...live,
    };
  }

  reset(): void {
    this.counters = fresh();
  }
}
