/**
 * End-to-end: the real client (Apollo 4 + aws-appsync-auth-link + aws-appsync-subscription-link,
 * real `ws`) against the real local stack (AppSync emulator running the deployed resolver
 * code, async invoker running the worker, Bedrock-compatible endpoint, DynamoDB store).
 *
 * The stack package depends on this one (its own tests use the client), so importing it
 * through package.json would make a dependency cycle; it is loaded from its build output
 * instead, and these tests are skipped with the reason when that build is missing.
 */
import { InMemoryCache } from '@apollo/client/core';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GetStreamDocument,
  StreamChunksDocument,
  TABLE,
  chunkSortKey,
  streamPartitionKey,
} from '@org/bedrock-stream-contracts';
import {
  ChunkAssembler,
  createStreamClient,
  realtimeUrlFor,
  type StreamClient,
  type StreamHandle,
  type StreamPart,
  type StreamUpdate,
} from '../src/index.js';
import { NoStoreCache } from '../src/no-store-cache.js';
import { futureAttemptChunks, type StoredChunk } from './helpers.js';
import { chunksOf, expectedParts, turnEvents, type TurnSpec } from './turns.js';

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
      return (await storedAnswer(streamId)).text;
    }

    /** The text and parts the store holds for a stream, assembled from its chunks. */
    async function storedAnswer(
      streamId: string,
    ): Promise<{ text: string; parts: readonly StreamPart[] }> {
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
      return { text: asm.text, parts: asm.parts };
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

    it('the default cache stores nothing; an app’s InMemoryCache serves its own cached queries', async () => {
      // Every operation above (mutations, queries, the subscription) ran on the no-store cache.
      expect(client.apollo!.cache).toBeInstanceOf(NoStoreCache);
      expect(client.apollo!.cache.extract()).toEqual({});

      let requests = 0;
      const cache = new InMemoryCache();
      const cached = createStreamClient({
        url: stack.config.graphqlUrl,
        region: stack.config.region,
        auth: { type: 'API_KEY', apiKey: stack.config.apiKey },
        cache,
        fetch: (input, init) => {
          requests += 1;
          return fetch(input, init);
        },
      });
      try {
        expect(cached.apollo!.cache).toBe(cache);
        const result = await cached.stream({ modelId, prompt: PROMPT }).done;
        expect(result.status).toBe('done');
        // The client's own reads still go to the store every time...
        const before = requests;
        await cached.getStream(result.streamId);
        await cached.getStream(result.streamId);
        expect(requests).toBe(before + 2);
        // ...while the app's cache-first query is answered from its cache the second time.
        const query = () =>
          cached.apollo!.query({
            query: GetStreamDocument,
            variables: { streamId: result.streamId },
            fetchPolicy: 'cache-first',
          });
        const first = await query();
        expect(first.data?.getStream?.streamId).toBe(result.streamId);
        const second = await query();
        expect(second.data).toEqual(first.data);
        expect(requests).toBe(before + 3);
      } finally {
        cached.close();
      }
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

    /** A real DynamoDB client for the stack's dynalite. */
    function dynamo(): DynamoDBClient {
      return new DynamoDBClient({
        region: stack.config.region,
        endpoint: stack.config.dynamodbEndpoint,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
    }

    /** Stores chunks through dynalite exactly as publishChunk's putChunk step does. */
    async function storeChunks(chunks: readonly StoredChunk[]): Promise<void> {
      const ddb = dynamo();
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

    it('reasoning, tool calls and steps reach the client as the stored parts; tool JSON goes as AWSJSON', async () => {
      // The input carries tool JSON as values: the client sends it as AWSJSON strings, the
      // emulator parses them as AppSync does, and the resolver stores the values.
      const handle = client.stream({
        modelId,
        system: 'Answer briefly.',
        toolConfig: {
          tools: [
            {
              name: 'get_weather',
              description: 'The weather in a city',
              inputSchema: { type: 'object', properties: { city: { type: 'string' } } },
            },
          ],
        },
        messages: [
          { role: 'USER', text: 'Weather in Paris?' },
          {
            role: 'ASSISTANT',
            content: [
              { text: 'Let me look.' },
              { toolUse: { toolUseId: 'prev_1', name: 'get_weather', input: { city: 'Paris' } } },
            ],
          },
          {
            role: 'USER',
            content: [
              { toolResult: { toolUseId: 'prev_1', content: { tempC: 21 } } },
              { text: 'And tell a long tale. [[tokens:600]]' },
            ],
          },
        ],
      });
      await firstText(handle); // startStream has stored the record by now
      const ddb = dynamo();
      try {
        const record = await ddb.send(
          new GetItemCommand({
            TableName: stack.config.tableName,
            Key: {
              pk: { S: streamPartitionKey(handle.streamId) },
              sk: { S: TABLE.recordSortKey },
            },
          }),
        );
        const stored = record.Item?.['input']?.M;
        expect(
          stored?.['toolConfig']?.M?.['tools']?.L?.[0]?.M?.['inputSchema']?.M?.['type'],
        ).toEqual({ S: 'object' });
        const toolUse = stored?.['messages']?.L?.[1]?.M?.['content']?.L?.[1]?.M?.['toolUse']?.M;
        expect(toolUse?.['input']?.M?.['city']).toEqual({ S: 'Paris' });
      } finally {
        ddb.destroy();
      }
      // A worker's tool-using answer, every event kind at once, is played as attempt 2: its chunks are stored through dynalite and fanned out with the
      // emulator's hook; one is lost live and comes from the store.
      const turn: TurnSpec = {
        withSteps: true,
        stopReason: 'a_reason_from_2030',
        usage: {
          inputTokens: 12,
          outputTokens: 40,
          totalTokens: 1552,
          cacheReadInputTokens: 1500,
        },
        steps: [
          {
            reasoning: { texts: ['The user wants ', 'a tale.'], signature: 'c2lnLTE=' },
            redacted: ['AQIDBA=='],
            texts: ['Looking up '],
            calls: [
              {
                id: 'srv_1',
                name: 'search',
                input: { q: 'river tales' },
                streamed: true,
                cuts: [4, 9],
                result: { output: { hits: 2 }, isError: false },
              },
            ],
            usage: { inputTokens: 5, outputTokens: 20, totalTokens: 25 },
          },
          {
            reasoning: { texts: ['Now write it.'], signature: 'c2lnLTI=' },
            redacted: [],
            texts: ['Once upon a river', ', the end.'],
            calls: [
              {
                id: 'app_1',
                name: 'get_weather',
                input: { city: 'Paris' },
                streamed: true,
                cuts: [3],
              },
            ],
            usage: null,
          },
        ],
      };
      const newer = chunksOf(2, turnEvents(turn, 2), [2, 1, 3], handle.streamId);
      await storeChunks(newer);
      for (const chunk of newer) {
        if (chunk.seq === 3) continue;
        stack.emulator.injectMutationResult('publishChunk', { ...chunk, owner: 'apikey' });
      }
      const result = await handle.done;
      expect(result.status).toBe('done');
      expect(result.stopReason).toBe('a_reason_from_2030');
      expect(result.usage).toEqual(turn.usage);
      expect(result.parts).toEqual(expectedParts(turn));
      expect(result.text).toBe('Looking up Once upon a river, the end.');
      const stored = await storedAnswer(handle.streamId);
      expect(result.parts).toEqual(stored.parts);
      expect(result.text).toBe(stored.text);
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
