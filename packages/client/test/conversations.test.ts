/**
 * `client.conversations`: inputs checked before anything is sent, every answer checked with
 * zod, retries on its budget; over MemoryConversations (a boundary stub of the conversation
 * resolvers; see memory-conversations.ts). The real resolvers: conversation-e2e.test.ts.
 */
import { LIMITS } from '@org/bedrock-stream-contracts';
import { describe, expect, it } from 'vitest';
import { createStreamClient } from '../src/client.js';
import { MemoryConversations } from './memory-conversations.js';

const modelId = 'anthropic.claude-3-haiku-20240307-v1:0';

function setup() {
  const transport = new MemoryConversations();
  const client = createStreamClient(
    {
      url: 'http://127.0.0.1:1/graphql',
      region: 'us-east-1',
      auth: { type: 'API_KEY', apiKey: 'k' },
      retry: { conversations: { maxTries: 3, initialDelayMs: 1, maxDelayMs: 2 } },
    },
    { transport },
  );
  return { client, transport };
}

describe('client.conversations', () => {
  it('refuses bad arguments before sending, naming the argument', async () => {
    const { client, transport } = setup();
    const api = client.conversations;
    await expect(api.create({ modelId: 'bad model!' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/^modelId: /),
    });
    await expect(
      api.create({ modelId, title: 'x'.repeat(LIMITS.conversationTitleChars + 1) }),
    ).rejects.toMatchObject({
      message: `title exceeds ${LIMITS.conversationTitleChars} characters`,
    });
    await expect(api.rename('c1', '  ')).rejects.toMatchObject({ message: 'title is empty' });
    await expect(api.list({ limit: 0 })).rejects.toMatchObject({
      message: `limit must be a whole number from 1 to ${LIMITS.conversationPageMax}`,
    });
    await expect(api.get('has space')).rejects.toMatchObject({
      message: expect.stringMatching(/^conversationId must be an id/),
    });
    expect(() => api.sendMessage({ conversationId: 'c1', content: '' })).toThrow(
      /the message is empty/,
    );
    expect(() =>
      api.sendMessage({
        conversationId: 'c1',
        content: 'hi',
        options: { maxSteps: 0, thinking: { budgetTokens: 10 } },
      }),
    ).toThrow(/options\.thinking\.budgetTokens: .*; options\.maxSteps: /);
    expect(() =>
      api.submitToolResults({ conversationId: 'c1', messageId: 'm1', results: [] }),
    ).toThrow(/results is empty/);
    expect(transport.log).toEqual([]);
  });

  it('checks every answer: one the contract does not allow is INVALID_PAYLOAD', async () => {
    const { client, transport } = setup();
    const { conversationId } = await client.conversations.create({ modelId });
    transport.getConversation = async () =>
      ({ conversationId, title: 7 }) as unknown as Awaited<
        ReturnType<typeof transport.getConversation>
      >;
    await expect(client.conversations.get(conversationId)).rejects.toMatchObject({
      code: 'INVALID_PAYLOAD',
      message: expect.stringMatching(
        /^getConversation answered what the contract does not allow: title: /,
      ),
    });
    transport.store.get(conversationId)!.messages.push({
      conversationId,
      messageId: 'm1',
      index: 0,
      role: 'USER',
      parts: JSON.stringify([{ type: 'text', text: 1 }]),
      status: 'COMPLETE',
      streamId: null,
      stopReason: null,
      usage: null,
      error: null,
      createdAt: 'now',
      updatedAt: 'now',
    });
    transport.store.get(conversationId)!.record.messageCount = 1;
    await expect(client.conversations.allMessages(conversationId)).rejects.toMatchObject({
      code: 'INVALID_PAYLOAD',
      message: expect.stringMatching(/message m1: parts\[0\] \(text\)/),
    });
  });

  it('reads stored parts tolerantly: unknown part types are skipped, usage and error parsed', async () => {
    const { client, transport } = setup();
    const { conversationId } = await client.conversations.create({ modelId });
    const stored = transport.store.get(conversationId)!;
    stored.messages.push({
      conversationId,
      messageId: 'a1',
      index: 0,
      role: 'ASSISTANT',
      parts: JSON.stringify([
        { type: 'citation', source: 'x' },
        { type: 'text', text: 'Hi' },
      ]),
      status: 'FAILED',
      streamId: 's1',
      stopReason: 'end_turn',
      usage: JSON.stringify({ inputTokens: 1, outputTokens: 2, totalTokens: 3 }),
      error: JSON.stringify({ code: 'WorkerFailed', message: 'boom', retryable: true }),
      createdAt: 'now',
      updatedAt: 'now',
    });
    stored.record.messageCount = 1;
    const [message] = await client.conversations.allMessages(conversationId);
    expect(message).toMatchObject({
      id: 'a1',
      role: 'assistant',
      parts: [{ type: 'text', text: 'Hi' }],
      status: 'FAILED',
      streamId: 's1',
      usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 },
      error: { code: 'WorkerFailed', message: 'boom', retryable: true },
    });
  });

  it('retries reads on the network, pages through every message', async () => {
    const { client, transport } = setup();
    const { conversationId } = await client.conversations.create({ modelId, title: 'T' });
    transport.convFaults.listConversations = ['request', 'request'];
    expect((await client.conversations.list()).items.map((c) => c.title)).toEqual(['T']);
    const stored = transport.store.get(conversationId)!;
    for (let i = 0; i < 130; i++) {
      stored.messages.push({
        conversationId,
        messageId: `m${i}`,
        index: i,
        role: i % 2 ? 'ASSISTANT' : 'USER',
        parts: JSON.stringify([{ type: 'text', text: `#${i}` }]),
        status: 'COMPLETE',
        streamId: null,
        stopReason: null,
        usage: null,
        error: null,
        createdAt: 'now',
        updatedAt: 'now',
      });
    }
    stored.record.messageCount = 130;
    const all = await client.conversations.allMessages(conversationId);
    expect(all.map((m) => m.id)).toEqual(stored.messages.map((m) => m.messageId));
    expect(transport.log.filter((l) => l === 'conversationMessages')).toHaveLength(2);
  });
});
