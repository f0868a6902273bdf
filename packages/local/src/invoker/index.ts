// The async invoker with Lambda `Event` semantics (queue, retries, max event age, timeouts,
// on-failure records, child-process isolation). Kept whole (over 400 lines): every part
// reads and changes the same queue and run state, as Lambda's own event queue does.
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunnerMessage, InvokeMessage } from './runner.js';

/** Options of {@link createAsyncInvoker}. */
export interface AsyncInvokerOptions {
  /** Absolute path of the ESM module exporting the handler. */
  handlerModule: string;
  /** Name of the handler export. Default `handler`. */
  handlerExport?: string;
  /** `context.functionName` (and `AWS_LAMBDA_FUNCTION_NAME`). Default `worker`. */
  functionName?: string;
  /** Environment variables of the function (added to the invoker's own). */
  env?: Record<string, string>;
  /** Concurrent executions (warm child processes). Default 4. */
  concurrency?: number;
  /** Retries after a failed run of an Event invocation. Default 2, as Lambda. */
  maxRetries?: number;
  /**
   * Delay before retry n (the last entry repeats). Lambda waits about 1 then 2 minutes;
   * the local default is 200 then 400 ms so tests and demos do not stall.
   */
  retryDelaysMs?: number[];
  /** Events older than this are dropped to the failure record instead of run. Default 6 h, as Lambda. */
  maxEventAgeMs?: number;
  /**
   * A run longer than this is killed and counts as failed. Default 15 min, as Lambda's maximum.
   * As in Lambda it runs from the end of a cold start's module import (init has 10 s more).
   */
  timeoutMs?: number;
  /** Append each failure record as a JSON line to this file (an on-failure destination). */
  failureLogFile?: string;
  /** Called with each failure record. */
  onFailure?: (record: FailureRecord) => void;
  /**
   * Where the function's stdout goes. Default `stderr`, so a CLI's own stdout (e.g. a
   * ready line) is not interleaved with function logs.
   */
  stdout?: 'stderr' | 'inherit' | 'ignore';
}

/** A function error as Lambda reports it. */
export interface LambdaError {
  errorType: string;
  errorMessage: string;
}

/** The on-failure record of an event that was not processed (like an on-failure destination). */
export interface FailureRecord {
  /** The event's request id (the same across its retries, as `context.awsRequestId`). */
  requestId: string;
  payload: unknown;
  /** Runs made (0 when the event expired before its first run). */
  attempts: number;
  /** The last run's error. */
  error: LambdaError;
  /** When the event was accepted (ISO 8601). */
  firstAttemptAt: string;
  /** When each run started (ISO 8601). */
  attemptStartedAt: string[];
  failedAt: string;
  condition: 'RetriesExhausted' | 'EventAgeExceeded';
}

/**
 * The record Lambda sends to an on-failure destination (e.g. an SQS queue) for an event
 * it gave up on, in Lambda's shape, as the consumer of that destination receives it.
 */
export function toDestinationRecord(
  record: FailureRecord,
  functionName = 'worker',
): Record<string, unknown> {
  return {
    version: '1.0',
    timestamp: record.failedAt,
    requestContext: {
      requestId: record.requestId,
      functionArn: `arn:aws:lambda:local:000000000000:function:${functionName}:$LATEST`,
      condition: record.condition,
      approximateInvokeCount: record.attempts,
    },
    requestPayload: record.payload,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: record.error,
  };
}

/** Counters of the invoker. */
export interface InvokerStats {
  /** Calls of `invoke` (duplicates of one call are not counted again). */
  invocations: number;
  /** Handler runs started (first runs, retries and duplicates). */
  runs: number;
  retries: number;
  /** Failure records written. */
  failures: number;
  /** Runs in progress. */
  inFlight: number;
  /** Events waiting for a free execution environment or for their retry delay. */
  queued: number;
  /** Runs that ended with the process exiting (crash, `process.exit`, kill). */
  crashes: number;
  timeouts: number;
  /** Child processes started (cold starts). */
  coldStarts: number;
}

