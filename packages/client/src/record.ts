import {
  StopReasonSchema,
  StoredErrorSchema,
  TimingsSchema,
  UsageSchema,
  isTerminalStatus,
  type StopReason,
  type Timings,
  type Usage,
} from '@org/bedrock-stream-contracts';
import type * as z from 'zod/mini';
import { StreamClientError, workerError } from './errors.js';
import type { StreamRecord } from './transport.js';

/** How a finished stream ended, as its stored record tells it. */
export type RecordOutcome = {
  usage: Usage | null;
  timings: Timings | null;
} & (
  | { status: 'done' | 'cancelled'; stopReason: StopReason; error: null }
  | { status: 'error'; stopReason: null; error: StreamClientError }
);

/**
 * Reads a stored AWSJSON field with its contract schema: null when absent or when it does
 * not satisfy the schema (a record is storage, not trusted input).
 */
export function readJsonField<T>(raw: unknown, schema: z.ZodMiniType<T>): T | null {
  if (raw == null) return null;
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return null;
    }
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

/**
 * The outcome a terminal record (COMPLETED, CANCELLED, FAILED) states, or null while the
 * stream still runs. Used when the terminal chunk never reached the client (e.g. the worker
 * died before publishing it): the record is then the truth.
 */
export function outcomeOfRecord(record: StreamRecord): RecordOutcome | null {
  if (!isTerminalStatus(record.status)) return null;
  const usage = readJsonField(record.usage, UsageSchema);
  const timings = readJsonField(record.metrics, TimingsSchema);
  switch (record.status) {
    case 'FAILED': {
      const stored = readJsonField(record.error, StoredErrorSchema);
      const error = stored
        ? workerError(stored.code, stored.message, stored.retryable, stored.retryAfterSeconds)
        : new StreamClientError(
            'STREAM_FAILED',
            'the stream failed (no error details stored)',
            true,
          );
      return { status: 'error', stopReason: null, error, usage, timings };
    }
    case 'CANCELLED':
      return { status: 'cancelled', stopReason: 'cancelled', error: null, usage, timings };
    case 'COMPLETED': {
      const stopReason = StopReasonSchema.safeParse(record.stopReason);
      return {
        status: 'done',
        // A completed record without a (valid) reason ended normally as far as we can tell.
        stopReason: stopReason.success ? stopReason.data : 'end_turn',
        error: null,
        usage,
        timings,
      };
    }
  }
}
