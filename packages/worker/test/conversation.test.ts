import { randomUUID } from 'node:crypto';
import {
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import {
  PartsBuilder,
  chunkSortKey,
  conversationPartitionKey,
  encodeChunkPayload,
  estimateTokens,
  messageSortKey,
  parseMessageParts,
  streamPartitionKey,
  type ChunkEvent,
  type ConversationRecordItem,
  type MessageItem,
  type MessagePart,
  type StreamPart,
} from '@org/bedrock-stream-contracts';
import { signReasoning } from '@org/bedrock-stream-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { endAbandonedStream } from '../src/abandon.js';
import {
  MESSAGE_PARTS_MAX_BYTES,
  PARTS_CUT_TEXT,
  answerStatus,
  fitParts,
} from '../src/conversation.js';
import { WorkerEventSchema } from '../src/handler.js';
import { purgeConversation } from '../src/purge.js';
import { defineTool } from '../src/tools.js';
import {
  eventsOf,
  startRunHarness,
  textOf,
  type RunHarness,
  type SeenChunk,
} from './run-harness.js';

const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0';
const SONNET_37 = 'us.anthropic.claude-3-7-sonnet-20250219-v1:0';
const TABLE_NAME = 'streams';

let harness: RunHarness;
beforeAll(async () => {
  harness = await startRunHarness();
});
afterAll(async () => {
  await harness?.close();
});

const text = (t: string): MessagePart => ({ type: 'text', text: t });
type Seeded = { role: 'USER' | 'ASSISTANT'; parts: MessagePart[]; streamId?: string };

/**
 * Seeds a conversation as sendMessage writes it (CONVERSATIONS.md): the record locked by
 * the new stream, the stored messages, and the answer's message (STREAMING, its streamId)
 * at the end. Returns what a stream record's `conversation` names.
 */
async function seedConversation(options: {
  messages: Seeded[];
  streamId: string;
  modelId?: string;
  system?: string;
  /** Earlier parts of the answer (a continuation) and its earlier streams and usage. */
  answerParts?: MessagePart[];
  answerStreamIds?: string[];
  answerUsage?: Record<string, number>;
}) {
  const conversationId = randomUUID();
  const pk = conversationPartitionKey(conversationId);
  const now = new Date(Date.now() - 60_000).toISOString();
  const messageIndex = options.messages.length;
  const meta: ConversationRecordItem = {
    pk,
    sk: 'META',
    conversationId,
    owner: 'apikey',
    title: 'A chat',
    modelId: options.modelId ?? HAIKU,
    ...(options.system ? { system: options.system } : {}),
    messageCount: messageIndex + 1,
    activeStreamId: options.streamId,
    activeUntil: Math.floor(Date.now() / 1000) + 1200,
    createdAt: now,
    updatedAt: now,
    convOwner: 'apikey',
    convUpdatedAt: now,
  };
  await put(meta);
  for (const [index, m] of options.messages.entries()) {
    const item: MessageItem = {
      pk,
      sk: messageSortKey(index),
      conversationId,
      messageId: m.role === 'USER' ? randomUUID() : (m.streamId ?? randomUUID()),
      index,
      role: m.role,
      parts: JSON.stringify(m.parts),
      status: 'COMPLETE',
      ...(m.role === 'ASSISTANT'
        ? { streamId: m.streamId ?? randomUUID(), streamIds: [m.streamId ?? randomUUID()] }
        : {}),
      createdAt: now,
      updatedAt: now,
    };
    await put(item);
  }
  const messageId = options.answerStreamIds?.[0] ?? options.streamId;
  const answer: MessageItem = {
    pk,
    sk: messageSortKey(messageIndex),
    conversationId,
    messageId,
    index: messageIndex,
    role: 'ASSISTANT',
    parts: JSON.stringify(options.answerParts ?? []),
    status: 'STREAMING',
    streamId: options.streamId,
    streamIds: options.answerStreamIds ?? [options.streamId],
    ...(options.answerUsage ? { usage: options.answerUsage } : {}),
    createdAt: now,
    updatedAt: now,
  };
  await put(answer);
  return { conversationId, messageIndex, messageId };
}

async function put(item: object) {
  await harness.dynamo.send(
    new PutItemCommand({
      TableName: TABLE_NAME,
      Item: marshall(item, { removeUndefinedValues: true }),
    }),
  );
}

async function getItem(pk: string, sk: string) {
  const out = await harness.dynamo.send(
    new GetItemCommand({ TableName: TABLE_NAME, Key: marshall({ pk, sk }), ConsistentRead: true }),
  );
  return out.Item ? unmarshall(out.Item) : null;
}

const messageAt = async (conversationId: string, index: number) =>
  (await getItem(conversationPartitionKey(conversationId), messageSortKey(index))) as MessageItem;
const metaOf = async (conversationId: string) =>
  (await getItem(conversationPartitionKey(conversationId), 'META')) as ConversationRecordItem;
const partsOf = (message: MessageItem) => {
  const parsed = parseMessageParts(message.parts);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.parts;
};
/** The parts clients folded from a run's chunks (of its last attempt). */
function foldedParts(chunks: SeenChunk[]): readonly StreamPart[] {
  const builder = new PartsBuilder();
  const last = Math.max(...chunks.map((c) => c.attempt));
  for (const e of eventsOf(chunks.filter((c) => c.attempt === last))) builder.apply(e);
  return builder.parts;
}
const lastPrompt = () => harness.bedrock.stats().recent.at(-1)!.prompt;

/** Runs the answer of a seeded conversation (stream input as sendMessage stores it). */
async function runTurn(
  seeded: Awaited<ReturnType<typeof seedConversation>>,
  streamId: string,
  input: Record<string, unknown> = {},
  options: Parameters<RunHarness['run']>[1] = {},
) {
  return harness.run(
    { modelId: HAIKU, ...input },
    { ...options, newStreamId: streamId, record: { conversation: seeded, ...options.record } },
  );
}

describe('conversation answers (dynalite + local Bedrock)', () => {
  it('builds the history of a multi-turn chat and stores the finished answer', async () => {
    const streamId = randomUUID();
    const seeded = await seedConversation({
      streamId,
      system: 'Be brief.',
      messages: [
        { role: 'USER', parts: [text('My name is Ada.')] },
        { role: 'ASSISTANT', parts: [text('Hello Ada!')] },
        { role: 'USER', parts: [text('What is my name?')] },
      ],
    });
    const { outcome, chunks, record } = await runTurn(seeded, streamId, { system: 'Be brief.' });
    expect(outcome).toBe('completed');
    const prompt = lastPrompt();
    expect(prompt.indexOf('My name is Ada.')).toBeGreaterThanOrEqual(0);
    expect(prompt.indexOf('Hello Ada!')).toBeGreaterThan(prompt.indexOf('My name is Ada.'));
    expect(prompt.indexOf('What is my name?')).toBeGreaterThan(prompt.indexOf('Hello Ada!'));
    const message = await messageAt(seeded.conversationId, 3);
    expect(message.status).toBe('COMPLETE');
    expect(message.stopReason).toBe('end_turn');
    expect(partsOf(message)).toEqual(foldedParts(chunks));
    expect(partsOf(message)).toEqual([{ type: 'text', text: textOf(chunks) }]);
    expect(message.usage).toEqual(record.usage);
    const meta = await metaOf(seeded.conversationId);
    expect(meta.activeStreamId).toBeUndefined();
    expect(meta.activeUntil).toBeUndefined();
    expect(meta.updatedAt).toBe(meta.convUpdatedAt);
    expect(meta.updatedAt > meta.createdAt).toBe(true);
  });

  it('sends tool calls with their results (and an error result for one never answered)', async () => {
    const history = (): Seeded[] => [
      { role: 'USER', parts: [text('Use get_weather city="Paris" please')] },
      {
        role: 'ASSISTANT',
        parts: [
          { type: 'step-start', step: 1, stopReason: 'tool_use' },
          {
            type: 'tool-call',
            toolCallId: 'tooluse_paris',
            toolName: 'get_weather',
            state: 'output-available',
            inputText: '{"city":"Paris"}',
            input: { city: 'Paris' },
            output: { city: 'Paris', temperatureC: 21 },
          },
          { type: 'step-start', step: 2 },
          text('It is 21 °C in Paris.'),
        ],
      },
      { role: 'USER', parts: [text('please lookup_order id="A-1"')] },
      {
        // The app never ran this client tool (the user wrote on instead).
        role: 'ASSISTANT',
        parts: [
          {
            type: 'tool-call',
            toolCallId: 'tooluse_order',
            toolName: 'lookup_order',
            state: 'input-available',
            inputText: '{"id":"A-1"}',
            input: { id: 'A-1' },
          },
        ],
      },
      { role: 'USER', parts: [text('Never mind. Thanks!')] },
    ];
    const weather = defineTool({
      name: 'get_weather',
      description: 'Current weather of a city',
      input: z.object({ city: z.string() }),
      run: ({ city }) => ({ city, temperatureC: 21 }),
    });
    // With tools declared, as tool blocks (the local endpoint checks every pairing) ...
    const withTools = randomUUID();
    const seeded = await seedConversation({ streamId: withTools, messages: history() });
    const first = await runTurn(seeded, withTools, {}, { tools: [weather] });
    expect(first.outcome).toBe('completed');
    expect((await messageAt(seeded.conversationId, 5)).status).toBe('COMPLETE');
    // ... and without any (Converse refuses tool blocks then): as text.
    const noTools = randomUUID();
    const plain = await seedConversation({ streamId: noTools, messages: history() });
    const second = await runTurn(plain, noTools);
    expect(second.outcome).toBe('completed');
    expect(lastPrompt()).toContain('[tool call get_weather {"city":"Paris"}]');
  });

  it('hands reasoning back with its signature (a forged one is refused: FAILED answer)', async () => {
    const thinking = { thinking: { budgetTokens: 1024 }, inferenceConfig: { maxTokens: 2048 } };
    const reasoning = (signature: string): Seeded[] => [
      { role: 'USER', parts: [text('Think, then greet me.')] },
      {
        role: 'ASSISTANT',
        parts: [
          { type: 'reasoning', text: 'A greeting is due.', signature },
          { type: 'reasoning', text: 'never signed' },
          text('Hello!'),
        ],
      },
      { role: 'USER', parts: [text('Again, please.')] },
    ];
    const good = randomUUID();
    const seeded = await seedConversation({
      streamId: good,
      modelId: SONNET_37,
      messages: reasoning(signReasoning('A greeting is due.')),
    });
    const ok = await runTurn(seeded, good, { modelId: SONNET_37, ...thinking });
    expect(ok.outcome).toBe('completed');
    const answer = partsOf(await messageAt(seeded.conversationId, 3));
    // The new answer's reasoning is stored signed, ready for the next turn.
    expect(answer[0]).toMatchObject({ type: 'reasoning', signature: expect.any(String) });

    const forged = randomUUID();
    const bad = await seedConversation({
      streamId: forged,
      modelId: SONNET_37,
      messages: reasoning('Zm9yZ2Vk'),
    });
    const failed = await runTurn(bad, forged, { modelId: SONNET_37, ...thinking });
    expect(failed.outcome).toBe('failed');
    expect(failed.record.error?.['message']).toMatch(/signature/);
    const message = await messageAt(bad.conversationId, 3);
    expect(message.status).toBe('FAILED');
    expect(message.error).toMatchObject({ code: failed.record.error?.['code'] });
    expect(partsOf(message)).toEqual([]);
    expect((await metaOf(bad.conversationId)).activeStreamId).toBeUndefined();
  });

  it('leaves the oldest whole messages out beyond the token budget', async () => {
    const streamId = randomUUID();
    const seeded = await seedConversation({
      streamId,
      messages: [
        { role: 'USER', parts: [text(`OLDEST ${'x'.repeat(400)}`)] },
        { role: 'ASSISTANT', parts: [text('old answer')] },
        { role: 'USER', parts: [text('recent question')] },
        { role: 'ASSISTANT', parts: [text('recent answer')] },
        { role: 'USER', parts: [text('newest')] },
      ],
    });
    const { outcome } = await runTurn(
      seeded,
      streamId,
      {},
      { env: { HISTORY_TOKEN_BUDGET: '50' } },
    );
    expect(outcome).toBe('completed');
    const prompt = lastPrompt();
    expect(prompt).not.toContain('OLDEST');
    expect(prompt).not.toContain('old answer');
    expect(prompt).toContain('recent question');
    expect(prompt).toContain('newest');
  });

  it('a cancelled answer keeps its partial parts, STOPPED', async () => {
    harness.bedrock.setTiming({ tokensPerSecond: 400 });
    try {
      const streamId = randomUUID();
      const seeded = await seedConversation({
        streamId,
        messages: [{ role: 'USER', parts: [text('Tell me a long story [[tokens:2000]]')] }],
      });
      let cancelled = false;
      const { outcome, chunks, record } = await runTurn(
        seeded,
        streamId,
        {},
        {
          onChunk: async (chunk) => {
            if (!cancelled && chunk.events.some((e) => e.type === 'text')) {
              cancelled = true;
              await harness.cancel(streamId);
            }
          },
        },
      );
      expect(outcome).toBe('cancelled');
      // No usage from Bedrock: the ledger estimates the input from the history sent.
      expect(record.ledger).toMatchObject({ estimated: true });
      expect(record.ledger!.inputTokens).toBeGreaterThan(
        estimateTokens(JSON.stringify({ modelId: HAIKU }).length) + 5,
      );
      const message = await messageAt(seeded.conversationId, 1);
      expect(message.status).toBe('STOPPED');
      expect(message.stopReason).toBe('cancelled');
      const parts = partsOf(message);
      expect(parts).toEqual([{ type: 'text', text: textOf(chunks) }]);
      expect(textOf(chunks).length).toBeGreaterThan(0);
      expect((await metaOf(seeded.conversationId)).activeStreamId).toBeUndefined();
    } finally {
      harness.bedrock.setTiming({});
    }
  });

  it('a client tool call pauses the answer: AWAITING_TOOL_RESULT after the server tools ran', async () => {
    const streamId = randomUUID();
    const seeded = await seedConversation({
      streamId,
      messages: [
        { role: 'USER', parts: [text('Use get_weather city="Oslo" and lookup_order id="A-1"')] },
      ],
    });
    const runs: string[] = [];
    const weather = defineTool({
      name: 'get_weather',
      description: 'Current weather of a city',
      input: z.object({ city: z.string() }),
      run: ({ city }) => {
        runs.push(city);
        return { city, temperatureC: 3 };
      },
    });
    const lookupOrder = {
      name: 'lookup_order',
      description: 'Finds an order',
      inputSchema: { type: 'object', properties: { id: { type: 'string' } } },
    };
    const { outcome, chunks } = await runTurn(
      seeded,
      streamId,
      { toolConfig: { tools: [lookupOrder] } },
      { tools: [weather] },
    );
    expect(outcome).toBe('completed');
    expect(eventsOf(chunks).at(-1)).toMatchObject({ type: 'end', stopReason: 'tool_use' });
    const message = await messageAt(seeded.conversationId, 1);
    expect(message.status).toBe('AWAITING_TOOL_RESULT');
    expect(message.stopReason).toBe('tool_use');
    const calls = partsOf(message).filter((p) => p.type === 'tool-call');
    expect(calls.find((c) => c.toolName === 'lookup_order')).toMatchObject({
      state: 'input-available',
      input: { id: 'A-1' },
    });
    expect(runs).toEqual(['Oslo']);
    expect(calls.find((c) => c.toolName === 'get_weather')).toMatchObject({
      state: 'output-available',
    });
  });

  it('a continuation after tool results appends its parts and sums the usage', async () => {
    const first = randomUUID();
    const streamId = randomUUID();
    const earlier: MessagePart[] = [
      { type: 'step-start', step: 1, stopReason: 'tool_use' },
      {
        type: 'tool-call',
        toolCallId: 'tooluse_a1',
        toolName: 'lookup_order',
        state: 'output-available',
        inputText: '{"id":"A-1"}',
        input: { id: 'A-1' },
        output: { status: 'shipped' },
      },
    ];
    const seeded = await seedConversation({
      streamId,
      messages: [{ role: 'USER', parts: [text('please lookup_order id="A-1"')] }],
      answerParts: earlier,
      answerStreamIds: [first, streamId],
      answerUsage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 },
    });
    const lookupOrder = {
      name: 'lookup_order',
      description: 'Finds an order',
      inputSchema: { type: 'object', properties: { id: { type: 'string' } } },
    };
    const { outcome, chunks, record } = await runTurn(seeded, streamId, {
      toolConfig: { tools: [lookupOrder] },
    });
    expect(outcome).toBe('completed');
    // The model got its call and the app's result back: it answers from the result.
    expect(textOf(chunks)).toContain('lookup_order returned {"status":"shipped"}');
    const message = await messageAt(seeded.conversationId, 1);
    expect(message.messageId).toBe(first);
    expect(message.status).toBe('COMPLETE');
    expect(partsOf(message)).toEqual([...earlier, ...foldedParts(chunks)]);
    const usage = record.usage as { inputTokens: number; outputTokens: number };
    expect(message.usage).toMatchObject({
      inputTokens: 10 + usage.inputTokens,
      outputTokens: 5 + usage.outputTokens,
    });
  });

  it('an answer replaced meanwhile (regenerate) is not overwritten, nor the new lock cleared', async () => {
    const streamId = randomUUID();
    const regenerated = randomUUID();
    const seeded = await seedConversation({
      streamId,
      messages: [{ role: 'USER', parts: [text('Hello there')] }],
    });
    const pk = conversationPartitionKey(seeded.conversationId);
    let replaced = false;
    const { outcome, record } = await runTurn(
      seeded,
      streamId,
      {},
      {
        onChunk: async () => {
          if (replaced) return;
          replaced = true;
          // As regenerateMessage writes it: a new answer at the same index, the lock moved.
          await put({
            pk,
            sk: messageSortKey(1),
            conversationId: seeded.conversationId,
            messageId: regenerated,
            index: 1,
            role: 'ASSISTANT',
            parts: '[]',
            status: 'STREAMING',
            streamId: regenerated,
            streamIds: [regenerated],
            createdAt: new Date().toISOString(),
            updatedAt: new Date().toISOString(),
          });
          await harness.dynamo.send(
            new UpdateItemCommand({
              TableName: TABLE_NAME,
              Key: marshall({ pk, sk: 'META' }),
              UpdateExpression: 'SET activeStreamId = :id',
              ExpressionAttributeValues: marshall({ ':id': regenerated }),
            }),
          );
        },
      },
    );
    expect(outcome).toBe('completed');
    expect(record.status).toBe('COMPLETED');
    const message = await messageAt(seeded.conversationId, 1);
    expect(message).toMatchObject({ streamId: regenerated, status: 'STREAMING', parts: '[]' });
    expect((await metaOf(seeded.conversationId)).activeStreamId).toBe(regenerated);
  });

  it('a new attempt after a failed run writes the message once, with the final attempt parts', async () => {
    harness.bedrock.resetPromptFaultCounters();
    const streamId = randomUUID();
    const seeded = await seedConversation({
      streamId,
      messages: [
        { role: 'USER', parts: [text('Say something [[fault:mid-stream-error:after=3:times=1]]')] },
      ],
    });
    let firstText = '';
    await expect(
      runTurn(seeded, streamId, {}, { onChunk: (c) => void (firstText += textOf([c])) }),
    ).rejects.toThrow(/ModelStreamError|modelStreamError/i);
    expect(firstText).not.toBe('');
    expect((await messageAt(seeded.conversationId, 1)).status).toBe('STREAMING');
    const retry = await harness.run({ modelId: HAIKU }, { streamId });
    expect(retry.outcome).toBe('completed');
    expect(retry.record.attempt).toBe(2);
    const message = await messageAt(seeded.conversationId, 1);
    expect(message.status).toBe('COMPLETE');
    expect(partsOf(message)).toEqual(foldedParts(retry.chunks));
    expect(partsOf(message)).toEqual([{ type: 'text', text: textOf(retry.chunks) }]);
  });

  it('an abandoned stream (on-failure queue) stores what its attempt streamed, FAILED', async () => {
    const streamId = randomUUID();
    const seeded = await seedConversation({
      streamId,
      messages: [{ role: 'USER', parts: [text('Hi')] }],
    });
    // A run that streamed a little and died: its record RUNNING, its chunk stored.
    const events: ChunkEvent[] = [
      { type: 'start', modelId: HAIKU, attempt: 1, startedAt: new Date().toISOString() },
      { type: 'text', text: 'Partial ans' },
    ];
    await put({
      pk: streamPartitionKey(streamId),
      sk: 'META',
      streamId,
      owner: 'apikey',
      status: 'RUNNING',
      input: { modelId: HAIKU },
      modelId: HAIKU,
      attempt: 1,
      lastSeq: 0,
      leaseExpiresAt: 0,
      cancelRequested: false,
      conversation: seeded,
    });
    await put({
      pk: streamPartitionKey(streamId),
      sk: chunkSortKey(1, 0),
      streamId,
      attempt: 1,
      seq: 0,
      payload: encodeChunkPayload({ v: 1, events } as never),
    });
    const deps = harness.deps();
    expect(await endAbandonedStream(deps, streamId, 'retries exhausted')).toBe('failed');
    const message = await messageAt(seeded.conversationId, 1);
    expect(message.status).toBe('FAILED');
    expect(message.error).toMatchObject({ code: 'WorkerFailed' });
    expect(partsOf(message)).toEqual([{ type: 'text', text: 'Partial ans' }]);
    expect((await metaOf(seeded.conversationId)).activeStreamId).toBeUndefined();
  });

  it('an outcome settled from a stored terminal chunk stores that attempt answer', async () => {
    const streamId = randomUUID();
    const seeded = await seedConversation({
      streamId,
      messages: [{ role: 'USER', parts: [text('Hi')] }],
    });
    // The run published its end and died before recording it.
    const events: ChunkEvent[] = [
      { type: 'start', modelId: HAIKU, attempt: 1, startedAt: new Date().toISOString() },
      { type: 'text', text: 'Hello, ' },
      { type: 'text', text: 'Ada.' },
      {
        type: 'end',
        stopReason: 'end_turn',
        usage: { inputTokens: 3, outputTokens: 2, totalTokens: 5 },
        timings: { timeToFirstTokenMs: 1, totalMs: 2, modelLatencyMs: null },
      },
    ];
    await put({
      pk: streamPartitionKey(streamId),
      sk: 'META',
      streamId,
      owner: 'apikey',
      status: 'RUNNING',
      input: { modelId: HAIKU },
      modelId: HAIKU,
      attempt: 1,
      lastSeq: 0,
      terminalSeq: 0,
      leaseExpiresAt: 0,
      cancelRequested: false,
      conversation: seeded,
    });
    await put({
      pk: streamPartitionKey(streamId),
      sk: chunkSortKey(1, 0),
      streamId,
      attempt: 1,
      seq: 0,
      payload: encodeChunkPayload({ v: 1, events } as never),
    });
    const retry = await harness.run({ modelId: HAIKU }, { streamId });
    expect(retry.outcome).toBe('duplicate');
    expect(retry.chunks).toEqual([]);
    const message = await messageAt(seeded.conversationId, 1);
    expect(message.status).toBe('COMPLETE');
    expect(message.usage).toMatchObject({ inputTokens: 3, outputTokens: 2 });
    expect(partsOf(message)).toEqual([{ type: 'text', text: 'Hello, Ada.' }]);
    expect((await metaOf(seeded.conversationId)).activeStreamId).toBeUndefined();
  });

  it('an answer cancelled before it began is STOPPED, its earlier parts kept', async () => {
    const streamId = randomUUID();
    const earlier: MessagePart[] = [{ type: 'step-start', step: 1 }, text('Before the tool.')];
    const seeded = await seedConversation({
      streamId,
      messages: [{ role: 'USER', parts: [text('Hi')] }],
      answerParts: earlier,
    });
    const { outcome } = await runTurn(seeded, streamId, {}, { record: { cancelRequested: true } });
    expect(outcome).toBe('cancelled');
    const message = await messageAt(seeded.conversationId, 1);
    expect(message.status).toBe('STOPPED');
    expect(partsOf(message)).toEqual(earlier);
  });
});

