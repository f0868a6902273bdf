import {
  isWorkerErrorCode,
  parseQuotaErrorInfo,
  type QuotaErrorInfo,
  type WorkerErrorCode,
} from '@org/bedrock-stream-contracts';

/**
 * The client's own error codes (the worker's are contracts' `WORKER_ERROR_CODES`):
 * - `INVALID_OPTIONS` / `INVALID_INPUT`: rejected before anything was sent.
 * - `INVALID_PAYLOAD`: a received chunk broke the contract (see contracts' ChunkPayloadSchema).
 * - `SUBSCRIBE_FAILED`: the real-time subscription was not acknowledged.
 * - `START_FAILED` / `CANCEL_FAILED` / `QUERY_FAILED`: a GraphQL operation failed: the service
 *   refused it, or its retry budget ran out (the message then says what was tried).
 * - `STREAM_NOT_FOUND`: `resume()` found no stream with that id for this caller.
 * - `CONVERSATION_NOT_FOUND`: no conversation with that id for this caller.
 * - `MUTATION_FAILED`: a conversation mutation (create, rename, delete) failed.
 * - `CHAT_BUSY`: a Chat action that needs the chat idle (send, edit, regenerate) was called
 *   while an answer is being generated, or `addToolResult` when no tool call waits.
 * - `THROTTLED`: startStream stayed busy (concurrent starts of one user) after its retries;
 *   try again after `retryAfterSeconds`.
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
  'CONVERSATION_NOT_FOUND',
  'MUTATION_FAILED',
  'CHAT_BUSY',
  'THROTTLED',
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
 * "try again" (a new stream with the same input) makes sense; `retryAfterSeconds`, when
 * set, says when.
 *
 * Quotas: a start the server refused has code `QuotaExceeded` with {@link quota} (which
 * limit, its value, the current count) and `retryAfterSeconds`; a stream the worker stopped
 * because its owner's daily output tokens ran out mid-answer has code `QuotaExceeded` too,
 * with `retryAfterSeconds` (the next UTC day) and `retryable` false.
 */
export class StreamClientError extends Error {
  override readonly name = 'StreamClientError';
  /**
   * The worker's code exactly as it was written, when the worker ended the stream (equal
   * to `code` unless `code` is `UNKNOWN_WORKER_ERROR`); null for the client's own errors.
   */
  readonly workerCode: string | null;
  /** Seconds after which trying again can succeed (quotas, throttling); null when unknown. */
  readonly retryAfterSeconds: number | null;
  /** The limit that refused a start (code `QuotaExceeded` from startStream); else null. */
  readonly quota: QuotaErrorInfo | null;

  constructor(
    /** Stable machine-readable code. */
    readonly code: StreamErrorCode,
    message: string,
    /** Whether starting the stream again may succeed. */
    readonly retryable: boolean,
    options?: {
      cause?: unknown;
      workerCode?: string;
      retryAfterSeconds?: number | null;
      quota?: QuotaErrorInfo | null;
    },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.workerCode = options?.workerCode ?? null;
    this.quota = options?.quota ?? null;
    this.retryAfterSeconds = options?.retryAfterSeconds ?? this.quota?.retryAfterSeconds ?? null;
  }
}

/**
 * The error of a stream the worker ended (its `error` event or the FAILED record's stored
 * error). A code this version does not know maps to `UNKNOWN_WORKER_ERROR`, keeping the
 * original in `workerCode`.
 */
export function workerError(
  code: string,
  message: string,
  retryable: boolean,
  retryAfterSeconds?: number | null,
): StreamClientError {
  return new StreamClientError(
    isWorkerErrorCode(code) ? code : 'UNKNOWN_WORKER_ERROR',
    message,
    retryable,
    { workerCode: code, retryAfterSeconds: retryAfterSeconds ?? null },
  );
}

/** One GraphQL error as AppSync sends it (`errorType`, `errorInfo` beside `message`). */
interface AppSyncErrorEntry {
  message?: unknown;
  errorType?: unknown;
  errorInfo?: unknown;
}

/**
 * The GraphQL errors inside anything Apollo threw or returned, also when wrapped (a
 * StreamClientError's or a spent retry budget's `cause`).
 */
function graphQLErrors(err: unknown, depth = 0): AppSyncErrorEntry[] {
  if (!err || typeof err !== 'object' || depth > 6) return [];
  const e = err as { errors?: unknown; cause?: unknown };
  const own = Array.isArray(e.errors) ? (e.errors as AppSyncErrorEntry[]) : [];
  return [...own, ...graphQLErrors(e.cause, depth + 1)];
}

/**
 * The typed error of a startStream the server refused because of a limit: `QuotaExceeded`
 * (with the limit, the current count and `retryAfterSeconds`) or `THROTTLED` (the user's
 * counters were busy). Null when `err` is something else.
 */
export function refusedStartError(err: unknown): StreamClientError | null {
  for (const entry of graphQLErrors(err)) {
    const message = typeof entry.message === 'string' ? entry.message : 'startStream refused';
    if (entry.errorType === 'QuotaExceeded') {
      const quota = parseQuotaErrorInfo(entry.errorInfo);
      return new StreamClientError('QuotaExceeded', message, true, { cause: err, quota });
    }
    if (entry.errorType === 'Throttled') {
      const info = entry.errorInfo as { retryAfterSeconds?: unknown } | null;
      const after = typeof info?.retryAfterSeconds === 'number' ? info.retryAfterSeconds : 1;
      return new StreamClientError('THROTTLED', message, true, {
        cause: err,
        retryAfterSeconds: after,
      });
    }
  }
  return null;
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
