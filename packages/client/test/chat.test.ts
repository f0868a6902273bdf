/**
 * Chat state transitions over the real client core (sessions, catch-up, retries) and
 * MemoryConversations — a boundary stub of the conversation resolvers, the worker's
 * message writes and AppSync (see memory-conversations.ts). No timing is asserted: tests
 * wait for actions to resolve and check statuses, messages and the order of operations.
 */
import { LIMITS, type ChunkEvent } from '@org/bedrock-stream-contracts';
import { describe, expect, it } from 'vitest';
import { Chat, type ChatInit, type ChatStatus } from '../src/chat.js';
import { createStreamClient } from '../src/client.js';
import type { StreamClientError } from '../src/errors.js';
import { MemoryConversations, appSyncError } from './memory-conversations.js';

const modelId = 'anthropic.claude-3-haiku-20240307-v1:0';
const hello: ChunkEvent[] = [
  { type: 'text', text: 'Hello' },
  { type: 'text', text: ' there' },
];
const weatherCall: ChunkEvent[] = [
  { type: 'step-start', step: 1 },
  { type: 'text', text: 'Let me check.' },
  { type: 'tool-call-start', toolCallId: 'call-1', toolName: 'get_weather' },
  { type: 'tool-call', toolCallId: 'call-1', toolName: 'get_weather', input: { city: 'Paris' } },
];

function setup() {
  const transport = new MemoryConversations();
  const client = createStreamClient(
    {
      url: 'http://127.0.0.1:1/graphql',
      region: 'us-east-1',
      auth: { type: 'API_KEY', apiKey: 'k' },
      gapFillDelayMs: 5,
      stallTimeoutMs: 40,
      cancelGraceMs: 20,
      retry: { sendMessage: { maxTries: 3, initialDelayMs: 1, maxDelayMs: 2 } },
    },
    { transport },
  );
  return { client, transport };
}

async function openChat(
  env: ReturnType<typeof setup>,
  init: Partial<ChatInit> = {},
  conversationId?: string,
) {
  const id =
    conversationId ??
    (await env.client.conversations.create({ modelId, title: 'Test' })).conversationId;
  const chat = new Chat({ client: env.client, conversationId: id, ...init });
  const statuses: ChatStatus[] = [chat.status];
  chat.subscribe(() => {
    if (statuses.at(-1) !== chat.status) statuses.push(chat.status);
  });
  await chat.load();
  return { chat, statuses, conversationId: id };
}

/** Resolves when the chat's status is `status`. */
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

const textOf = (chat: Chat, i: number) =>
  chat.messages[i]!.parts.map((p) => (p.type === 'text' ? p.text : '')).join('');

