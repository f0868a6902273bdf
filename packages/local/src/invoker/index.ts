import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Options of {@link createAsyncInvoker}. */
export interface AsyncInvokerOptions {
  /** Absolute path of the ESM module exporting the handler. */
  handlerModule: string;
  handlerExport?: string;
  functionName?: string;
  /** Environment variables of the function (added to the invoker's own). */
  env?: Record<string, string>;
  /** Concurrent executions (warm child processes). Default 4. */
  concurrency?: number;
  /** Retries after a failed run of an Event invocation. Default 2, as Lambda. */
  maxRetries?: number;
  /** Delay before each retry. Lambda waits ~1 then ~2 minutes; local defaults are short. */
  retryDelaysMs?: number[];
  /** Events older than this are dropped to the failure record instead of run. Default 6 h. */
  maxEventAgeMs?: number;
  /** A run longer than this is killed and counts as failed. Default 15 min. */
  timeoutMs?: number;
  /** Append each failure record as a JSON line to this file. */
  failureLogFile?: string;
}

/** The on-failure record of an event that exhausted its retries (like an on-failure destination). */
export interface FailureRecord {
  requestId: string;
  payload: unknown;
  attempts: number;
  error: { errorType: string; errorMessage: string };
  firstAttemptAt: string;
  failedAt: string;
  condition: 'RetriesExhausted' | 'EventAgeExceeded';
}

/** Counters of the invoker. */
export interface InvokerStats {
  invocations: number;
  runs: number;
  retries: number;
  failures: number;
  inFlight: number;
  queued: number;
  crashes: number;
  timeouts: number;
}

/** A local Lambda function with `Event` (async) and `RequestResponse` invocation. */
export interface AsyncInvoker {
  /**
   * `Event` resolves as soon as the event is queued (Lambda's 202) with its request id;
   * `RequestResponse` resolves with the handler's result.
   * `duplicate` delivers the same event (same request id) extra times, as Lambda's
   * at-least-once delivery may.
   */
  invoke(
    payload: unknown,
    type?: 'Event' | 'RequestResponse',
    options?: { duplicate?: number },
  ): Promise<unknown>;
  failures(): FailureRecord[];
  /** Kills the child running an invocation (a crash mid-run). Returns whether one was running. */
  killRunning(): boolean;
  /** Resolves when nothing is queued, waiting for retry or running. */
  idle(): Promise<void>;
  stats(): InvokerStats;
  close(): Promise<void>;
}

interface Job {
  requestId: string;
  payload: unknown;
  attempts: number;
  firstAttemptAt: number;
  lastError?: { errorType: string; errorMessage: string };
  settle?: { resolve(v: unknown): void; reject(e: Error): void };
  retryable: boolean;
}

interface Worker {
  child: ChildProcess;
  job: Job | null;
  timer: NodeJS.Timeout | null;
}

/** Thrown to a RequestResponse caller when the function failed (Lambda's Unhandled error). */
export class FunctionError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
  ) {
    super(message);
    this.name = 'FunctionError';
  }
}

function runnerPath(): string {
  const here = fileURLToPath(new URL('./runner.js', import.meta.url));
  if (existsSync(here)) return here;
  // Running from src (tests): use the built runner.
  return fileURLToPath(new URL('../../dist/invoker/runner.js', import.meta.url));
}

/**
 * A local async invoker with Lambda's `Event` semantics: queued at once, bounded
 * concurrency, up to `maxRetries` retries with delays after a failed run (throw,
 * crash, timeout), max event age, and an on-failure record. The handler runs in child
 * processes, so its crash or hang is a failed invocation, never a dead server.
 */
