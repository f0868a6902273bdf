import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createAsyncInvoker, FunctionError, type AsyncInvoker } from '../src/index.js';

const handlerModule = fileURLToPath(new URL('./fixtures/handlers.mjs', import.meta.url));
let invoker: AsyncInvoker | null = null;
afterEach(async () => {
  await invoker?.close();
  invoker = null;
});

function make(options: Partial<Parameters<typeof createAsyncInvoker>[0]> = {}) {
  invoker = createAsyncInvoker({
    handlerModule,
    concurrency: 2,
    retryDelaysMs: [20, 40],
    timeoutMs: 5_000,
    ...options,
  });
  return invoker;
}

describe('async invoker (Lambda Event semantics, child processes)', () => {
  it('answers an Event at once, before the handler finishes', async () => {
    const inv = make();
    const accepted = await inv.invoke({ mode: 'slow', ms: 300 }, 'Event');
    expect(accepted).toMatchObject({ StatusCode: 202 });
    expect(inv.stats().runs + inv.stats().queued).toBeGreaterThanOrEqual(1);
    await inv.idle();
    expect(inv.failures()).toEqual([]);
  });

  it('returns a RequestResponse result with a Lambda-like context', async () => {
    const inv = make();
    expect(await inv.invoke({ value: 7 }, 'RequestResponse')).toMatchObject({
      echo: 7,
      remaining: true,
    });
    await expect(inv.invoke({ mode: 'throw' }, 'RequestResponse')).rejects.toBeInstanceOf(
      FunctionError,
    );
  });

  it('retries a throwing handler twice, then records the failure', async () => {
    const inv = make();
    await inv.invoke({ mode: 'throw' }, 'Event');
    await inv.idle();
    expect(inv.stats()).toMatchObject({ runs: 3, retries: 2, failures: 1 });
    expect(inv.failures()[0]).toMatchObject({
      attempts: 3,
      condition: 'RetriesExhausted',
      payload: { mode: 'throw' },
      error: { errorMessage: expect.stringMatching(/boom/) },
    });
  });

  it('survives a handler that exits the process, and a handler that hangs past the timeout', async () => {
    const inv = make({ timeoutMs: 300, maxRetries: 1 });
    await inv.invoke({ mode: 'exit' }, 'Event');
    await inv.invoke({ mode: 'hang' }, 'Event');
    await inv.idle();
    const s = inv.stats();
    expect(s.crashes).toBeGreaterThanOrEqual(2);
    expect(s.timeouts).toBeGreaterThanOrEqual(2);
    expect(inv.failures().map((f) => f.error.errorType)).toEqual([
      'Runtime.ExitError',
      'Runtime.ExitError',
    ]);
    // The host still works after both.
    expect(await inv.invoke({ value: 'alive' }, 'RequestResponse')).toMatchObject({
      echo: 'alive',
    });
  });

  it('delivers duplicates of one event with the same request id', async () => {
    const inv = make();
    const { requestId } = (await inv.invoke({ value: 1 }, 'Event', { duplicate: 2 })) as {
      requestId: string;
    };
    await inv.idle();
    expect(inv.stats().runs).toBe(3);
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('drops events older than the max event age', async () => {
    const inv = make({ maxEventAgeMs: 10, concurrency: 1 });
    await inv.invoke({ mode: 'slow', ms: 200 }, 'Event');
    await inv.invoke({ value: 'late' }, 'Event');
    await inv.idle();
    expect(inv.failures()).toMatchObject([
      { condition: 'EventAgeExceeded', payload: { value: 'late' } },
    ]);
  });
});
