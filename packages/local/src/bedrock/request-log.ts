import type { BedrockOperation } from './routes.js';

/** How a request ended. */
export type RequestOutcome =
  'completed' | 'error' | 'stream-error' | 'aborted' | 'dropped' | 'in-progress';

/** One request as seen by the server. */
export interface BedrockRequestRecord {
  requestId: string;
  operation: BedrockOperation | 'unknown';
  modelId: string;
  /** The raw prompt text (system + messages, markers kept), cut to 200 characters. */
  prompt: string;
  status: number;
  outcome: RequestOutcome;
  /** Error or exception name, when outcome is `error` / `stream-error`. */
  error?: string;
  outputTokens: number;
  stopReason?: string;
  faults: string[];
  startedAt: number;
  durationMs?: number;
  /**
   * When the first and the last output token were written (epoch ms, sub-ms precision),
   * so a benchmark can tell the model's pacing from the delay added after it.
   */
  firstTokenAt?: number;
  lastTokenAt?: number;
}

/** Counters of {@link BedrockServer.stats}. */
export interface BedrockStats {
  requests: number;
  active: number;
  completed: number;
  /** Request-level error responses (4xx/5xx). */
  errors: number;
  /** Streams ended by an in-stream exception. */
  streamErrors: number;
  /** Requests whose client closed the connection before the response finished. */
  aborted: number;
  /** Connections the server destroyed on purpose (drop fault). */
  dropped: number;
  faultsInjected: number;
  byOperation: Record<BedrockOperation, number>;
  /** The most recent requests (up to 500), oldest first. */
  recent: BedrockRequestRecord[];
  /** `[[fault:...]]` markers that did not parse. */
  ignoredMarkers: string[];
}

/** Counts one output token of `rec` and stamps when it was written. */
export function countToken(rec: BedrockRequestRecord): void {
  const now = performance.timeOrigin + performance.now();
  rec.firstTokenAt ??= now;
  rec.lastTokenAt = now;
  rec.outputTokens++;
}

const RECENT_LIMIT = 500;

/** The server's request records and counters; one log line per finished request. */
export class RequestLog {
  private readonly recent: BedrockRequestRecord[] = [];
  private readonly counters = {
    requests: 0,
    completed: 0,
    errors: 0,
    streamErrors: 0,
    aborted: 0,
    dropped: 0,
    faultsInjected: 0,
  };
  private readonly byOperation: Record<BedrockOperation, number> = {
    Converse: 0,
    ConverseStream: 0,
    InvokeModel: 0,
    InvokeModelWithResponseStream: 0,
  };

  constructor(private readonly log?: (line: string) => void) {}

  /** Records a new request and returns its (mutable) record. */
  begin(requestId: string, operation: BedrockOperation | 'unknown'): BedrockRequestRecord {
    const rec: BedrockRequestRecord = {
      requestId,
      operation,
      modelId: '',
      prompt: '',
      status: 200,
      outcome: 'in-progress',
      outputTokens: 0,
      faults: [],
      startedAt: Date.now(),
    };
    this.counters.requests++;
    if (operation !== 'unknown') this.byOperation[operation]++;
    this.recent.push(rec);
    if (this.recent.length > RECENT_LIMIT) this.recent.shift();
    return rec;
  }

  /** Counts a request that had at least one fault applied. */
  faultInjected(): void {
    this.counters.faultsInjected++;
  }

  /** Settles a record once (later calls are ignored) and logs it. */
  finish(rec: BedrockRequestRecord, outcome: RequestOutcome): void {
    if (rec.outcome !== 'in-progress') return;
    rec.outcome = outcome;
    rec.durationMs = Date.now() - rec.startedAt;
    if (outcome === 'completed') this.counters.completed++;
    else if (outcome === 'error') this.counters.errors++;
    else if (outcome === 'stream-error') this.counters.streamErrors++;
    else if (outcome === 'aborted') this.counters.aborted++;
    else if (outcome === 'dropped') this.counters.dropped++;
    this.log?.(
      [
        new Date().toISOString(),
        rec.requestId.slice(0, 8),
        rec.operation,
        rec.modelId || '-',
        rec.status,
        outcome + (rec.error ? `:${rec.error}` : ''),
        `out=${rec.outputTokens}`,
        rec.stopReason ? `stop=${rec.stopReason}` : '',
        `${rec.durationMs}ms`,
        rec.faults.length ? `faults=${rec.faults.join(',')}` : '',
      ]
        .filter((s) => s !== '')
        .join(' '),
    );
  }

  /** Snapshot of the counters and recent records (copies, safe to keep). */
  stats(active: number, ignoredMarkers: readonly string[]): BedrockStats {
    return {
      ...this.counters,
      active,
      byOperation: { ...this.byOperation },
      recent: this.recent.map((r) => ({ ...r, faults: [...r.faults] })),
      ignoredMarkers: [...ignoredMarkers],
    };
  }
}
