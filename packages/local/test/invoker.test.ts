import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createAsyncInvoker,
  FunctionError,
  type AsyncInvoker,
  type AsyncInvokerOptions,
  type FailureRecord,
} from '../src/index.js';

const handlerModule = fileURLToPath(new URL('./fixtures/handlers.mjs', import.meta.url));
let invoker: AsyncInvoker | null = null;
afterEach(async () => {
  await invoker?.close();
  invoker = null;
});

function make(options: Partial<AsyncInvokerOptions> = {}) {
  invoker = createAsyncInvoker({
    handlerModule,
    concurrency: 2,
    retryDelaysMs: [20, 40],
    timeoutMs: 10_000,
    ...options,
  });
  return invoker;
}

const tmp = () => mkdtempSync(join(tmpdir(), 'invoker-test-'));
const lines = (file: string) =>
  existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !check(); i += 1) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error('condition not reached');
}

describe('async invoker: Event semantics', () => {
  it('answers an Event with 202 at once, while the handler is still running', async () => {
    const inv = make();
    const accepted = await inv.invoke({ mode: 'hang' }, 'Event');
    expect(accepted).toMatchObject({ StatusCode: 202, requestId: expect.any(String) });
    // The handler never finishes, yet invoke resolved: nothing failed, one run is pending.
    expect(inv.stats().inFlight + inv.stats().queued).toBe(1);
    expect(inv.failures()).toEqual([]);
  });

  it('runs at most `concurrency` events at once and queues the rest', async () => {
    const inv = make({ concurrency: 2 });
    for (let i = 0; i < 5; i += 1) await inv.invoke({ mode: 'hang' }, 'Event');
    expect(inv.stats()).toMatchObject({ invocations: 5, inFlight: 2, queued: 3, coldStarts: 2 });
  });

  it('retries a throwing handler twice with the same request id, then records the failure', async () => {
    const dir = tmp();
    const log = join(dir, 'runs.log');
    const failureLogFile = join(dir, 'failures', 'dlq.jsonl');
    const seen: FailureRecord[] = [];
    const inv = make({ failureLogFile, onFailure: (r) => seen.push(r) });
    const { requestId } = (await inv.invoke({ mode: 'throw', log }, 'Event')) as {
      requestId: string;
    };
    await inv.idle();
    expect(inv.stats()).toMatchObject({ invocations: 1, runs: 3, retries: 2, failures: 1 });
    expect(lines(log).map((l) => l.split(' ')[0])).toEqual([requestId, requestId, requestId]);
    const [record] = inv.failures();
    expect(record).toMatchObject({
      requestId,
      attempts: 3,
      condition: 'RetriesExhausted',
      payload: { mode: 'throw', log },
      error: { errorType: 'Error', errorMessage: expect.stringMatching(/^boom/) },
    });
    expect(record!.attemptStartedAt).toHaveLength(3);
    const sorted = [...record!.attemptStartedAt].sort();
    expect(record!.attemptStartedAt).toEqual(sorted);
    expect(lines(failureLogFile).map((l) => JSON.parse(l) as unknown)).toEqual([record]);
    expect(seen).toEqual([record]);
  });

  it('treats a rejected promise as a failed run too', async () => {
    const inv = make({ maxRetries: 0 });
    await inv.invoke({ mode: 'reject' }, 'Event');
    await inv.idle();
    expect(inv.failures()).toMatchObject([
      { attempts: 1, error: { errorType: 'TypeError', errorMessage: 'rejected' } },
    ]);
  });

  it('survives a handler that calls process.exit, retrying it in a fresh child', async () => {
    const dir = tmp();
    const log = join(dir, 'runs.log');
    const inv = make();
    await inv.invoke({ mode: 'exit', log }, 'Event');
    await inv.idle();
    expect(inv.stats()).toMatchObject({ runs: 3, retries: 2, crashes: 3, failures: 1 });
    expect(inv.failures()[0]!.error).toMatchObject({
      errorType: 'Runtime.ExitError',
      errorMessage: expect.stringContaining('exit status 3'),
    });
    // Each run had its own process (the crashed one was replaced).
    expect(new Set(lines(log).map((l) => l.split(' ')[1])).size).toBe(3);
    expect(await inv.invoke({ value: 'alive' }, 'RequestResponse')).toMatchObject({
      echo: 'alive',
    });
  });

  it('times out a hanging handler by killing its child, and retries it', async () => {
    const inv = make({ timeoutMs: 300, maxRetries: 1 });
    await inv.invoke({ mode: 'hang' }, 'Event');
    await inv.idle();
    expect(inv.stats()).toMatchObject({ runs: 2, timeouts: 2, crashes: 0, failures: 1 });
    expect(inv.failures()[0]!.error).toEqual({
      errorType: 'Sandbox.Timedout',
      errorMessage: 'Task timed out after 0.30 seconds',
    });
  });

  it('delivers duplicates of one event with the same request id (at-least-once)', async () => {
    const log = join(tmp(), 'runs.log');
    const inv = make();
    const { requestId } = (await inv.invoke({ value: 1, log }, 'Event', { duplicate: 2 })) as {
      requestId: string;
    };
    await inv.idle();
    expect(inv.stats()).toMatchObject({ invocations: 1, runs: 3 });
    expect(lines(log).map((l) => l.split(' ')[0])).toEqual([requestId, requestId, requestId]);
  });

  it('killRunning() crashes a running invocation, which is then retried', async () => {
    const dir = tmp();
    const log = join(dir, 'runs.log');
    const inv = make();
    expect(inv.killRunning()).toBe(false);
    await inv.invoke(
      { mode: 'hangOnce', marker: join(dir, 'marker'), log, value: 'second' },
      'Event',
    );
    await until(() => lines(log).length === 1);
    expect(inv.killRunning()).toBe(true);
    await inv.idle();
    expect(inv.stats()).toMatchObject({ runs: 2, crashes: 1, retries: 1, failures: 0 });
    expect(lines(log)).toHaveLength(2);
  });

  it('drops events older than the max event age to the failure record', async () => {
    // The first event must start within the max age even on a busy machine; the second
    // waits behind it for far longer.
    const inv = make({ maxEventAgeMs: 150, concurrency: 1 });
    await inv.invoke({ mode: 'slow', ms: 1_000 }, 'Event');
    await inv.invoke({ value: 'late' }, 'Event');
    await inv.idle();
    expect(inv.failures()).toMatchObject([
      { condition: 'EventAgeExceeded', attempts: 0, payload: { value: 'late' } },
    ]);
    expect(inv.stats().runs).toBe(1);
  });
});