describe('conversation purge', () => {
  const itemsOf = async (pk: string) =>
    (
      await harness.dynamo.send(
        new QueryCommand({
          TableName: TABLE_NAME,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: marshall({ ':pk': pk }),
        }),
      )
    ).Items ?? [];

  it('cancels the answering stream, then deletes the conversation and every stream of it', async () => {
    harness.bedrock.setTiming({ tokensPerSecond: 400 });
    try {
      const done = randomUUID();
      const streamId = randomUUID();
      const seeded = await seedConversation({
        streamId,
        messages: [
          { role: 'USER', parts: [text('Hi')] },
          { role: 'ASSISTANT', parts: [text('Hello')], streamId: done },
          { role: 'USER', parts: [text('A long story please [[tokens:2000]]')] },
        ],
      });
      await put({ pk: streamPartitionKey(done), sk: 'META', streamId: done, status: 'COMPLETED' });
      await put({ pk: streamPartitionKey(done), sk: chunkSortKey(1, 0), streamId: done });
      let purging: ReturnType<typeof purgeConversation> | undefined;
      const run = await runTurn(
        seeded,
        streamId,
        {},
        {
          onChunk: () => {
            // deleteConversation's invoke, while the answer streams.
            purging ??= purgeConversation(harness.deps(), seeded.conversationId, { pollMs: 20 });
          },
        },
      );
      expect(run.outcome).toBe('cancelled');
      const result = await purging!;
      expect(result.leftRunning).toEqual([]);
      expect(result.streams).toBe(2);
      expect(await itemsOf(conversationPartitionKey(seeded.conversationId))).toEqual([]);
      expect(await itemsOf(streamPartitionKey(done))).toEqual([]);
      expect(await itemsOf(streamPartitionKey(streamId))).toEqual([]);
      // Idempotent, and a conversation already gone is no error.
      expect(await purgeConversation(harness.deps(), seeded.conversationId)).toEqual({
        deletedItems: 0,
        streams: 0,
        leftRunning: [],
      });
      await expect(purgeConversation(harness.deps(), randomUUID())).resolves.toBeTruthy();
    } finally {
      harness.bedrock.setTiming({});
    }
  });

  it('the worker event is a stream to run or a conversation to purge', () => {
    const id = randomUUID();
    expect(WorkerEventSchema.safeParse({ streamId: id }).success).toBe(true);
    expect(WorkerEventSchema.safeParse({ purgeConversationId: id }).success).toBe(true);
    expect(WorkerEventSchema.safeParse({ purgeConversationId: 'a b' }).success).toBe(false);
    expect(WorkerEventSchema.safeParse({ streamId: id, purgeConversationId: id }).success).toBe(
      false,
    );
  });
});

