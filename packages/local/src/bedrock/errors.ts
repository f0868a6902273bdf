import type { Res } from './http.js';

/**
 * Request-level Bedrock Runtime errors with the HTTP status AWS uses for each (from the service
 * model). The SDK maps `x-amzn-errortype` to the exception class, `$fault` comes from the model.
 */
export const REQUEST_ERRORS = {
  AccessDeniedException: 403,
  InternalServerException: 500,
  ModelErrorException: 424,
  ModelNotReadyException: 429,
  ModelTimeoutException: 408,
  ResourceNotFoundException: 404,
  ServiceQuotaExceededException: 400,
  ServiceUnavailableException: 503,
  ThrottlingException: 429,
  ValidationException: 400,
} as const;

/** Name of an error Bedrock returns as an HTTP error response. */
export type RequestErrorName = keyof typeof REQUEST_ERRORS;

/**
 * Exceptions Bedrock sends inside an event stream (`:message-type: exception`), spelled as the
 * union member names used in `:exception-type`. `modelTimeoutException` exists only in the
 * InvokeModelWithResponseStream union.
 */
export const STREAM_ERRORS = [
  'internalServerException',
  'modelStreamErrorException',
  'validationException',
  'throttlingException',
  'serviceUnavailableException',
  'modelTimeoutException',
] as const;

/** Name of an in-stream exception (`:exception-type` header value). */
export type StreamErrorName = (typeof STREAM_ERRORS)[number];

/** Default messages close to the ones real Bedrock uses, so logs look familiar. */
export const DEFAULT_MESSAGES: Record<RequestErrorName, string> = {
  AccessDeniedException: "You don't have access to the model with the specified model ID.",
  InternalServerException: 'The server encountered an internal error.',
  ModelErrorException: 'The model encountered an error processing the request.',
  ModelNotReadyException: 'The model is not ready to serve requests. Try again later.',
  ModelTimeoutException: 'Model has timed out in processing the request.',
  ResourceNotFoundException: 'The requested resource could not be found.',
  ServiceQuotaExceededException: 'Your request exceeds the service quota for your account.',
  ServiceUnavailableException: 'Bedrock is unable to process your request.',
  ThrottlingException: 'Too many requests, please wait before trying again.',
  ValidationException: 'The request is invalid.',
};

/** An error the server turns into an AWS-shaped response. */
export class BedrockHttpError extends Error {
  override readonly name: RequestErrorName;
  readonly extra: Record<string, unknown>;
  constructor(name: RequestErrorName, message?: string, extra: Record<string, unknown> = {}) {
    super(message ?? DEFAULT_MESSAGES[name]);
    this.name = name;
    this.extra = extra;
  }
  /** HTTP status AWS uses for this error. */
  get status(): number {
    return REQUEST_ERRORS[this.name];
  }
}

/** Accepts either spelling (`ThrottlingException` / `throttlingException`) and returns the request one. */
export function toRequestErrorName(name: string): RequestErrorName | undefined {
  const upper = name.charAt(0).toUpperCase() + name.slice(1);
  if (upper === 'ModelStreamErrorException') return 'ModelErrorException';
  return upper in REQUEST_ERRORS ? (upper as RequestErrorName) : undefined;
}

/** Accepts either spelling and returns the in-stream (`:exception-type`) one. */
export function toStreamErrorName(name: string): StreamErrorName | undefined {
  const lower = name.charAt(0).toLowerCase() + name.slice(1);
  if (lower === 'modelErrorException') return 'modelStreamErrorException';
  return (STREAM_ERRORS as readonly string[]).includes(lower)
    ? (lower as StreamErrorName)
    : undefined;
}

/** Writes an AWS restJson1 error: status, `x-amzn-errortype`, JSON body `{message}`. */
export function writeHttpError(res: Res, err: BedrockHttpError, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ message: err.message, ...err.extra });
  res.writeHead(err.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
    // Real Bedrock appends the Coral namespace; the SDK strips everything after ':'.
    'x-amzn-errortype': `${err.name}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
  });
  res.end(body);
}
