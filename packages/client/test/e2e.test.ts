/**
 * End-to-end: the real client (Apollo 4 + aws-appsync-auth-link + aws-appsync-subscription-link,
 * real `ws`) against the real local stack (AppSync emulator running the deployed resolver
 * code, async invoker running the worker, Bedrock-compatible endpoint, DynamoDB store).
 *
 * The stack package depends on this one (its own tests use the client), so importing it
 * through package.json would make a dependency cycle; it is loaded from its build output
 * instead, and these tests are skipped with the reason when that build is missing.
 */
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  StreamChunksDocument,
  chunkSortKey,
  streamPartitionKey,
} from '@org/bedrock-stream-contracts';
import {
  ChunkAssembler,
  createStreamClient,
  realtimeUrlFor,
  type StreamClient,
  type StreamHandle,
  type StreamUpdate,
} from '../src/index.js';
import { futureAttemptChunks, type StoredChunk } from './helpers.js';

import { deterministicAnswer, skipReason, stackModule, type LocalStack } from './stack-loader.js';

const PROMPT = 'Explain in detail how chunked streaming works, step by step.';
/** The local model's `[[tokens:N]]` marker makes a long answer, so there is a "mid-stream". */
const LONG_PROMPT = 'Tell me a long story about a river. [[tokens:200]]';