describe('answer storage rules', () => {
  const call = (state: 'input-available' | 'output-available'): StreamPart => ({
    type: 'tool-call',
    toolCallId: 't1',
    toolName: 'lookup_order',
    state,
    inputText: '{}',
    input: {},
  });

  it('status: awaiting only when it stopped on tool_use with a call left to run', () => {
    const parts = [call('input-available')];
    expect(answerStatus({ status: 'COMPLETED', stopReason: 'tool_use', parts })).toBe(
      'AWAITING_TOOL_RESULT',
    );
    expect(
      answerStatus({
        status: 'COMPLETED',
        stopReason: 'tool_use',
        parts: [call('output-available')],
      }),
    ).toBe('COMPLETE');
    expect(answerStatus({ status: 'COMPLETED', stopReason: 'max_tokens', parts })).toBe('COMPLETE');
    expect(answerStatus({ status: 'CANCELLED', stopReason: 'cancelled', parts })).toBe('STOPPED');
    expect(answerStatus({ status: 'FAILED', parts })).toBe('FAILED');
  });

  it('parts beyond the item bound are cut whole, with a note', () => {
    const big = 'x'.repeat(100_000);
    const parts: MessagePart[] = [text(big), text(big), text(big), text(big)];
    const kept = fitParts(parts);
    expect(kept).toEqual([text(big), text(big), text(big), text(PARTS_CUT_TEXT)]);
    expect(JSON.stringify(kept).length).toBeLessThanOrEqual(MESSAGE_PARTS_MAX_BYTES);
    expect(fitParts(parts.slice(0, 2))).toEqual(parts.slice(0, 2));
  });
});