describe('async invoker: RequestResponse and execution environments', () => {
  it('returns the result, with a Lambda-like context', async () => {
    const inv = make({ functionName: 'my-fn' });
    expect(await inv.invoke({ value: 7 }, 'RequestResponse')).toMatchObject({
      echo: 7,
      functionName: 'my-fn',
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      remaining: true,
    });
  });

  it('rejects with Lambda-style errors, without retrying', async () => {
    const inv = make();
    const error = await inv.invoke({ mode: 'throw' }, 'RequestResponse').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FunctionError);
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      errorType: 'Error',
      errorMessage: expect.stringMatching(/^boom/),
    });
    await expect(inv.invoke({ mode: 'exit' }, 'RequestResponse')).rejects.toMatchObject({
      errorType: 'Runtime.ExitError',
    });
    expect(inv.stats()).toMatchObject({ runs: 2, retries: 0, failures: 0 });
  });

  it('reports a missing handler export', async () => {
    const inv = make({ handlerExport: 'notAFunction' });
    await expect(inv.invoke({}, 'RequestResponse')).rejects.toMatchObject({
      errorType: 'Runtime.HandlerNotFound',
    });
  });

  it('reuses warm children and passes the function environment', async () => {
    const inv = make({ concurrency: 1, env: { GREETING: 'hello' } });
    const first = (await inv.invoke({}, 'RequestResponse')) as { pid: number; runs: number };
    const second = (await inv.invoke({}, 'RequestResponse')) as { pid: number; runs: number };
    expect(second.pid).toBe(first.pid);
    expect(second.runs).toBe(first.runs + 1);
    expect(await inv.invoke({ mode: 'env', name: 'GREETING' }, 'RequestResponse')).toEqual({
      value: 'hello',
    });
    expect(
      await inv.invoke({ mode: 'env', name: 'AWS_LAMBDA_FUNCTION_NAME' }, 'RequestResponse'),
    ).toEqual({ value: 'worker' });
    expect(inv.stats().coldStarts).toBe(1);
  });

  it('close() rejects queued calls and kills the children', async () => {
    const inv = make({ concurrency: 1 });
    await inv.invoke({ mode: 'hang' }, 'Event');
    const queued = inv.invoke({ value: 1 }, 'RequestResponse').catch((e: unknown) => e);
    await inv.close();
    expect(await queued).toMatchObject({ message: 'invoker is closed' });
    await expect(inv.invoke({}, 'Event')).rejects.toThrow(/closed/);
    expect(inv.stats().inFlight).toBe(0);
    expect(inv.failures()).toEqual([]);
  });
});
