/**
 * The start mutation goes out with the subscription (issue 18), so on a slow network the
 * worker publishes before the subscription is live. Here every WebSocket byte reaches the
 * server 400 ms late (the fault proxy) while HTTP is not slowed: whole answers are stored
 * before their subscription's start_ack. Catch-up must deliver them, once, complete.
 */
import { randomUUID } from 'node:crypto';
import type { LocalStack } from '@org/bedrock-stream-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FaultProxy,
  OUTPUT_TOKENS,
  answerFor,
  readStored,
  reportCase,
  startSuiteStack,
  suiteClient,
  totalDiff,
} from '../src/index.js';

let stack: LocalStack;
let proxy: FaultProxy;
beforeAll(async () => {
  stack = await startSuiteStack();
  proxy = await FaultProxy.start(stack.config.graphqlUrl, { webSocketDelayMs: 400 });
});
afterAll(async () => {
  await proxy?.close();
  await stack?.stop();
});

describe('subscription live after the answer was published', () => {
  it('chunks published before start_ack come from the store: nothing lost or doubled', async () => {
    const TRIALS = 10;
    const rows = [];
    let wholeFromStore = 0;
    for (let trial = 0; trial < TRIALS; trial += 1) {
      // A new client each time: a new WebSocket, its set-up slowed by the proxy.
      const client = suiteClient(stack, {
        url: proxy.urlFor(stack.config.graphqlUrl),
        keepWarmMs: 0,
      });
      try {
        const prompt = `late subscription ${trial} ${randomUUID()}`;
        const result = await client.stream({ modelId: stack.config.defaultModelId, prompt }).done;
        const stored = await readStored(stack, result.streamId);
        if (result.metrics.catchUpChunks === stored.chunks) wholeFromStore += 1;
        expect(result.status).toBe('done');
        expect(result.text).toBe(answerFor(stack, prompt));
        expect(stored.text).toBe(result.text);
        rows.push({ expected: answerFor(stack, prompt), actual: result.text });
      } finally {
        client.close();
      }
    }
    const figures = totalDiff(rows);
    reportCase({
      name: 'subscription live 400 ms after the start',
      trials: TRIALS,
      faults: wholeFromStore,
      ...figures,
      notes: `${wholeFromStore} answers (${OUTPUT_TOKENS} tokens) stored whole before start_ack, all caught up`,
    });
    expect(wholeFromStore).toBeGreaterThan(0);
    expect(figures).toEqual({ lost: 0, duplicated: 0 });
  }, 120_000);
});