describe('Chat', () => {
  it('sends: subscribes first, shows optimistic messages, streams, ends ready with stored ids', async () => {
    const env = setup();
    env.transport.onStart = ({ streamId }) => env.transport.answer(streamId, hello);
    const { chat, statuses, conversationId } = await openChat(env);
    expect(chat.messages).toEqual([]);
    const sent = chat.sendMessage('Hi!');
    expect(chat.status).toBe('submitted');
    expect(chat.messages.map((m) => [m.role, m.status])).toEqual([
      ['user', 'COMPLETE'],
      ['assistant', 'STREAMING'],
    ]);
    await sent;
    expect(statuses).toEqual(['loading', 'ready', 'submitted', 'streaming', 'ready']);
    const log = env.transport.log;
    expect(log.indexOf('ack')).toBeLessThan(log.indexOf('sendMessage'));
    expect(textOf(chat, 1)).toBe('Hello there');
    const [user, assistant] = chat.messages;
    expect(user).toMatchObject({ id: 'u-1', parts: [{ type: 'text', text: 'Hi!' }] });
    expect(assistant).toMatchObject({ status: 'COMPLETE', stopReason: 'end_turn' });
    expect(assistant!.id).toBe(assistant!.streamId);
    expect(assistant!.usage?.outputTokens).toBe(2);
    // What the chat shows is what the server stored.
    const stored = await env.client.conversations.allMessages(conversationId);
    expect(stored.map((m) => [m.id, m.role, m.status, m.parts])).toEqual(
      chat.messages.map((m) => [m.id, m.role, m.status, m.parts]),
    );
  });

  it('answers bad arguments and a busy chat with clear errors, changing nothing', async () => {
    const env = setup();
    env.transport.onStart = ({ streamId }) => env.transport.answer(streamId, hello, { end: false });
    const { chat } = await openChat(env);
    const reject = async (p: Promise<unknown>) =>
      (await p.catch((e: unknown) => e)) as StreamClientError;
    expect(await reject(chat.sendMessage('   '))).toMatchObject({
      code: 'INVALID_INPUT',
      message: 'the message is empty',
    });
    expect(
      await reject(chat.sendMessage([{ type: 'image', format: 'BMP' as 'PNG', bytes: 'AAAA' }])),
    ).toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/image format 'BMP'.*PNG/),
    });
    expect(
      await reject(chat.sendMessage([{ type: 'video', bytes: 'AAAA' } as never])),
    ).toMatchObject({ message: expect.stringMatching(/text, image and document parts only/) });
    const images = Array.from({ length: LIMITS.images + 1 }, () => ({
      type: 'image' as const,
      format: 'PNG' as const,
      bytes: 'AAAA',
    }));
    expect(await reject(chat.sendMessage(images))).toMatchObject({
      message: `${LIMITS.images + 1} images in one message, over Bedrock's ${LIMITS.images}`,
    });
    const big = 'A'.repeat(LIMITS.attachmentBase64Chars + 4);
    expect(
      await reject(
        chat.sendMessage([{ type: 'document', format: 'PDF', name: 'big', bytes: big }]),
      ),
    ).toMatchObject({
      message: expect.stringMatching(/over the .* inline.*AttachmentStore.*S3|S3/),
    });
    expect(
      await reject(
        chat.sendMessage([{ type: 'document', format: 'PDF', name: 'a/b', bytes: 'AAAA' }]),
      ),
    ).toMatchObject({
      message: expect.stringMatching(/^part 1: document.name: document name may hold/),
    });
    expect(await reject(chat.editMessage('nope', 'x'))).toMatchObject({ code: 'INVALID_INPUT' });
    expect(await reject(chat.regenerate())).toMatchObject({ code: 'INVALID_INPUT' });
    expect(await reject(chat.addToolResult({ toolCallId: 'x', output: 1 }))).toMatchObject({
      code: 'CHAT_BUSY',
    });
    expect(chat.messages).toEqual([]);
    expect(env.transport.log).not.toContain('sendMessage');

    void chat.sendMessage('first');
    await until(chat, 'streaming');
    expect(await reject(chat.sendMessage('second'))).toMatchObject({
      code: 'CHAT_BUSY',
      message: expect.stringMatching(/an answer is being generated/),
    });
    chat.dispose();
    expect(await reject(chat.sendMessage('x'))).toMatchObject({ code: 'CLIENT_CLOSED' });
  });

  it('an AttachmentStore takes attachments too large to travel inline', async () => {
    const env = setup();
    env.transport.onStart = ({ streamId }) => env.transport.answer(streamId, hello);
    const offloaded: string[] = [];
    const { chat } = await openChat(env, {
      attachmentStore: {
        async offload(part) {
          offloaded.push(part.type);
          return { type: 'text', text: `[${part.type} stored in s3://bucket/key]` };
        },
      },
    });
    const big = 'A'.repeat(LIMITS.attachmentBase64Chars);
    await chat.sendMessage([
      { type: 'text', text: 'Summarize these' },
      { type: 'image', format: 'PNG', bytes: 'AAAA' },
      { type: 'document', format: 'PDF', name: 'report', bytes: big },
    ]);
    expect(offloaded).toEqual(['document']);
    expect(chat.messages[0]!.parts.map((p) => p.type)).toEqual(['text', 'image', 'text']);
  });

  it('stop() keeps the partial text: the answer is STOPPED and the chat ready', async () => {
    const env = setup();
    env.transport.onStart = ({ streamId }) => env.transport.answer(streamId, hello, { end: false });
    env.transport.onCancel = (streamId) => env.transport.cancelAnswer(streamId, hello);
    const { chat } = await openChat(env);
    const sent = chat.sendMessage('Tell me a story');
    await until(chat, 'streaming');
    await chat.stop();
    await sent;
    expect(chat.status).toBe('ready');
    expect(chat.messages[1]).toMatchObject({ status: 'STOPPED', stopReason: 'cancelled' });
    expect(textOf(chat, 1)).toBe('Hello there');
  });

  it('regenerate() replaces the last answer; editMessage() replaces everything after the edit', async () => {
    const env = setup();
    let n = 0;
    env.transport.onStart = ({ streamId }) =>
      env.transport.answer(streamId, [{ type: 'text', text: `answer ${++n}` }]);
    const { chat, conversationId } = await openChat(env);
    await chat.sendMessage('one');
    await chat.sendMessage('two');
    expect(chat.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    const firstAnswerId = chat.messages[3]!.id;
    await chat.regenerate();
    expect(chat.messages).toHaveLength(4);
    expect(chat.messages[3]!.id).not.toBe(firstAnswerId);
    expect(textOf(chat, 3)).toBe('answer 3');
    await chat.editMessage(chat.messages[0]!.id, 'one, edited');
    expect(chat.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(chat.messages[0]!.parts).toEqual([{ type: 'text', text: 'one, edited' }]);
    expect(textOf(chat, 1)).toBe('answer 4');
    const stored = await env.client.conversations.allMessages(conversationId);
    expect(stored.map((m) => m.id)).toEqual(chat.messages.map((m) => m.id));
  });

  it('client tools: awaiting-tool-result, addToolResult submits and the same answer continues', async () => {
    const env = setup();
    let turn = 0;
    env.transport.onStart = ({ streamId }) =>
      ++turn === 1
        ? env.transport.answer(streamId, weatherCall, { stopReason: 'tool_use' })
        : env.transport.answer(streamId, [
            { type: 'step-start', step: 1 },
            { type: 'text', text: 'Take an umbrella.' },
          ]);
    const { chat, conversationId } = await openChat(env);
    await chat.sendMessage('Umbrella in Paris?');
    expect(chat.status).toBe('awaiting-tool-result');
    const answer = chat.messages[1]!;
    expect(answer).toMatchObject({ status: 'AWAITING_TOOL_RESULT', stopReason: 'tool_use' });
    await expect(chat.addToolResult({ toolCallId: 'nope', output: 1 })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/no pending tool call nope \(pending: call-1\)/),
    });
    await chat.addToolResult({ toolCallId: 'call-1', output: { rain: true } });
    expect(chat.status).toBe('ready');
    const continued = chat.messages[1]!;
    expect(continued.id).toBe(answer.id);
    expect(continued.streamId).not.toBe(answer.streamId);
    expect(continued.status).toBe('COMPLETE');
    expect(continued.parts.map((p) => p.type)).toEqual([
      'step-start',
      'text',
      'tool-call',
      'step-start',
      'text',
    ]);
    expect(continued.parts[2]).toMatchObject({ state: 'output-available', output: { rain: true } });
    expect(continued.usage?.outputTokens).toBe(6); // both streams of the answer
    const stored = await env.client.conversations.allMessages(conversationId);
    expect(stored[1]!.parts).toEqual(continued.parts);
  });

  it('onToolCall runs client tools automatically (a throw is an error result) and continues', async () => {
    const env = setup();
    let turn = 0;
    env.transport.onStart = ({ streamId }) =>
      ++turn === 1
        ? env.transport.answer(
            streamId,
            [
              ...weatherCall,
              { type: 'tool-call', toolCallId: 'call-2', toolName: 'broken', input: {} },
            ],
            { stopReason: 'tool_use' },
          )
        : env.transport.answer(streamId, [{ type: 'text', text: 'Done.' }]);
    const { chat } = await openChat(env, {
      onToolCall: ({ toolCall }) => {
        if (toolCall.toolName === 'broken') throw new Error('tool crashed');
        return { city: toolCall.input['city'] ?? null, rain: false };
      },
    });
    await chat.sendMessage('Weather?');
    await until(chat, 'ready');
    const parts = chat.messages[1]!.parts;
    expect(parts.find((p) => p.type === 'tool-call' && p.toolCallId === 'call-1')).toMatchObject({
      state: 'output-available',
      output: { city: 'Paris', rain: false },
    });
    expect(parts.find((p) => p.type === 'tool-call' && p.toolCallId === 'call-2')).toMatchObject({
      state: 'output-error',
      errorText: 'tool crashed',
    });
    expect(textOf(chat, 1)).toContain('Done.');
  });

  it('load() joins an answer still streaming: stored chunks first, then live', async () => {
    const env = setup();
    env.transport.onStart = ({ streamId }) => env.transport.answer(streamId, hello, { end: false });
    const first = await openChat(env);
    void first.chat.sendMessage('Hi');
    await until(first.chat, 'streaming');
    await new Promise((r) => setTimeout(r, 5));
    first.chat.dispose(); // the tab goes away; the answer goes on

    const second = await openChat(env, {}, first.conversationId);
    expect(second.chat.messages).toHaveLength(2);
    await until(second.chat, 'streaming');
    const streamId = second.chat.messages[1]!.streamId!;
    const more: ChunkEvent[] = [{ type: 'text', text: ', friend.' }];
    env.transport.publishEvents(streamId, more);
    env.transport.endAnswer(streamId, [...hello, ...more]);
    await until(second.chat, 'ready');
    expect(textOf(second.chat, 1)).toBe('Hello there, friend.');
    expect(second.chat.messages[1]!.status).toBe('COMPLETE');
    expect(second.statuses).toEqual(['loading', 'submitted', 'streaming', 'ready']);
  });

  it('a refused turn rolls back the optimistic messages; retry() sends it again', async () => {
    const env = setup();
    env.transport.onStart = ({ streamId }) => env.transport.answer(streamId, hello);
    const { chat } = await openChat(env);
    env.transport.convFaults.sendMessage = [appSyncError('ValidationError', 'no, not this')];
    await chat.sendMessage('Hi');
    expect(chat.status).toBe('error');
    expect(chat.error).toMatchObject({ code: 'START_FAILED', retryable: false });
    expect(chat.error?.message).toMatch(/no, not this/);
    expect(chat.messages).toEqual([]);
    await chat.retry();
    expect(chat.status).toBe('ready');
    expect(chat.messages.map((m) => m.status)).toEqual(['COMPLETE', 'COMPLETE']);
  });

  it('a lost answer to sendMessage is retried with the same stream id: one turn, one answer', async () => {
    const env = setup();
    env.transport.onStart = ({ streamId }) => env.transport.answer(streamId, hello);
    const { chat, conversationId } = await openChat(env);
    env.transport.convFaults.sendMessage = ['request'];
    await chat.sendMessage('Hi');
    expect(chat.status).toBe('ready');
    expect(env.transport.workerStarts).toBe(1);
    expect(await env.client.conversations.allMessages(conversationId)).toHaveLength(2);
  });

  it('a turn sent right after the last answer ended waits out the conversation still marked active', async () => {
    const env = setup();
    let n = 0;
    env.transport.onStart = ({ streamId }) => {
      n += 1;
      env.transport.answer(streamId, [{ type: 'text', text: `answer ${n}` }], { end: false });
      // The end chunk is published before the message and the conversation are written.
      setTimeout(() => {
        env.transport.publishEvents(streamId, [
          {
            type: 'end',
            stopReason: 'end_turn',
            usage: null,
            timings: { timeToFirstTokenMs: 1, totalMs: 2, modelLatencyMs: null },
          },
        ]);
        const text = `answer ${n}`;
        setTimeout(() => env.transport.storeAnswerOnly(streamId, [{ type: 'text', text }]), 150);
      }, 1);
    };
    const { chat } = await openChat(env);
    await chat.sendMessage('one');
    await chat.sendMessage('two');
    expect(chat.status).toBe('ready');
    expect(chat.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(env.transport.log.filter((l) => l === 'sendMessage').length).toBeGreaterThan(2);
  });

  it('a failed answer is FAILED with its error; retry() regenerates it', async () => {
    const env = setup();
    let n = 0;
    env.transport.onStart = ({ streamId }) =>
      env.transport.answer(streamId, hello, { fail: ++n === 1 });
    const { chat } = await openChat(env);
    await chat.sendMessage('Hi');
    expect(chat.status).toBe('error');
    expect(chat.error?.code).toBe('WorkerFailed');
    expect(chat.messages[1]).toMatchObject({ status: 'FAILED' });
    expect(textOf(chat, 1)).toBe('Hello there'); // partial parts kept
    await chat.retry();
    expect(chat.status).toBe('ready');
    expect(chat.messages[1]!.status).toBe('COMPLETE');
  });

  it('load() of an unknown conversation is CONVERSATION_NOT_FOUND; retry() loads again', async () => {
    const env = setup();
    const chat = new Chat({ client: env.client, conversationId: 'missing' });
    await chat.load();
    expect(chat.status).toBe('error');
    expect(chat.error?.code).toBe('CONVERSATION_NOT_FOUND');
    await env.client.conversations.create({ modelId, conversationId: 'missing' });
    await chat.retry();
    expect(chat.status).toBe('ready');
  });

  it('stop() while a turn waits out the just-ended answer drops the turn', async () => {
    const env = setup();
    env.transport.onStart = ({ streamId }) => {
      env.transport.answer(streamId, hello, { end: false });
      env.transport.publishEvents(streamId, [
        {
          type: 'end',
          stopReason: 'end_turn',
          usage: null,
          timings: { timeToFirstTokenMs: 1, totalMs: 2, modelLatencyMs: null },
        },
      ]);
      // The worker never gets to clear the conversation's active stream here.
    };
    const { chat } = await openChat(env);
    await chat.sendMessage('one');
    const second = chat.sendMessage('two');
    await new Promise<void>((resolve) => {
      const poll = () =>
        env.transport.log.filter((l) => l === 'sendMessage').length >= 2
          ? resolve()
          : setTimeout(poll, 1);
      poll();
    });
    expect(chat.status).toBe('submitted');
    await chat.stop();
    await second;
    expect(chat.status).toBe('ready');
    expect(chat.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
  });

  it('refused tool results go back to waiting for them; retry() submits them again', async () => {
    const env = setup();
    let turn = 0;
    env.transport.onStart = ({ streamId }) =>
      ++turn === 1
        ? env.transport.answer(streamId, weatherCall, { stopReason: 'tool_use' })
        : env.transport.answer(streamId, [{ type: 'text', text: 'Sunny.' }]);
    const { chat } = await openChat(env);
    await chat.sendMessage('Weather?');
    env.transport.convFaults.submitToolResults = [appSyncError('ValidationError', 'not now')];
    await chat.addToolResult({ toolCallId: 'call-1', output: { sunny: true } });
    expect(chat.status).toBe('error');
    expect(chat.messages[1]!.status).toBe('AWAITING_TOOL_RESULT');
    await chat.retry();
    expect(chat.status).toBe('ready');
    expect(textOf(chat, 1)).toBe('Let me check.Sunny.');
  });

  it('two chats of one conversation on one client share the answer: one dispose() leaves the other', async () => {
    const env = setup();
    env.transport.onStart = ({ streamId }) => env.transport.answer(streamId, hello, { end: false });
    const a = await openChat(env);
    void a.chat.sendMessage('Hi');
    await until(a.chat, 'streaming');
    const b = await openChat(env, {}, a.conversationId);
    a.chat.dispose();
    const streamId = b.chat.messages[1]!.streamId!;
    const more: ChunkEvent[] = [{ type: 'text', text: '!' }];
    env.transport.publishEvents(streamId, more);
    env.transport.endAnswer(streamId, [...hello, ...more]);
    await until(b.chat, 'ready');
    expect(b.chat.messages[1]).toMatchObject({ status: 'COMPLETE' });
    expect(textOf(b.chat, 1)).toBe('Hello there!');
  });
});
