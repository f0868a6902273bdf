/**
 * The worker's structured logger: one JSON line per record on stdout/stderr, which Lambda
 * ships to CloudWatch Logs as it is (and filters by its `level` under Lambda's advanced
 * logging controls). Written here instead of taken from a logging library to keep the
 * worker's cold start small (see the README's dependencies).
 */

/** Log levels, lowest first; `SILENT` writes nothing. */
export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The level of a record (every level but `SILENT`). */
export type RecordLevel = Exclude<LogLevel, 'SILENT'>;

/** What a record carries beside its message: ids, attempts, codes, counts (never prompts). */
export type LogAttributes = Record<string, unknown>;

/** What a run's modules log through (`ProcessDeps.logger`). */
export interface Log {
  info(message: string, attributes?: LogAttributes): void;
  warn(message: string, attributes?: LogAttributes): void;
  error(message: string, attributes?: LogAttributes): void;
}

/** Writes one finished line (without its newline) to the stream its level goes to. */
export type LogWriter = (line: string, stream: 'stdout' | 'stderr') => void;

/** Options of {@link WorkerLogger}. */
export interface WorkerLoggerOptions {
  /** The record's `service`. */
  service: string;
  /** Where the level and the X-Ray trace id are read from. Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Default: `process.stdout` / `process.stderr`. */
  write?: LogWriter;
}

const RANK: Record<LogLevel, number> = { DEBUG: 0, INFO: 1, WARN: 2, ERROR: 3, SILENT: 4 };

// Lambda's advanced logging controls also know TRACE and FATAL (docs: "Log-level filtering").
const LAMBDA_LEVELS: Record<string, LogLevel> = { TRACE: 'DEBUG', FATAL: 'ERROR' };

/** `value` as a {@link LogLevel} (any case), or `undefined` when it is none. */
export function parseLogLevel(value: string | undefined): LogLevel | undefined {
  const upper = value?.trim().toUpperCase();
  return LOG_LEVELS.find((level) => level === upper);
}

/**
 * The threshold for `env`: Lambda's `AWS_LAMBDA_LOG_LEVEL` (set by its advanced logging
 * controls, which drop lower records anyway), then `LOG_LEVEL`, then `INFO`. An invalid
 * `LOG_LEVEL` means `INFO` here; `loadConfig` rejects it.
 */
export function logLevelOf(env: Record<string, string | undefined>): LogLevel {
  const lambda = env['AWS_LAMBDA_LOG_LEVEL']?.trim().toUpperCase();
  const fromLambda = lambda ? (LAMBDA_LEVELS[lambda] ?? parseLogLevel(lambda)) : undefined;
  return fromLambda ?? parseLogLevel(env['LOG_LEVEL']) ?? 'INFO';
}

const writeToProcess: LogWriter = (line, stream) => {
  (stream === 'stderr' ? process.stderr : process.stdout).write(`${line}\n`);
};

/**
 * Writes structured JSON log lines: `level`, `message`, `timestamp` (ISO), `service`,
 * `xray_trace_id` (when Lambda sets `_X_AMZN_TRACE_ID`), the appended keys, then the call's
 * attributes. DEBUG and INFO go to stdout, WARN and ERROR to stderr. A log call never
 * throws: errors are written as `{ name, message, stack }`, bigints as strings, cycles as
 * `"[Circular]"`, and a record that still cannot be serialized is written without its
 * attributes.
 *
 * @example
 * const logger = new WorkerLogger({ service: 'bedrock-stream-worker' });
 * logger.appendKeys({ streamId });
 * logger.info('claimed stream', { attempt: 2 });
 * // {"level":"INFO","message":"claimed stream","timestamp":"…","service":"bedrock-stream-worker","streamId":"…","attempt":2}
 */
export class WorkerLogger implements Log {
  /** The lowest level written. */
  readonly level: LogLevel;
  readonly #service: string;
  readonly #env: Record<string, string | undefined>;
  readonly #write: LogWriter;
  #keys: LogAttributes = {};

  constructor(options: WorkerLoggerOptions) {
    this.#service = options.service;
    this.#env = options.env ?? process.env;
    this.#write = options.write ?? writeToProcess;
    this.level = logLevelOf(this.#env);
  }

  debug(message: string, attributes?: LogAttributes): void {
    this.#log('DEBUG', message, attributes);
  }

  info(message: string, attributes?: LogAttributes): void {
    this.#log('INFO', message, attributes);
  }

  warn(message: string, attributes?: LogAttributes): void {
    this.#log('WARN', message, attributes);
  }

  error(message: string, attributes?: LogAttributes): void {
    this.#log('ERROR', message, attributes);
  }

  /** Adds keys to every following record (e.g. the invocation's ids). */
  appendKeys(keys: LogAttributes): void {
    this.#keys = { ...this.#keys, ...keys };
  }

  /** Removes keys added by {@link appendKeys}. */
  removeKeys(names: readonly string[]): void {
    const keys = { ...this.#keys };
    for (const name of names) delete keys[name];
    this.#keys = keys;
  }

  #log(level: RecordLevel, message: string, attributes: LogAttributes | undefined): void {
    if (RANK[level] < RANK[this.level]) return;
    try {
      const own = { level, message, timestamp: new Date().toISOString(), service: this.#service };
      const traceId = xrayTraceIdOf(this.#env['_X_AMZN_TRACE_ID']);
      const base = traceId ? { ...own, xray_trace_id: traceId } : own;
      let line: string;
      try {
        // Assigning `own` again keeps these fields (and their place first) over same-named keys.
        line = JSON.stringify(
          Object.assign({ ...base, ...this.#keys, ...attributes }, own),
          jsonSafeReplacer(),
        );
      } catch (error) {
        line = JSON.stringify({
          ...base,
          log_error: `attributes could not be serialized (${describe(error)})`,
        });
      }
      this.#write(line, RANK[level] >= RANK.WARN ? 'stderr' : 'stdout');
    } catch {
      // Logging must never fail a run (a closed stream, a throwing writer).
    }
  }
}

/** The `Root=` part of Lambda's trace header, which is the X-Ray trace id. */
function xrayTraceIdOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const root = header.split(';').find((part) => part.startsWith('Root='));
  return root ? root.slice('Root='.length) : undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * A `JSON.stringify` replacer for values JSON cannot hold: errors (whose fields are not
 * enumerable) become `{ name, message, stack }`, bigints strings, and a reference back to an
 * object being written `"[Circular]"` (the same object twice side by side is written twice).
 */
function jsonSafeReplacer(): (this: unknown, key: string, value: unknown) => unknown {
  // The objects from the root to the one being written (JSON.stringify calls the replacer
  // with `this` = the holder of `value`).
  const path: unknown[] = [];
  return function (this: unknown, _key: string, value: unknown): unknown {
    if (typeof value === 'bigint') return value.toString();
    const written =
      value instanceof Error
        ? { name: value.name, message: value.message, stack: value.stack }
        : value;
    if (typeof written !== 'object' || written === null) return written;
    while (path.length > 0 && path[path.length - 1] !== this) path.pop();
    if (path.includes(written)) return '[Circular]';
    path.push(written);
    return written;
  };
}