/** A local Lambda function with `Event` (async) and `RequestResponse` invocation. */
export interface AsyncInvoker {
  /**
   * `Event` resolves as soon as the event is queued with `{ StatusCode: 202, requestId }`
   * (Lambda's 202); `RequestResponse` resolves with the handler's result or rejects with a
   * {@link FunctionError}. `duplicate` delivers the same event (same request id) n extra
   * times, as Lambda's at-least-once delivery may.
   */
  invoke(
    payload: unknown,
    type?: 'Event' | 'RequestResponse',
    options?: { duplicate?: number },
  ): Promise<unknown>;
  /** The on-failure records so far. */
  failures(): FailureRecord[];
  /**
   * Kills the child running an invocation (a crash mid-run): a random one, or a random one
   * whose payload `match` accepts. Returns whether one was killed.
   */
  killRunning(match?: (payload: unknown) => boolean): boolean;
  /** Resolves when nothing is queued, waiting for a retry or running. */
  idle(): Promise<void>;
  stats(): InvokerStats;
  /** Kills every child; queued RequestResponse calls reject, queued events are discarded. */
  close(): Promise<void>;
}

interface Job {
  requestId: string;
  payload: unknown;
  attempts: number;
  acceptedAt: number;
  startedAt: number[];
  lastError?: LambdaError;
  settle?: { resolve(v: unknown): void; reject(e: Error): void };
}

interface Environment {
  child: ChildProcess;
  job: Job | null;
  timer: NodeJS.Timeout | null;
  timedOut: boolean;
}

/** Rejection of a RequestResponse invocation whose function failed (Lambda's `FunctionError: Unhandled`). */
export class FunctionError extends Error implements LambdaError {
  readonly errorMessage: string;
  constructor(
    readonly errorType: string,
    message: string,
  ) {
    super(message);
    this.name = 'FunctionError';
    this.errorMessage = message;
  }

  /** Lambda's error payload shape. */
  toJSON(): LambdaError {
    return { errorType: this.errorType, errorMessage: this.errorMessage };
  }
}

/** Lambda's limit on the Init phase (a cold start's module import), kept apart from the timeout. */
const INIT_BUDGET_MS = 10_000;

/** (Re)starts the run's kill timer. */
function armTimer(env: Environment, ms: number): void {
  if (env.timer) clearTimeout(env.timer);
  env.timer = setTimeout(() => {
    env.timedOut = true;
    env.child.kill('SIGKILL');
  }, ms);
}

function runnerPath(): string {
  const here = fileURLToPath(new URL('./runner.js', import.meta.url));
  if (existsSync(here)) return here;
  // Loaded from src (vitest): the runner must be plain JS for fork, so use the built one.
  const built = fileURLToPath(new URL('../../dist/invoker/runner.js', import.meta.url));
  if (existsSync(built)) return built;
  throw new Error(
    `invoker runner not found at ${here} or ${built}: build @org/bedrock-stream-local`,
  );
}

/**
 * A local async invoker with Lambda's `Event` semantics: queued at once, bounded
 * concurrency, up to `maxRetries` retries with delays after a failed run (throw,
 * crash, timeout), max event age, and an on-failure record. The handler runs in warm
 * child processes (one per execution environment), so its crash or hang is a failed
 * invocation, never a dead server.
 *
 * @example
 * const fn = createAsyncInvoker({ handlerModule: '/abs/handler.js', env: { TABLE_NAME: 't' } });
 * await fn.invoke({ streamId: 's1' }, 'Event'); // { StatusCode: 202, requestId }
 * await fn.idle();
 * console.log(fn.failures());
 */
