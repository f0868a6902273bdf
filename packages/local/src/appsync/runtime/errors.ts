/** An error in AppSync's response shape (`errors[]` entries). */
export interface AppSyncError {
  message: string;
  errorType: string;
  data?: unknown;
  errorInfo?: unknown;
}

/** Thrown by util.error / util.unauthorized: stops the resolver like APPSYNC_JS does. */
export class ResolverAbort extends Error {
  constructor(readonly error: AppSyncError) {
    super(error.message);
  }
}

/** Thrown by runtime.earlyReturn: skips to the end of the current handler chain. */
export class EarlyReturn extends Error {
  constructor(readonly value: unknown) {
    super('earlyReturn');
  }
}

/**
 * A data source failure, surfaced to the resolver as `ctx.error`. `result` is what AppSync
 * still puts in `ctx.result` beside the error (e.g. a cancelled transaction's
 * `{keys: null, cancellationReasons}`); null for most failures.
 */
export class DataSourceError extends Error {
  constructor(
    message: string,
    readonly type: string,
    readonly result: unknown = null,
  ) {
    super(message);
  }
}