export function createAsyncInvoker(options: AsyncInvokerOptions): AsyncInvoker {
  const concurrency = options.concurrency ?? 4;
  const maxRetries = options.maxRetries ?? 2;
  const delays = options.retryDelaysMs ?? [200, 400];
  const maxEventAgeMs = options.maxEventAgeMs ?? 6 * 3600 * 1000;
  const timeoutMs = options.timeoutMs ?? 15 * 60 * 1000;
  const functionName = options.functionName ?? 'worker';
  const queue: Job[] = [];
  const workers: Worker[] = [];
  const failures: FailureRecord[] = [];
  const pendingRetries = new Set<NodeJS.Timeout>();
  const idleWaiters: Array<() => void> = [];
  const counters = { invocations: 0, runs: 0, retries: 0, failures: 0, crashes: 0, timeouts: 0 };
  let closed = false;

  const isIdle = () =>
    queue.length === 0 && pendingRetries.size === 0 && workers.every((w) => !w.job);
  const checkIdle = () => {
    if (isIdle()) for (const w of idleWaiters.splice(0)) w();
  };

  const spawn = (): Worker => {
    const child = fork(runnerPath(), [], {
      env: { ...process.env, ...options.env, AWS_LAMBDA_FUNCTION_NAME: functionName },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    });
    const worker: Worker = { child, job: null, timer: null };
    child.on(
      'message',
      (message: {
        type: string;
        requestId?: string;
        ok?: boolean;
        value?: unknown;
        error?: Job['lastError'];
      }) => {
        if (message.type !== 'result' || !worker.job || message.requestId !== worker.job.requestId)
          return;
        finish(
          worker,
          message.ok ? { ok: true, value: message.value } : { ok: false, error: message.error! },
        );
      },
    );
    child.on('exit', (code, signal) => {
      const index = workers.indexOf(worker);
      if (index !== -1) workers.splice(index, 1);
      if (worker.job) {
        counters.crashes += 1;
        finish(worker, {
          ok: false,
          error: {
            errorType: 'Runtime.ExitError',
            errorMessage: `process exited (code ${code}, signal ${signal})`,
          },
        });
      }
      pump();
    });
    workers.push(worker);
    return worker;
  };

  const finish = (
    worker: Worker,
    outcome: { ok: true; value: unknown } | { ok: false; error: NonNullable<Job['lastError']> },
  ) => {
    const job = worker.job!;
    worker.job = null;
    if (worker.timer) clearTimeout(worker.timer);
    worker.timer = null;
    if (outcome.ok) {
      job.settle?.resolve(outcome.value);
    } else {
      job.lastError = outcome.error;
      if (job.settle)
        job.settle.reject(new FunctionError(outcome.error.errorType, outcome.error.errorMessage));
      else if (job.retryable && job.attempts <= maxRetries && !closed) {
        counters.retries += 1;
        const timer = setTimeout(
          () => {
            pendingRetries.delete(timer);
            queue.push(job);
            pump();
          },
          delays[Math.min(job.attempts - 1, delays.length - 1)] ?? 0,
        );
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
      error: job.lastError ?? { errorType: condition, errorMessage: condition },
      firstAttemptAt: new Date(job.firstAttemptAt).toISOString(),
      failedAt: new Date().toISOString(),
      condition,
    };
    failures.push(entry);
    if (options.failureLogFile)
      appendFileSync(options.failureLogFile, `${JSON.stringify(entry)}\n`);
  };

  const pump = () => {
    if (closed) return;
    while (queue.length) {
      let worker = workers.find((w) => !w.job && w.child.connected);
      if (!worker) {
        if (workers.length >= concurrency) return;
        worker = spawn();
      }
      const job = queue.shift()!;
      if (!job.settle && Date.now() - job.firstAttemptAt > maxEventAgeMs) {
        record(job, 'EventAgeExceeded');
        continue;
      }
      job.attempts += 1;
      counters.runs += 1;
      worker.job = job;
      const w = worker;
      w.timer = setTimeout(() => {
        counters.timeouts += 1;
        w.child.kill('SIGKILL');
      }, timeoutMs);
      w.child.send({
        type: 'invoke',
        requestId: job.requestId,
        payload: job.payload,
        modulePath: options.handlerModule,
        exportName: options.handlerExport ?? 'handler',
        functionName,
        deadline: Date.now() + timeoutMs,
      });
    }
    checkIdle();
  };

  return {
    invoke(payload, type = 'Event', extra = {}) {
      if (closed) return Promise.reject(new Error('invoker is closed'));
      counters.invocations += 1;
      const requestId = randomUUID();
      const base = {
        requestId,
        payload: structuredClone(payload),
        attempts: 0,
        firstAttemptAt: Date.now(),
      };
      if (type === 'RequestResponse') {
        return new Promise((resolve, reject) => {
          queue.push({ ...base, settle: { resolve, reject }, retryable: false });
          pump();
        });
      }
      for (let i = 0; i <= (extra.duplicate ?? 0); i += 1) queue.push({ ...base, retryable: true });
      pump();
      return Promise.resolve({ StatusCode: 202, requestId });
    },
    failures: () => [...failures],
    killRunning() {
      const busy = workers.filter((w) => w.job);
      const victim = busy[Math.floor(Math.random() * busy.length)];
      if (!victim) return false;
      victim.child.kill('SIGKILL');
      return true;
    },
    idle: () =>
      isIdle() ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve)),
    stats: () => ({
      ...counters,
      inFlight: workers.filter((w) => w.job).length,
      queued: queue.length + pendingRetries.size,
    }),
    async close() {
      closed = true;
      for (const t of pendingRetries) clearTimeout(t);
      pendingRetries.clear();
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve) => {
              if (w.child.exitCode !== null) return resolve();
              w.child.once('exit', () => resolve());
              w.child.kill('SIGKILL');
            }),
        ),
      );
      for (const w of idleWaiters.splice(0)) w();
    },
  };
}
