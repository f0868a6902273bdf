/**
 * Bedrock's side of failure: throttling, a mid-stream model error, a dropped connection,
 * and a stall past the worker's (Lambda's) timeout. Each stream ends complete or with a
 * clear terminal error, and no client hangs: a client that hears nothing learns the
 * outcome from the getStream query.
 */
import { randomUUID } from 'node:crypto';
import type { StreamClient, StreamResult } from '@org/bedrock-stream-client';
import type { LocalStack } from '@org/bedrock-stream-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  answerFor,
  eventually,
  finishedRecord,
  readStored,
  reportCase,
  startSuiteStack,
  suiteClient,
  totalDiff,
  type RecordView,
} from '../src/index.js';

/** The function timeout: short, so a stall outlives it in seconds. */
const WORKER_TIMEOUT_MS = 5_000;
let stack: LocalStack;
let client: StreamClient;
beforeAll(async () => {
  stack = await startSuiteStack({
    worker: {
      leaseMs: 600,
      concurrency: 8,
      timeoutMs: WORKER_TIMEOUT_MS,
      retryDelaysMs: [200, 400],
      // Longer than the function timeout: the deadline, not the stall timer, must act.
      stallTimeoutMs: 60_000,
    },
  });
  client = suiteClient(stack);
});
afterAll(async () => {
  client?.close();
  await stack?.stop();
});

interface Trial {
  prompt: string;
  result: StreamResult;
  record: RecordView;
  stored: { text: string; attempt: number };
  expected: string;
}

/** Streams each prompt concurrently and gathers what the client, record and store say. */
async function runTrials(prompts: string[]): Promise<Trial[]> {
  return Promise.all(
    prompts.map(async (prompt) => {
      const handle = client.stream({ modelId: stack.config.defaultModelId, prompt });
      const result = await handle.done;
      const record = await finishedRecord(stack, handle.streamId);
      const stored = await readStored(stack, handle.streamId);
      return { prompt, result, record, stored, expected: answerFor(stack, prompt) };
    }),
  );
}

/** Every trial complete; `attempts` are the attempts it may have ended on. */
function expectComplete(trials: Trial[], attempts: number[]): { lost: number; duplicated: number } {
  for (const t of trials) {
    expect(t.result.status).toBe('done');
    expect(t.result.text).toBe(t.expected);
    expect(t.stored.text).toBe(t.expected);
    expect(t.record.status).toBe('COMPLETED');
    expect(attempts).toContain(t.record.attempt);
    expect(t.stored.attempt).toBe(t.record.attempt);
  }
  const figures = totalDiff(trials.map((t) => ({ expected: t.expected, actual: t.result.text })));
  expect(figures).toEqual({ lost: 0, duplicated: 0 });
  return figures;
}

const unique = (label: string, i: number) => `${label} ${i} ${randomUUID()}`;

describe('Bedrock failures', () => {
  it('throttles the first 2 calls: retried in place, attempt 1 completes', async () => {
    const before = stack.bedrock!.stats();
    const trials = await runTrials(
      Array.from({ length: 5 }, (_, i) => `${unique('throttled', i)} [[fault:throttle:times=2]]`),
    );
    const after = stack.bedrock!.stats();
    const figures = expectComplete(trials, [1]);
    expect(after.errors - before.errors).toBe(10);
    reportCase({
      name: 'Bedrock throttles the first 2 calls',
      trials: trials.length,
      faults: after.errors - before.errors,
      ...figures,
      notes: `${after.requests - before.requests} Bedrock calls`,
    });
  });

  it('fails mid-stream once: attempt 2 replaces the partial text', async () => {
    const trials = await runTrials(
      Array.from(
        { length: 10 },
        (_, i) =>
          `${unique('mid-stream', i)} [[fault:mid-stream-error:after=${3 + i * 3}:times=1]]`,
      ),
    );
    reportCase({
      name: 'Bedrock fails mid-stream once',
      trials: trials.length,
      faults: trials.length,
      ...expectComplete(trials, [2]),
    });
  });

  it('drops the connection mid-stream once: retried, completes', async () => {
    const trials = await runTrials(
      Array.from(
        { length: 5 },
        (_, i) => `${unique('dropped', i)} [[fault:drop:after=${5 + i}:times=1]]`,
      ),
    );
    // Tokens the SDK had not handed over when the socket died never reached a client: a
    // drop before the first text is retried in place (attempt 1), after it as attempt 2.
    reportCase({
      name: 'Bedrock connection dropped once',
      trials: trials.length,
      faults: trials.length,
      ...expectComplete(trials, [1, 2]),
      notes: `new attempt in ${trials.filter((t) => t.record.attempt === 2).length}/${trials.length}`,
    });
  });

  it('stalls past the worker timeout once: the run stops itself in time, attempt 2 completes', async () => {
    const timeoutsBefore = stack.invoker.stats().timeouts;
    const trials = await runTrials(
      Array.from(
        { length: 4 },
        (_, i) => `${unique('stalled once', i)} [[fault:stall:after=${2 + i * 5}:times=1]]`,
      ),
    );
    const figures = expectComplete(trials, [2]);
    // The worker ended the run before the invoker had to kill it.
    expect(stack.invoker.stats().timeouts).toBe(timeoutsBefore);
    reportCase({
      name: 'Bedrock stalls past the worker timeout once',
      trials: trials.length,
      faults: trials.length,
      ...figures,
      notes: `function timeout ${WORKER_TIMEOUT_MS} ms`,
    });
  });

  it('stalls on every attempt: a clear terminal error after the last attempt, clients released', async () => {
    const started = Date.now();
    const trials = await runTrials(
      Array.from({ length: 2 }, (_, i) => `${unique('stalled always', i)} [[fault:stall:after=3]]`),
    );
    for (const t of trials) {
      expect(t.result.status).toBe('error');
      expect(t.result.error?.message).toMatch(/ran out of time/);
      expect(t.record).toMatchObject({ status: 'FAILED', attempt: 3 });
      expect(t.record.error).toMatch(/WorkerTimeout/);
      // What the client showed is what the store holds for the last attempt.
      expect(t.result.text).toBe(t.stored.text);
      expect(t.stored.attempt).toBe(3);
    }
    reportCase({
      name: 'Bedrock stalls on every attempt',
      trials: trials.length,
      faults: trials.length * 3,
      lost: 0,
      duplicated: 0,
      notes: `terminal WorkerTimeout after ${Math.round((Date.now() - started) / 100) / 10} s`,
    });
  });

  it('a client that hears nothing more learns the outcome from the query and catches up', async () => {
    const prompt = `${unique('silent', 0)} [[tokens:120]]`;
    const handle = client.stream({ modelId: stack.config.defaultModelId, prompt });
    await eventually(() => handle.text.length > 0, 10_000, 'first text');
    // Every later subscription message is lost, the terminal one included.
    stack.emulator.setFaults({ dropRate: 1 });
    let result: StreamResult;
    try {
      await finishedRecord(stack, handle.streamId);
      result = await handle.done;
    } finally {
      stack.emulator.setFaults({});
    }
    const expected = answerFor(stack, prompt);
    expect(result.status).toBe('done');
    expect(result.text).toBe(expected);
    expect(result.metrics.catchUpQueries).toBeGreaterThan(0);
    reportCase({
      name: 'client hears nothing after the first chunk',
      trials: 1,
      faults: 1,
      ...totalDiff([{ expected, actual: result.text }]),
      notes: `${result.metrics.catchUpChunks} chunks caught up`,
    });
  });
});
