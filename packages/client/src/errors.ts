/**
 * What went wrong, as a stable code the UI can branch on:
 * - `INVALID_OPTIONS` / `INVALID_INPUT`: rejected before anything was sent.
 * - `INVALID_PAYLOAD`: a received chunk broke the contract (see contracts' ChunkPayloadSchema).
 * - `SUBSCRIBE_FAILED`: the real-time subscription was not acknowledged.
 * - `START_FAILED` / `CANCEL_FAILED` / `QUERY_FAILED`: a GraphQL operation failed.
 * - `CONNECTION_LOST`: the WebSocket dropped and could not be re-established.
 * - `STREAM_FAILED`: the stream record says FAILED but no error event was received.
 * - `CLIENT_CLOSED`: `client.close()` ended the stream; `DETACHED`: `handle.detach()` did.
 * - any other string: the `code` of the worker's terminal `error` event.
 */
export type StreamErrorCode =
  | 'INVALID_OPTIONS'
  | 'INVALID_INPUT'
  | 'INVALID_PAYLOAD'
  | 'SUBSCRIBE_FAILED'
  | 'START_FAILED'
  | 'CANCEL_FAILED'
  | 'QUERY_FAILED'
  | 'CONNECTION_LOST'
  | 'STREAM_FAILED'
  | 'CLIENT_CLOSED'
  | 'DETACHED'
  | (string & {});

/**
 * The one error type the client reports. `retryable` tells a UI whether offering
 * "try again" (a new stream with the same input) makes sense.
 */
export class StreamClientError extends Error {
  override readonly name = 'StreamClientError';
  constructor(
    /** Stable machine-readable code. */
    readonly code: StreamErrorCode,
    message: string,
    /** Whether starting the stream again may succeed. */
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Best-effort human message of anything thrown (Apollo errors, link error objects, strings). */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  if (err && typeof err === 'object') {
    const errors = (err as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      return errors
        .map((e) => (e && typeof e === 'object' && 'message' in e ? String(e.message) : String(e)))
        .join('; ');
    }
    try {
      return JSON.stringify(err);
    } catch {
      return String(err);
    }
  }
  return String(err);
}
