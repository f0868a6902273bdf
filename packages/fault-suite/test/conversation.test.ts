/**
 * A conversation under failure: the worker is killed mid-answer (Lambda retries it as
 * attempt 2) while the client's WebSocket is closed (it reconnects and catches up). The
 * stored history must be exactly what the user saw: every message, and the answer's text
 * equal to the client's and to the stream's stored chunks, once.
 */
import { randomUUID } from 'node:crypto';
import type { StreamClient } from '@org/bedrock-stream-client';
import { parseMessageParts } from '@org/bedrock-stream-contracts';
import type { LocalStack } from '@org/bedrock-stream-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  gql,
  readRecord,
  readStored,
  reportCase,
  startSuiteStack,
  suiteClient,
  totalDiff,
} from '../src/index.js';

let stack: LocalStack;
let client: StreamClient;
beforeAll(async () => {
  // 100 tokens/s: a 200-token answer takes 2 s, room to kill it mid-answer.
  stack = await startSuiteStack({
    model: { timeToFirstTokenMs: 5, tokensPerSecond: 100, outputTokens: 40 },
  });
  client = suiteClient(stack);
});
afterAll(async () => {
  client?.close();
  await stack?.stop();
});

type Data = Record<string, unknown>;
async function call(query: string, variables: Data): Promise<Data> {
  const res = await gql(
    stack.config.graphqlUrl,
    { 'x-api-key': stack.config.apiKey },
    query,
    variables,
  );
  if (res.errors?.length) throw new Error(res.errors.map((e) => e.message).join('; '));
  return res.data!;
}

const CREATE = `mutation($input: CreateConversationInput!) {
  createConversation(input: $input) { conversationId } }`;
const SEND = `mutation($input: SendMessageInput!) {
  sendMessage(input: $input) { stream { streamId } } }`;
const CONVERSATION = `query($id: ID!) {
  getConversation(conversationId: $id) { activeStreamId messageCount } }`;
const MESSAGES = `query($id: ID!) {
  conversationMessages(conversationId: $id, limit: 100) {
    items { index role parts status streamId } } }`;

interface StoredMessage {
  index: number;
  role: 'USER' | 'ASSISTANT';
  parts: string;
  status: string;
  streamId: string | null;
}

const textOf = (parts: string): string => {
  const parsed = parseMessageParts(parts);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.parts.map((p) => (p.type === 'text' ? p.text : '')).join('');
};

const isStream = (streamId: string) => (payload: unknown) =>
  (payload as { streamId?: string } | null)?.streamId === streamId;

async function turnEnded(conversationId: string): Promise<void> {
  await eventually(
    async () =>
      !((await call(CONVERSATION, { id: conversationId }))['getConversation'] as Data)[
        'activeStreamId'
      ],
    20_000,
    'the turn to end',
  );
}

describe('conversations under failure', () => {
  it('a worker killed mid-answer and a client reconnect leave the history exactly as the user saw it', async () => {
    const TRIALS = 6;
    const rows: Array<{ expected: string; actual: string }> = [];
    let midAnswer = 0;
    for (let trial = 0; trial < TRIALS; trial += 1) {
      const created = await call(CREATE, {
        input: { modelId: stack.config.defaultModelId, title: `fault ${trial}` },
      });
      const conversationId = (created['createConversation'] as { conversationId: string })
        .conversationId;
      // Turn 1 runs undisturbed: the history the faulty turn builds on.
      await call(SEND, {
        input: { conversationId, streamId: randomUUID(), content: [{ text: `hello ${trial}` }] },
      });
      await turnEnded(conversationId);

      // Turn 2: followed by the client, killed and cut mid-answer.
      const streamId = randomUUID();
      const question = `tell me more ${trial} [[tokens:200]]`;
      await call(SEND, { input: { conversationId, streamId, content: [{ text: question }] } });
      const handle = client.resume(streamId);
      // Mid-answer by the store's account (a loaded machine may show the client's text late):
      // attempt 1 has stored its first chunks.
      await eventually(
        async () => {
          const record = await readRecord(stack, streamId);
          return record && record.attempt === 1 && record.lastSeq >= 1;
        },
        15_000,
        'attempt 1 to store its first chunks',
      );
      const killed = stack.invoker.killRunning(isStream(streamId));
      stack.emulator.closeAllConnections();
      const result = await handle.done;
      await turnEnded(conversationId);

      const page = (await call(MESSAGES, { id: conversationId }))['conversationMessages'] as {
        items: StoredMessage[];
      };
      const messages = page.items;
      const stored = await readStored(stack, streamId);
      if (killed && stored.attempt === 2) midAnswer += 1;
      expect(result.status).toBe('done');
      expect(messages.map((m) => [m.index, m.role, m.status])).toEqual([
        [0, 'USER', 'COMPLETE'],
        [1, 'ASSISTANT', 'COMPLETE'],
        [2, 'USER', 'COMPLETE'],
        [3, 'ASSISTANT', 'COMPLETE'],
      ]);
      expect(textOf(messages[0]!.parts)).toBe(`hello ${trial}`);
      expect(textOf(messages[2]!.parts)).toBe(question);
      expect(messages[3]!.streamId).toBe(streamId);
      // What the user saw is what is stored, in the history and in the stream's chunks.
      expect(textOf(messages[3]!.parts)).toBe(result.text);
      expect(stored.text).toBe(result.text);
      expect(result.text.length).toBeGreaterThan(0);
      rows.push({ expected: stored.text, actual: textOf(messages[3]!.parts) });
    }
    const figures = totalDiff(rows);
    reportCase({
      name: 'conversation: worker killed + WS closed mid-answer',
      trials: TRIALS,
      faults: midAnswer * 2,
      ...figures,
      notes: `${midAnswer} answers finished by attempt 2 after a reconnect; history = what the client showed`,
    });
    expect(midAnswer).toBeGreaterThanOrEqual(TRIALS / 2);
    expect(figures).toEqual({ lost: 0, duplicated: 0 });
  }, 180_000);
});
