/** What one invocation did with its stream, declared once. */
export const PROCESS_OUTCOMES = [
  /** The answer ended with its `end` event. */
  'completed',
  /** The owner cancelled; the stream ended with stop reason `cancelled`. */
  'cancelled',
  /** The stream ended with a terminal `error` event. */
  'failed',
  /** Another delivery of the same event: the stream was finished or held by a live run. */
  'duplicate',
  /** No such stream record. */
  'missing',
  /** A newer attempt took the stream over: this run stopped quietly. */
  'superseded',
] as const;
export type ProcessOutcome = (typeof PROCESS_OUTCOMES)[number];
