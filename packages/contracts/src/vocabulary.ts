// The contract's closed vocabularies as plain data (no zod, no runtime imports), so the
// APPSYNC_JS resolvers, which cannot run zod, check against the very same lists, and
// the worker, the client and the tests branch on one copy of each.

/**
 * Why generation stopped, as Bedrock's `messageStop.stopReason` names it, plus our own
 * `cancelled` (the owner called cancelStream). Readers must also accept a reason that
 * is not listed here (Bedrock adds them): it is carried as the string it is, never
 * mapped to another reason.
 */
export const STOP_REASONS = [
  'end_turn',
  'max_tokens',
  'stop_sequence',
  'cancelled',
  'content_filtered',
  'guardrail_intervened',
  'tool_use',
  'model_context_window_exceeded',
] as const;

/** What any stop reason must look like (Bedrock's snake_case), for the writers' checks. */
export const STOP_REASON_PATTERN = '[a-z][a-z0-9_]*';
export const STOP_REASON_MAX_CHARS = 64;

/** A stop reason this contract knows. */
export type KnownStopReason = (typeof STOP_REASONS)[number];

/** Lifecycle of a stream record: ACCEPTED by startStream, RUNNING once a worker claims it. */
export const STREAM_STATUSES = ['ACCEPTED', 'RUNNING', 'COMPLETED', 'CANCELLED', 'FAILED'] as const;
export type StreamRecordStatus = (typeof STREAM_STATUSES)[number];

/** Record statuses after which nothing changes. */
export const TERMINAL_STREAM_STATUSES = [
  'COMPLETED',
  'CANCELLED',
  'FAILED',
] as const satisfies readonly StreamRecordStatus[];
export type TerminalStreamStatus = (typeof TERMINAL_STREAM_STATUSES)[number];

/**
 * Where a conversation message is (GraphQL `MessageStatus`): user messages are COMPLETE;
 * an answer is STREAMING, then COMPLETE, AWAITING_TOOL_RESULT (it called a client tool),
 * STOPPED (cancelled, partial parts kept) or FAILED. The type is the generated `MessageStatus`.
 */
export const MESSAGE_STATUSES = [
  'COMPLETE',
  'STREAMING',
  'AWAITING_TOOL_RESULT',
  'STOPPED',
  'FAILED',
] as const;

/** Whether a stream record's status is final (accepts any string: records come from storage). */
export function isTerminalStatus(
  status: string | null | undefined,
): status is TerminalStreamStatus {
  return status === 'COMPLETED' || status === 'CANCELLED' || status === 'FAILED';
}

/**
 * Codes of the terminal `error` events the worker writes (and stores on a FAILED record).
 * Bedrock's own exception names pass through as they are; everything else the worker
 * cannot name is `InternalError`. A UI can switch over this union.
 */
export const WORKER_ERROR_CODES = [
  // Decided before calling the model.
  'InvalidInput',
  'ModelNotAllowed',
  'MaxAttemptsExceeded',
  // The worker's own run ended it.
  'WorkerTimeout',
  'WorkerFailed',
  'StallError',
  'TruncatedStreamError',
  'QuotaExceeded',
  'InternalError',
  // Bedrock's exceptions, by name.
  'AccessDeniedException',
  'ValidationException',
  'ThrottlingException',
  'ServiceQuotaExceededException',
  'ServiceUnavailableException',
  'InternalServerException',
  'ModelErrorException',
  'ModelNotReadyException',
  'ModelTimeoutException',
  'ModelStreamErrorException',
  'ResourceNotFoundException',
] as const;
export type WorkerErrorCode = (typeof WORKER_ERROR_CODES)[number];

/** Whether `code` is one the worker may write. */
export function isWorkerErrorCode(code: unknown): code is WorkerErrorCode {
  return typeof code === 'string' && (WORKER_ERROR_CODES as readonly string[]).includes(code);
}

/** Maps any thrown value's name to the closed list (`InternalError` when unknown). */
export function toWorkerErrorCode(error: unknown): WorkerErrorCode {
  const name = (error as { name?: unknown } | null)?.name;
  return isWorkerErrorCode(name) ? name : 'InternalError';
}

/**
 * `errorType`s the resolvers raise (AppSync's `errors[].errorType`), besides AppSync's own
 * (`UnauthorizedException`, ...).
 */
export const RESOLVER_ERROR_TYPES = [
  'ValidationError',
  'NotFound',
  'ConflictError',
  'StaleAttempt',
  'StreamNotRunning',
  /** A limit refused startStream; `errorInfo` is a QuotaErrorInfo (limit, current, retryAfterSeconds). */
  'QuotaExceeded',
  /**
   * The owner's counters were busy with concurrent starts (DynamoDB TransactionConflict);
   * `errorInfo.retryAfterSeconds` says when to try again.
   */
  'Throttled',
] as const;
export type ResolverErrorType = (typeof RESOLVER_ERROR_TYPES)[number];
