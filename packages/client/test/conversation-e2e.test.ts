/**
 * End-to-end: conversations through the real client (Apollo + the AppSync links) against
 * the real local stack (the emulator running the conversation resolvers, the worker that
 * reads the history and stores each answer, the deterministic Bedrock endpoint, dynalite).
 * Every test ends by comparing what the Chat shows with what the server stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Chat,
  createStreamClient,
  type ChatMessage,
  type ChatStatus,
  type StreamClient,
} from '../src/index.js';
import { skipReason, stackModule, type LocalStack } from './stack-loader.js';

/** The stack also signs JWTs for its local OIDC issuer (owner = `sub`). */
type StackWithOidc = LocalStack & { issueJwt(sub: string): Promise<string> };

const LONG = 'Tell me a long story about a river. [[tokens:400]]';

function until(chat: Chat, status: ChatStatus): Promise<void> {
  return new Promise((resolve) => {
    if (chat.status === status) return resolve();
    const off = chat.subscribe(() => {
      if (chat.status === status) {
        off();
        resolve();
      }
    });
  });
}

function firstText(chat: Chat): Promise<void> {
  return new Promise((resolve) => {
    const off = chat.subscribe(() => {
      const last = chat.messages.at(-1);
      if (last?.role === 'assistant' && last.parts.some((p) => p.type === 'text')) {
        off();
        resolve();
      }
    });
  });
}

const textOf = (m: ChatMessage | undefined) =>
  (m?.parts ?? []).map((p) => (p.type === 'text' ? p.text : '')).join('');

/** What the chat shows, as it must equal the store. */
const view = (messages: readonly ChatMessage[]) =>
  messages.map((m) => ({ id: m.id, role: m.role, status: m.status, parts: m.parts }));