describe.skipIf(skipReason !== null)(
  `e2e against the local stack${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let stack: LocalStack;
    let client: StreamClient;
    let modelId: string;

    beforeAll(async () => {
      stack = await stackModule!.startLocalStack({});
      modelId =
        stack.config.modelId ??
        stack.config.allowedModelIds?.[0] ??
        'anthropic.claude-3-haiku-20240307-v1:0';
      client = createStreamClient({
        url: stack.config.graphqlUrl,
        region: stack.config.region,
        auth: { type: 'API_KEY', apiKey: stack.config.apiKey },
        gapFillDelayMs: 50,
        stallTimeoutMs: 2_000,
        cancelGraceMs: 300,
      });
    });
    afterAll(async () => {
      client?.close();
      await stack?.stop();
    });

    /** The text the store holds for a stream (what every client must end up with). */
    async function storedText(streamId: string): Promise<string> {
      const asm = new ChunkAssembler();
      let nextToken: string | null = null;
      do {
        const res = await client.apollo!.query({
          query: StreamChunksDocument,
          variables: { streamId, limit: 100, nextToken },
        });
        const page: {
          items: { attempt: number; seq: number; payload: string }[];
          nextToken: string | null;
        } = res.data!.streamChunks;
        for (const item of page.items) asm.push(item);
        nextToken = page.nextToken;
      } while (nextToken);
      return asm.text;
    }

    it('streams the deterministic answer (realtime URL derived as AppSync does)', async () => {
      expect(realtimeUrlFor(stack.config.graphqlUrl)).toBe(stack.config.realtimeUrl);
      const handle = client.stream({ modelId, prompt: PROMPT });
      const deltas: string[] = [];
      for await (const u of handle) if (u.type === 'text') deltas.push(u.delta);
      const result = await handle.done;
      expect(result.status).toBe('done');
      expect(result.text.length).toBeGreaterThan(0);
      expect(deltas.join('')).toBe(result.text);
      expect(result.text).toBe(await storedText(handle.streamId));
      if (deterministicAnswer) expect(result.text).toBe(deterministicAnswer(PROMPT, modelId));
      expect(result.usage?.outputTokens).toBeGreaterThan(0);
    });

    it('cancel ends the stream with status cancelled', async () => {
      const handle = client.stream({ modelId, prompt: LONG_PROMPT });
      await new Promise<void>((resolve) => {
        const off = handle.subscribe((u) => {
          if (u.type === 'text') {
            off();
            resolve();
          }
        });
      });
      await handle.cancel();
      const result = await handle.done;
      expect(result.status).toBe('cancelled');
      expect(result.stopReason).toBe('cancelled');
      // The worker records the outcome right after publishing the terminal chunk.
      let record = await client.getStream(handle.streamId);
      for (let i = 0; i < 40 && record?.status === 'RUNNING'; i += 1) {
        await new Promise((r) => setTimeout(r, 50));
        record = await client.getStream(handle.streamId);
      }
      expect(record?.status).toBe('CANCELLED');
    });

    it('a forced WebSocket close mid-stream still yields the complete text', async () => {
      const handle = client.stream({ modelId, prompt: LONG_PROMPT });
      let closed = false;
      handle.subscribe((u) => {
        if (u.type === 'text' && !closed) {
          closed = true;
          stack.emulator.closeAllConnections();
        }
      });
      const result = await handle.done;
      expect(closed).toBe(true);
      expect(result.status).toBe('done');
      expect(result.metrics.reconnects).toBeGreaterThanOrEqual(1);
      expect(result.text).toBe(await storedText(handle.streamId));
      if (deterministicAnswer) expect(result.text).toBe(deterministicAnswer(LONG_PROMPT, modelId));
    });

    /** Resolves at the stream's first text update. */
    function firstText(handle: StreamHandle): Promise<void> {
      return new Promise<void>((resolve) => {
        const off = handle.subscribe((u) => {
          if (u.type === 'text') {
            off();
            resolve();
          }
        });
      });
    }

    /** Stores chunks through dynalite exactly as publishChunk's putChunk step does. */
    async function storeChunks(chunks: readonly StoredChunk[]): Promise<void> {
      const ddb = new DynamoDBClient({
        region: stack.config.region,
        endpoint: stack.config.dynamodbEndpoint,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      try {
        for (const c of chunks) {
          await ddb.send(
            new PutItemCommand({
              TableName: stack.config.tableName,
              Item: {
                pk: { S: streamPartitionKey(c.streamId) },
                sk: { S: chunkSortKey(c.attempt, c.seq) },
                streamId: { S: c.streamId },
                attempt: { N: String(c.attempt) },
                seq: { N: String(c.seq) },
                payload: { S: c.payload },
                createdAt: { S: c.createdAt },
                expiresAt: { N: String(Math.floor(Date.now() / 1000) + 3600) },
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          );
        }
      } finally {
        ddb.destroy();
      }
    }

    it('a newer worker’s chunks (unknown events and fields) lose no text; one notice', async () => {
      // The resolvers (rightly) refuse event types they do not know, so a newer worker is
      // played here: while the real worker streams attempt 1, "it" takes the stream over as
      // attempt 2 (a worker of a newer version retrying it), storing its chunks through
      // dynalite and fanning them out with the emulator's test hook. Attempt 2 never
      // collides with the real worker's (attempt, seq)s; its chunks carry unknown fields,
      // unknown events mixed with text, and one chunk of nothing but unknown events.
      const handle = client.stream({ modelId, prompt: 'A long tale. [[tokens:600]]' });
      const updates: StreamUpdate[] = [];
      handle.subscribe((u) => updates.push(u));
      await firstText(handle);
      expect(handle.status).toBe('streaming');
      const newer = futureAttemptChunks(
        2,
        [
          { text: 'Hello ', unknown: 2 },
          { unknown: 2 },
          { text: 'from a newer ', unknown: 1 },
          { text: 'worker!', unknown: 3 },
        ],
        { streamId: handle.streamId },
      );
      await storeChunks(newer);
      for (const chunk of newer) {
        // Seq 2 is lost on the way: only catch-up (the stored copy) can fill it.
        if (chunk.seq === 2) continue;
        stack.emulator.injectMutationResult('publishChunk', { ...chunk, owner: 'apikey' });
      }
      const result = await handle.done;
      expect(result.status).toBe('done');
      expect(result.text).toBe('Hello from a newer worker!');
      expect(result.text).toBe(await storedText(handle.streamId));
      expect(updates.filter((u) => u.type === 'reset')).toEqual([{ type: 'reset', attempt: 2 }]);
      expect(updates.filter((u) => u.type === 'notice')).toEqual([
        {
          type: 'notice',
          code: 'UNKNOWN_EVENTS',
          eventTypes: ['citation', 'guardrail-trace'],
          message: expect.any(String),
        },
      ]);
      expect(updates.filter((u) => u.type === 'error')).toEqual([]);
      expect(result.metrics.skippedEvents).toBe(8);
      expect(result.metrics.invalidPayloads).toBe(0);
      expect(result.metrics.catchUpChunks).toBeGreaterThan(0);
    });

    it('dropped, duplicated and reordered messages still yield the complete text', async () => {
      stack.emulator.setFaults({ dropRate: 0.3, duplicateRate: 0.2, reorderRate: 0.3, seed: 42 });
      try {
        const handle = client.stream({ modelId, prompt: LONG_PROMPT });
        const result = await handle.done;
        expect(result.status).toBe('done');
        expect(result.text).toBe(await storedText(handle.streamId));
        if (deterministicAnswer)
          expect(result.text).toBe(deterministicAnswer(LONG_PROMPT, modelId));
      } finally {
        stack.emulator.setFaults({ dropRate: 0, duplicateRate: 0, reorderRate: 0 });
      }
    });
  },
);