export function createAsyncInvoker(options: AsyncInvokerOptions): AsyncInvoker {
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const maxRetries = options.maxRetries ?? 2;
  const delays = options.retryDelaysMs?.length ? options.retryDelaysMs : [200, 400];
  const maxEventAgeMs = options.maxEventAgeMs ?? 6 * 3600 * 1000;
  const timeoutMs = options.timeoutMs ?? 15 * 60 * 1000;
  const functionName = options.functionName ?? 'worker';
  const exportName = options.handlerExport ?? 'handler';
  const runner = runnerPath();
  const queue: Job[] = [];
  const environments: Environment[] = [];
  const failures: FailureRecord[] = [];
  const pendingRetries = new Set<NodeJS.Timeout>();
  const idleWaiters: Array<() => void> = [];
  const counters = {
    invocations: 0,
    runs: 0,
    retries: 0,
    failures: 0,
    crashes: 0,
    timeouts: 0,
    coldStarts: 0,
  };
  let closed = false;
  if (options.failureLogFile) mkdirSync(dirname(options.failureLogFile), { recursive: true });

  const isIdle = () =>
    queue.length === 0 && pendingRetries.size === 0 && environments.every((e) => !e.job);
  const checkIdle = () => {
    if (isIdle()) for (const resolve of idleWaiters.splice(0)) resolve();
  };

  const spawn = (): Environment => {
    counters.coldStarts += 1;
    const stdout = options.stdout ?? 'stderr';
    const child = fork(runner, [], {
      env: {
        ...process.env,
        ...options.env,
        AWS_LAMBDA_FUNCTION_NAME: functionName,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      },
      stdio: ['ignore', stdout === 'inherit' ? 'inherit' : 'pipe', 'inherit', 'ipc'],
      // JSON, as Lambda (de)serializes events and results.
      serialization: 'json',
    });
    if (stdout !== 'inherit') {
      if (stdout === 'stderr')
        child.stdout?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
      else child.stdout?.resume();
    }
    const env: Environment = { child, job: null, timer: null, timedOut: false };
    child.on('message', (message: RunnerMessage) => {
      if (message.type === 'started' && env.job && message.requestId === env.job.requestId) {
        // Init is over: from here the run has the function timeout.
        armTimer(env, timeoutMs);
        return;
      }
      if (message.type !== 'result' || !env.job || message.requestId !== env.job.requestId) return;
      finish(
        env,
        message.ok ? { ok: true, value: message.value } : { ok: false, error: message.error },
      );
    });
    // An IPC error (e.g. a result that cannot be serialized back) must not crash the host.
    child.on('error', () => child.kill('SIGKILL'));
    child.on('exit', (code, signal) => {
      const index = environments.indexOf(env);
      if (index !== -1) environments.splice(index, 1);
      if (env.job) {
        if (env.timedOut) {
          counters.timeouts += 1;
          finish(env, {
            ok: false,
            error: {
              errorType: 'Sandbox.Timedout',
              errorMessage: `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
            },
          });
        } else {
          counters.crashes += 1;
          finish(env, {
            ok: false,
            error: {
              errorType: 'Runtime.ExitError',
              errorMessage: `RequestId: ${env.job.requestId} Error: Runtime exited ${
                signal ? `with signal: ${signal}` : `with error: exit status ${code}`
              }`,
            },
          });
        }
      }
      pump();
    });
    environments.push(env);
    return env;
  };

  const finish = (
    env: Environment,
    outcome: { ok: true; value: unknown } | { ok: false; error: LambdaError },
  ) => {
    const job = env.job!;
    env.job = null;
    if (env.timer) clearTimeout(env.timer);
    env.timer = null;
    if (outcome.ok) {
      job.settle?.resolve(outcome.value);
    } else if (job.settle) {
      // RequestResponse is never retried by Lambda: the caller sees the error.
      job.settle.reject(new FunctionError(outcome.error.errorType, outcome.error.errorMessage));
    } else if (!closed) {
      job.lastError = outcome.error;
      if (job.attempts <= maxRetries) {
        counters.retries += 1;
        const delay = delays[Math.min(job.attempts - 1, delays.length - 1)] ?? 0;
        const timer = setTimeout(() => {
          pendingRetries.delete(timer);
          queue.push(job);
          pump();
        }, delay);
        pendingRetries.add(timer);
      } else record(job, 'RetriesExhausted');
    }
    pump();
    checkIdle();
  };

  const record = (job: Job, condition: FailureRecord['condition']) => {
    counters.failures += 1;
    const entry: FailureRecord = {
      requestId: job.requestId,
      payload: job.payload,
      attempts: job.attempts,
      error: job.lastError ?? {
        errorType: condition,
        errorMessage: `event older than ${maxEventAgeMs} ms was not run`,
      },
      firstAttemptAt: new Date(job.acceptedAt).toISOString(),
      attemptStartedAt: job.startedAt.map((t) => new Date(t).toISOString()),
      failedAt: new Date().toISOString(),
      condition,
    };
    failures.push(entry);
    if (options.failureLogFile) {
      try {
        appendFileSync(options.failureLogFile, `${JSON.stringify(entry)}\n`);
      } catch (error) {
        process.stderr.write(
          `invoker: cannot append failure record: ${(error as Error).message}\n`,
        );
      }
    }
    try {
      options.onFailure?.(entry);
    } catch {
      // A faulty listener must not break the invoker.
    }
  };

  const pump = () => {
    if (closed) return;
    while (queue.length) {
      let env = environments.find((e) => !e.job && e.child.connected);
      if (!env) {
        if (environments.length >= concurrency) break;
        env = spawn();
      }
      const job = queue.shift()!;
      if (!job.settle && Date.now() - job.acceptedAt > maxEventAgeMs) {
        record(job, 'EventAgeExceeded');
        continue;
      }
      job.attempts += 1;
      job.startedAt.push(Date.now());
      counters.runs += 1;
      env.job = job;
      const e = env;
      // Until the child reports the run started: the init (cold start) budget too.
      armTimer(e, timeoutMs + INIT_BUDGET_MS);
      const message: InvokeMessage = {
        type: 'invoke',
        requestId: job.requestId,
        payload: job.payload,
        modulePath: options.handlerModule,
        exportName,
        functionName,
        timeoutMs,
      };
      e.child.send(message);
    }
    checkIdle();
  };

  return {
    invoke(payload, type = 'Event', extra = {}) {
      if (closed) return Promise.reject(new Error('invoker is closed'));
      counters.invocations += 1;
      const requestId = randomUUID();
      const job = (): Job => ({
        requestId,
        // Each delivery gets its own copy, as each Lambda run deserializes the event anew.
        payload: structuredClone(payload),
        attempts: 0,
        acceptedAt: Date.now(),
        startedAt: [],
      });
      if (type === 'RequestResponse') {
        return new Promise((resolve, reject) => {
          queue.push({ ...job(), settle: { resolve, reject } });
          pump();
        });
      }
      const copies = 1 + Math.max(0, Math.floor(extra.duplicate ?? 0));
      for (let i = 0; i < copies; i += 1) queue.push(job());
      pump();
      return Promise.resolve({ StatusCode: 202, requestId });
    },
    failures: () => [...failures],
    killRunning(match) {
      const busy = environments.filter((e) => e.job && (!match || match(e.job.payload)));
      const victim = busy[Math.floor(Math.random() * busy.length)];
      if (!victim) return false;
      victim.child.kill('SIGKILL');
      return true;
    },
    idle: () =>
      isIdle() ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve)),
    stats: () => ({
      ...counters,
      inFlight: environments.filter((e) => e.job).length,
      queued: queue.length + pendingRetries.size,
    }),
    async close() {
      if (closed) return;
      closed = true;
      for (const t of pendingRetries) clearTimeout(t);
      pendingRetries.clear();
      for (const job of queue.splice(0)) job.settle?.reject(new Error('invoker is closed'));
      await Promise.all(
        environments.map(
          (e) =>
            new Promise<void>((resolve) => {
              if (e.child.exitCode !== null || e.child.signalCode !== null) return resolve();
              e.child.once('exit', () => resolve());
              e.child.kill('SIGKILL');
            }),
        ),
      );
      for (const resolve of idleWaiters.splice(0)) resolve();
    },
  };
}
