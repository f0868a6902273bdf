/**
 * Load: 500 streams started in one burst through the real client. Every startStream is
 * accepted at once (the worker queue absorbs the burst), every stream completes with
 * nothing lost, and memory returns near its baseline afterwards.
 */
import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { StreamClient } from '@org/bedrock-stream-client';
import type { LocalStack } from '@org/bedrock-stream-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  answerFor,
  eventually,
  inBatches,
  readStored,
  reportCase,
  sleep,
  startSuiteStack,
  suiteClient,
  totalDiff,
} from '../src/index.js';

// A full collection before each reading, so the figures are live memory, not garbage.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function liveHeapMb(): Promise<number> {
  for (let i = 0; i < 3; i += 1) {
    gc();
    await sleep(50);
  }
  return process.memoryUsage().heapUsed / 2 ** 20;
}

let stack: LocalStack;
beforeAll(async () => {
  stack = await startSuiteStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe('load', () => {
  it('500 streams in a burst: all accepted at once, all complete, 0 lost, memory back near baseline', async () => {
    const STREAMS = 500;
    const CLIENTS = 5; // 100 subscriptions per connection, AppSync's limit
    // Warm up (module caches, first connections) so the baseline is a running stack's.
    const warm = suiteClient(stack);
    await warm.stream({ modelId: stack.config.defaultModelId, prompt: 'warm up' }).done;
    warm.close();
    await stack.invoker.idle();
    const baselineMb = await liveHeapMb();

    const clients: StreamClient[] = Array.from({ length: CLIENTS }, () =>
      suiteClient(stack, { stallTimeoutMs: 10_000 }),
    );
    const invocationsBefore = stack.invoker.stats().invocations;
    const started = Date.now();
    const streams = Array.from({ length: STREAMS }, (_, i) => {
      const prompt = `burst ${i} ${randomUUID()} [[tokens:20]]`;
      const handle = clients[i % CLIENTS]!.stream({
        modelId: stack.config.defaultModelId,
        prompt,
      });
      return { prompt, handle };
    });
    // Accepted = startStream stored the record and queued the Event invocation.
    let queuedAtAccept = 0;
    await eventually(
      () => {
        const s = stack.invoker.stats();
        queuedAtAccept = Math.max(queuedAtAccept, s.queued);
        return s.invocations - invocationsBefore >= STREAMS;
      },
      60_000,
      'every startStream to be accepted',
    );
    const acceptedMs = Date.now() - started;
    const results = await Promise.all(streams.map((s) => s.handle.done));
    const completedMs = Date.now() - started;
    const stored = await inBatches(streams, 16, (s) => readStored(stack, s.handle.streamId));
    const expected = streams.map((s) => answerFor(stack, s.prompt));
    for (const c of clients) c.close();
    await stack.invoker.idle();
    await eventually(() => stack.emulator.stats().connections === 0, 10_000, 'sockets to close');
    const afterMb = await liveHeapMb();

    const figures = totalDiff(results.map((r, i) => ({ expected: expected[i]!, actual: r.text })));
    reportCase({
      name: '500 streams in a burst',
      trials: STREAMS,
      faults: 0,
      ...figures,
      notes: `accepted in ${(acceptedMs / 1000).toFixed(1)} s (${queuedAtAccept} queued), done in ${(completedMs / 1000).toFixed(1)} s; live heap ${baselineMb.toFixed(0)} -> ${afterMb.toFixed(0)} MB`,
    });
    expect(stack.invoker.stats().invocations - invocationsBefore).toBe(STREAMS);
    for (const [i, r] of results.entries()) {
      expect(r.status).toBe('done');
      expect(r.text).toBe(expected[i]);
      expect(stored[i]!.text).toBe(expected[i]);
    }
    expect(figures).toEqual({ lost: 0, duplicated: 0 });
    // What stays is the stored data (in-memory DynamoDB) and warmed caches, not the 500
    // streams' sessions, sockets and buffers.
    expect(afterMb - baselineMb).toBeLessThan(40);
  });
});
