/**
 * Lambda's side of failure: a worker process killed mid-stream (the async invoker
 * retries it as attempt 2) and at-least-once delivery of the same event.
 */
import { randomUUID } from 'node:crypto';
import type { StreamClient } from '@org/bedrock-stream-client';
import { deterministicAnswer } from '@org/bedrock-stream-local';
import type { LocalStack } from '@org/bedrock-stream-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  OUTPUT_TOKENS,
  answerFor,
  eventually,
  finishedRecord,
  inBatches,
  readStored,
  reportCase,
  sleep,
  startSuiteStack,
  suiteClient,
  totalDiff,
} from '../src/index.js';
import { storedRecordItem } from '../src/abuse.js';

let stack: LocalStack;
let client: StreamClient;
beforeAll(async () => {
  // 100 tokens/s so a 60-token answer takes 0.6 s: room to kill it at any token.
  stack = await startSuiteStack({
    model: { timeToFirstTokenMs: 5, tokensPerSecond: 100, outputTokens: OUTPUT_TOKENS },
  });
  client = suiteClient(stack);
});
afterAll(async () => {
  client?.close();
  await stack?.stop();
});

const isStream = (streamId: string) => (payload: unknown) =>
  (payload as { streamId?: string } | null)?.streamId === streamId;

describe('worker failures', () => {
  it('worker killed at a random token, 50 trials: attempt 2 completes, clients show only its text', async () => {
    const TRIALS = 50;
    const TOKENS = 80;
    const crashesBefore = stack.invoker.stats().crashes;
    const results = await inBatches(
      Array.from({ length: TRIALS }, (_, i) => i),
      8,
      async (trial) => {
        const prompt = `crash trial ${trial} ${randomUUID()} [[tokens:${TOKENS}]]`;
        const answer = deterministicAnswer(prompt, {
          modelId: stack.config.defaultModelId,
          outputTokens: OUTPUT_TOKENS,
        });
        // Kill once the client has seen at least `k` tokens (chunks carry ~10 at this speed),
        // in the first half, so the kill lands mid-stream even on a slow machine.
        const k = 1 + Math.floor(Math.random() * (TOKENS / 2));
        const prefix = answer.tokens.slice(0, k).join('').length;
        const handle = client.stream({ modelId: stack.config.defaultModelId, prompt });
        let resets = 0;
        handle.subscribe((u) => {
          if (u.type === 'reset') resets += 1;
        });
        await eventually(
          () =>
            handle.text.length >= prefix ||
            (handle.status !== 'streaming' && handle.status !== 'submitted'),
          15_000,
          `trial ${trial} to reach token ${k}`,
        );
        const killed = stack.invoker.killRunning(isStream(handle.streamId));
        const result = await handle.done;
        const stored = await readStored(stack, handle.streamId);
        const record = await finishedRecord(stack, handle.streamId);
        return { killed, result, stored, record, expected: answer.text, resets };
      },
    );
    const killed = results.filter((r) => r.killed);
    // A kill after the run finished its work (a very slow client view) is not a mid-stream
    // fault: the retry finds the stream complete and does nothing.
    const midStream = killed.filter((r) => r.record.attempt === 2);
    const figures = totalDiff(
      results.map((r) => ({ expected: r.expected, actual: r.result.text })),
    );
    reportCase({
      name: 'worker killed at a random token',
      trials: TRIALS,
      faults: midStream.length,
      ...figures,
      notes: `${killed.length} kills, ${midStream.length} mid-stream (attempt 2 completed), client resets ${results.reduce((n, r) => n + r.resets, 0)}`,
    });
    expect(midStream.length).toBeGreaterThanOrEqual(TRIALS * 0.9);
    expect(stack.invoker.stats().crashes - crashesBefore).toBe(killed.length);
    for (const r of results) {
      expect(r.result.status).toBe('done');
      expect(r.result.text).toBe(r.expected);
      expect(r.stored.text).toBe(r.expected);
      expect(r.record.status).toBe('COMPLETED');
    }
    for (const r of results) {
      expect([1, 2]).toContain(r.record.attempt);
      expect(r.stored.attempt).toBe(r.record.attempt);
      if (r.record.attempt === 2) expect(r.killed).toBe(true);
    }
    expect(figures).toEqual({ lost: 0, duplicated: 0 });
  });

  it('worker killed on every attempt: the on-failure consumer ends the stream with a terminal error', async () => {
    const prompt = `crash always ${randomUUID()} [[tokens:300]]`;
    const handle = client.stream({ modelId: stack.config.defaultModelId, prompt });
    let attempt = 0;
    handle.subscribe((u) => {
      if (u.type === 'start') attempt = u.attempt;
    });
    let kills = 0;
    for (let k = 1; k <= 3; k += 1) {
      await eventually(() => attempt >= k && handle.text.length > 0, 20_000, `attempt ${k}`);
      if (stack.invoker.killRunning(isStream(handle.streamId))) kills += 1;
    }
    const result = await handle.done;
    const record = await finishedRecord(stack, handle.streamId);
    const stored = await readStored(stack, handle.streamId);
    reportCase({
      name: 'worker killed on every attempt',
      trials: 1,
      faults: kills,
      lost: 0,
      duplicated: 0,
      notes: `terminal ${record.error ? 'WorkerFailed' : '?'} error after ${record.attempt} attempts`,
    });
    expect(kills).toBe(3);
    expect(result.status).toBe('error');
    expect(result.error?.message).toMatch(/gave up on this stream/);
    expect(record).toMatchObject({ status: 'FAILED', attempt: 3 });
    expect(record.error).toMatch(/WorkerFailed/);
    // The client shows what the store holds for the last attempt: its partial text.
    expect(stored.attempt).toBe(3);
    expect(result.text).toBe(stored.text);
  });

  it('the same event delivered twice concurrently and later again: one run, one output', async () => {
    const TRIALS = 10;
    const bedrockBefore = stack.bedrock!.stats().requests;
    const runsBefore = stack.invoker.stats().runs;
    const results = await Promise.all(
      Array.from({ length: TRIALS }, async (_, trial) => {
        const prompt = `duplicate trial ${trial} ${randomUUID()}`;
        const handle = client.stream({ modelId: stack.config.defaultModelId, prompt });
        // startStream invokes the worker once; deliver the same event twice more at once.
        await eventually(() => handle.status === 'streaming', 10_000, 'streaming');
        await stack.invoker.invoke({ streamId: handle.streamId }, 'Event', { duplicate: 1 });
        const result = await handle.done;
        await finishedRecord(stack, handle.streamId);
        // ... and once more after it finished.
        await stack.invoker.invoke({ streamId: handle.streamId }, 'Event');
        return { handle, result, expected: answerFor(stack, prompt) };
      }),
    );
    await stack.invoker.idle();
    const runs = stack.invoker.stats().runs - runsBefore;
    const figures = totalDiff(
      results.map((r) => ({ expected: r.expected, actual: r.result.text })),
    );
    reportCase({
      name: 'same event delivered 2x at once + later',
      trials: TRIALS,
      faults: TRIALS * 3,
      ...figures,
      notes: `${runs} runs, ${stack.bedrock!.stats().requests - bedrockBefore} Bedrock calls`,
    });
    expect(runs).toBe(TRIALS * 4);
    expect(stack.bedrock!.stats().requests - bedrockBefore).toBe(TRIALS);
    for (const r of results) {
      expect(r.result.text).toBe(r.expected);
      const stored = await readStored(stack, r.handle.streamId);
      expect(stored).toMatchObject({ text: r.expected, attempt: 1 });
      const record = await finishedRecord(stack, r.handle.streamId);
      expect(record.attempt).toBe(1);
      // publishChunk marked the terminal chunk on the record, so no late duplicate could
      // have taken the finished stream over even before its outcome was recorded.
      const item = await storedRecordItem(stack, r.handle.streamId);
      expect(item?.['terminalSeq']?.N).toBe(String(record.lastSeq));
    }
    expect(figures).toEqual({ lost: 0, duplicated: 0 });
    await sleep(0);
  });
});
