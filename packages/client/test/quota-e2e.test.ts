/**
 * Quotas through the real client against the local stack with quotas on: a refused start
 * is a typed `QuotaExceeded` error with the limit and `retryAfterSeconds`, and
 * `client.usage()` reads the caller's ledger. Skipped like e2e.test.ts when the stack is
 * not built.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStreamClient, type StreamClient } from '../src/index.js';
import { skipReason, stackModule, type LocalStack } from './stack-loader.js';

describe.skipIf(skipReason !== null)(
  `quota errors and usage${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let stack: LocalStack;
    let client: StreamClient;
    let modelId: string;

    beforeAll(async () => {
      stack = await stackModule!.startLocalStack({
        stateFile: false,
        model: { timeToFirstTokenMs: 10, tokensPerSecond: 200, outputTokens: 20 },
        quotas: { concurrentStreamsPerOwner: 1 },
      });
      modelId = stack.config.allowedModelIds?.[0] ?? 'anthropic.claude-3-haiku-20240307-v1:0';
      client = createStreamClient({
        url: stack.config.graphqlUrl,
        region: stack.config.region,
        auth: { type: 'API_KEY', apiKey: stack.config.apiKey },
      });
    });
    afterAll(async () => {
      client?.close();
      await stack?.stop();
    });

    it('reports a refused start as QuotaExceeded with the limit and when to retry', async () => {
      const running = client.stream({ modelId, prompt: 'a long one [[tokens:300]]' });
      await new Promise<void>((resolve) => {
        const off = running.subscribe((u) => {
          if (u.type === 'text') {
            off();
            resolve();
          }
        });
      });
      const refused = await client.stream({ modelId, prompt: 'one more' }).done;
      expect(refused.status).toBe('error');
      expect(refused.error).toMatchObject({
        code: 'QuotaExceeded',
        retryable: true,
        retryAfterSeconds: 5,
        quota: { quota: 'concurrentStreamsPerOwner', limit: 1, current: 1, retryAfterSeconds: 5 },
      });
      const done = await running.done;
      expect(done.status).toBe('done');

      // The ledger is written when the worker records the end, just after the end event.
      let usage = await client.usage();
      for (let i = 0; i < 100 && usage.total.streams === 0; i += 1) {
        await new Promise((r) => setTimeout(r, 100));
        usage = await client.usage();
      }
      expect(usage.total.streams).toBe(1);
      expect(usage.total.outputTokens).toBe(done.usage?.outputTokens);
      expect(usage.quotas.concurrentStreamsPerOwner).toBe(1);
      expect(usage.days.map((d) => d.period)).toEqual([new Date().toISOString().slice(0, 10)]);
    });
  },
);