describe.skipIf(skipReason !== null)(
  `conversations e2e against the local stack${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let stack: StackWithOidc;
    let modelId: string;
    const clients: StreamClient[] = [];

    function clientAs(owner?: string): StreamClient {
      const client = createStreamClient({
        url: stack.config.graphqlUrl,
        region: stack.config.region,
        auth: owner
          ? { type: 'OPENID_CONNECT', jwtToken: () => stack.issueJwt(owner) }
          : { type: 'API_KEY', apiKey: stack.config.apiKey },
        gapFillDelayMs: 50,
        stallTimeoutMs: 2_000,
        cancelGraceMs: 300,
      });
      clients.push(client);
      return client;
    }

    /** The stored history once the worker wrote the last answer (its status final). */
    async function storedWhenSettled(client: StreamClient, conversationId: string) {
      for (let i = 0; ; i++) {
        const stored = await client.conversations.allMessages(conversationId);
        if (stored.at(-1)?.status !== 'STREAMING' || i > 100) return stored;
        await new Promise((r) => setTimeout(r, 50));
      }
    }

    beforeAll(async () => {
      stack = (await stackModule!.startLocalStack({
        stateFile: false,
        model: { timeToFirstTokenMs: 10, tokensPerSecond: 300, outputTokens: 30 },
      })) as StackWithOidc;
      modelId = stack.config.modelId ?? stack.config.allowedModelIds?.[0] ?? '';
    });
    afterAll(async () => {
      for (const c of clients) c.close();
      await stack?.stop();
    });

    it('creates, lists, renames and deletes conversations', async () => {
      const client = clientAs('lister');
      const a = await client.conversations.create({ modelId, title: 'First' });
      const b = await client.conversations.create({
        modelId,
        title: 'Second',
        system: 'Be brief.',
      });
      expect(b).toMatchObject({ title: 'Second', system: 'Be brief.', messageCount: 0, modelId });
      const again = await client.conversations.create({
        modelId,
        conversationId: a.conversationId,
      });
      expect(again.conversationId).toBe(a.conversationId);
      const listed = await client.conversations.list();
      expect(listed.items.map((c) => c.title)).toEqual(['Second', 'First']);
      const renamed = await client.conversations.rename(a.conversationId, 'Renamed');
      expect(renamed.title).toBe('Renamed');
      expect((await client.conversations.list()).items[0]!.conversationId).toBe(a.conversationId);
      await client.conversations.delete(b.conversationId);
      expect(await client.conversations.get(b.conversationId)).toBeNull();
      expect((await client.conversations.list({ limit: 1 })).items).toHaveLength(1);
    });

    it('sends two turns: streams each answer, the store holds exactly what the chat shows', async () => {
      const client = clientAs('alice');
      const { conversationId } = await client.conversations.create({ modelId });
      const chat = new Chat({ client, conversationId });
      await chat.load();
      await chat.sendMessage('Why is the sky blue?');
      expect(chat.status).toBe('ready');
      await chat.sendMessage('And at sunset?');
      expect(chat.status).toBe('ready');
      expect(chat.messages.map((m) => [m.role, m.status])).toEqual([
        ['user', 'COMPLETE'],
        ['assistant', 'COMPLETE'],
        ['user', 'COMPLETE'],
        ['assistant', 'COMPLETE'],
      ]);
      expect(textOf(chat.messages[3]).length).toBeGreaterThan(0);
      expect(chat.messages[3]!.usage?.outputTokens).toBeGreaterThan(0);
      const stored = await storedWhenSettled(client, conversationId);
      expect(view(stored)).toEqual(view(chat.messages));
      chat.dispose();
    });

    it('reopening (another tab) joins an answer still streaming: catch-up, then live', async () => {
      const client = clientAs('alice');
      const { conversationId } = await client.conversations.create({ modelId });
      const first = new Chat({ client, conversationId });
      await first.load();
      void first.sendMessage(LONG);
      await firstText(first);
      first.dispose();

      const other = clientAs('alice');
      const second = new Chat({ client: other, conversationId });
      await second.load();
      expect(['submitted', 'streaming']).toContain(second.status);
      expect(second.messages).toHaveLength(2);
      await until(second, 'ready');
      expect(second.messages[1]!.status).toBe('COMPLETE');
      const stored = await storedWhenSettled(other, conversationId);
      expect(view(stored)).toEqual(view(second.messages));
      expect(textOf(second.messages[1]).length).toBeGreaterThan(100);
      second.dispose();
    });

    it('stop() keeps the partial text; the stored answer is STOPPED with the same parts', async () => {
      const client = clientAs('alice');
      const { conversationId } = await client.conversations.create({ modelId });
      const chat = new Chat({ client, conversationId });
      await chat.load();
      const sent = chat.sendMessage(LONG);
      await firstText(chat);
      await chat.stop();
      await sent;
      expect(chat.status).toBe('ready');
      const answer = chat.messages[1]!;
      expect(answer.status).toBe('STOPPED');
      expect(textOf(answer).length).toBeGreaterThan(0);
      const stored = await storedWhenSettled(client, conversationId);
      expect(view(stored)).toEqual(view(chat.messages));
      // The conversation goes on after a stop.
      await chat.sendMessage('Shorter, please.');
      expect(chat.messages.at(-1)!.status).toBe('COMPLETE');
      chat.dispose();
    });

    it('regenerate() and editMessage() replace answers on the server too', async () => {
      const client = clientAs('alice');
      const { conversationId } = await client.conversations.create({ modelId });
      const chat = new Chat({ client, conversationId });
      await chat.load();
      await chat.sendMessage('one');
      await chat.sendMessage('two');
      const before = chat.messages[3]!.id;
      await chat.regenerate();
      expect(chat.messages).toHaveLength(4);
      expect(chat.messages[3]!.id).not.toBe(before);
      await chat.editMessage(chat.messages[0]!.id, 'one, edited');
      expect(chat.status).toBe('ready');
      expect(chat.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
      expect(chat.messages[0]!.parts).toEqual([{ type: 'text', text: 'one, edited' }]);
      const stored = await storedWhenSettled(client, conversationId);
      expect(view(stored)).toEqual(view(chat.messages));
      expect((await client.conversations.get(conversationId))!.messageCount).toBe(2);
      chat.dispose();
    });

    it('a client tool round trip: the answer pauses, onToolCall runs, the same answer continues', async () => {
      const client = clientAs('alice');
      const { conversationId } = await client.conversations.create({ modelId });
      const calls: unknown[] = [];
      const chat = new Chat({
        client,
        conversationId,
        options: {
          toolConfig: {
            tools: [
              {
                name: 'get_local_time',
                description: 'The local time of the user',
                inputSchema: { type: 'object', properties: {} },
              },
            ],
          },
        },
        onToolCall: ({ toolCall }) => {
          calls.push(toolCall.input);
          return { time: '12:00' };
        },
      });
      await chat.load();
      await chat.sendMessage('What does get_local_time say?');
      await until(chat, 'ready');
      expect(calls).toHaveLength(1);
      const answer = chat.messages[1]!;
      expect(answer.status).toBe('COMPLETE');
      const call = answer.parts.find((p) => p.type === 'tool-call');
      expect(call).toMatchObject({
        toolName: 'get_local_time',
        state: 'output-available',
        output: { time: '12:00' },
      });
      expect(textOf(answer)).toContain('get_local_time returned');
      const stored = await storedWhenSettled(client, conversationId);
      expect(view(stored)).toEqual(view(chat.messages));
      chat.dispose();
    });

    it("keeps one owner out of another's conversation", async () => {
      const alice = clientAs('alice');
      const mallory = clientAs('mallory');
      const { conversationId } = await alice.conversations.create({ modelId, title: 'private' });
      expect(await mallory.conversations.get(conversationId)).toBeNull();
      expect((await mallory.conversations.list()).items.map((c) => c.conversationId)).not.toContain(
        conversationId,
      );
      await expect(mallory.conversations.messages(conversationId)).rejects.toMatchObject({
        code: 'QUERY_FAILED',
      });
      await expect(mallory.conversations.rename(conversationId, 'mine')).rejects.toMatchObject({
        code: 'MUTATION_FAILED',
      });
      await expect(mallory.conversations.delete(conversationId)).rejects.toMatchObject({
        code: 'MUTATION_FAILED',
      });
      const intruder = new Chat({ client: mallory, conversationId });
      await intruder.load();
      expect(intruder.error?.code).toBe('CONVERSATION_NOT_FOUND');
      const turn = mallory.conversations.sendMessage({ conversationId, content: 'hi' });
      const result = await turn.handle.done;
      expect(result.status).toBe('error');
      expect(await turn.turn).toBeNull();
      expect((await alice.conversations.get(conversationId))!).toMatchObject({
        title: 'private',
        messageCount: 0,
      });
    });
  },
);
