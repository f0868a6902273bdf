import { isWorkerErrorCode, type WorkerErrorCode } from '@org/bedrock-stream-contracts';

/**
 * The client's own error codes (the worker's are contracts' `WORKER_ERROR_CODES`):
 * - `INVALID_OPTIONS` / `INVALID_INPUT`: rejected before anything was sent.
 * - `INVALID_PAYLOAD`: a received chunk broke the contract (see contracts' ChunkPayloadSchema).
 * - `SUBSCRIBE_FAILED`: the real-time subscription was not acknowledged.
 * - `START_FAILED` / `CANCEL_FAILED` / `QUERY_FAILED`: a GraphQL operation failed: the service
 *   refused it, or its retry budget ran out (the message then says what was tried).
 * - `STREAM_NOT_FOUND`: `resume()` found no stream with that id for this caller.
 * - `CONNECTION_LOST`: the WebSocket dropped and could not be re-established.
 * - `STREAM_FAILED`: the stream record says FAILED but no error details were stored.
 * - `UNKNOWN_WORKER_ERROR`: the worker ended the stream with a code this client version does
 *   not know (a newer worker); the code as written is in {@link StreamClientError.workerCode}.
 * - `CLIENT_CLOSED`: `client.close()` ended the stream; `DETACHED`: `handle.detach()` did.
 */
export const CLIENT_ERROR_CODES = [
  'INVALID_OPTIONS',
  'INVALID_INPUT',
  'INVALID_PAYLOAD',
  'SUBSCRIBE_FAILED',
  'START_FAILED',
  'CANCEL_FAILED',
  'QUERY_FAILED',
  'STREAM_NOT_FOUND',
  'CONNECTION_LOST',
  'STREAM_FAILED',
  'UNKNOWN_WORKER_ERROR',
  'CLIENT_CLOSED',
  'DETACHED',
] as const;

/** A code the client itself reports (see {@link CLIENT_ERROR_CODES}). */
export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];

/**
 * What went wrong, as a stable code a UI can switch over: one of the worker's codes
 * (contracts' `WorkerErrorCode`, from its terminal `error` event or the FAILED record) or
 * one of the client's own ({@link ClientErrorCode}). Closed: a worker code this version does
 * not know arrives as `UNKNOWN_WORKER_ERROR`.
 */
export type StreamErrorCode = WorkerErrorCode | ClientErrorCode;

/**
 * The one error type the client reports. `retryable` tells a UI whether offering
 * "try again" (a new stream with the same input) makes sense.
 */
export class StreamClientError extends Error {
  override readonly name = 'StreamClientError';
  /**
   * The worker's code exactly as it was written, when the worker ended the stream (equal
   * to `code` unless `code` is `UNKNOWN_WORKER_ERROR`); null for the client's own errors.
   */
  readonly workerCode: string | null;

  constructor(
    /** Stable machine-readable code. */
    readonly code: StreamErrorCode,
    message: string,
    /** Whether starting the stream again may succeed. */
    readonly retryable: boolean,
    options?: { cause?: unknown; workerCode?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.workerCode = options?.workerCode ?? null;
  }
}

/**
 * The error of a stream the worker ended (its `error` event or the FAILED record's stored
 * error). A code this version does not know maps to `UNKNOWN_WORKER_ERROR`, keeping the
 * original in `workerCode`.
 */
export function workerError(code: string, message: string, retryable: boolean): StreamClientError {
  return new StreamClientError(
    isWorkerErrorCode(code) ? code : 'UNKNOWN_WORKER_ERROR',
    message,
    retryable,
    { workerCode: code },
  );
}

/** Best-effort human message of anything thrown (Apollo errors, link error objects, strings). */
export function describeError(err: unknown): string {
  // Apollo wraps what a link reports that is not an Error (the AppSync subscription link's
  // `{ errors: [...] }`) as "An error of unexpected shape occurred."; its cause says more.
  if (err instanceof Error && err.name === 'UnconventionalError' && err.cause !== undefined) {
    return describeError(err.cause);
  }
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
