import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MessageSchema,
  NO_TOOL_RESULT_TEXT,
  answerPartsToMessages,
  conversationToMessages,
  type HistoryMessage,
  type JsonValue,
  type Message,
  type MessagePart,
  type StreamPart,
  type UserPart,
} from '../src/index.js';

const user = (text: string): HistoryMessage => ({ role: 'USER', parts: [{ type: 'text', text }] });
const answer = (...parts: MessagePart[]): HistoryMessage => ({ role: 'ASSISTANT', parts });

/** A message as a GraphQL client sends it: AWSJSON fields as JSON text. */
function wireForm(m: Message): unknown {
  return {
    ...m,
    content: m.content?.map((b) =>
      b.toolUse
        ? { toolUse: { ...b.toolUse, input: JSON.stringify(b.toolUse.input) } }
        : b.toolResult
          ? { toolResult: { ...b.toolResult, content: JSON.stringify(b.toolResult.content) } }
          : b,
    ),
  };
}

/** Why `messages` would not pass Bedrock's checks (empty when they would). */
function bedrockViolations(messages: Message[]): string[] {
  const problems: string[] = [];
  if (messages.length && messages[0]!.role !== 'USER') problems.push('first message not USER');
  messages.forEach((m, i) => {
    if (!MessageSchema.safeParse(wireForm(m)).success)
      problems.push(`message ${i} breaks the contract`);
    if (i > 0 && messages[i - 1]!.role === m.role) problems.push(`message ${i} repeats its role`);
    const content = m.content ?? [];
    if (!content.length) problems.push(`message ${i} is empty`);
    const uses = content.flatMap((b) => (b.toolUse ? [b.toolUse.toolUseId] : []));
    const results = content.flatMap((b) => (b.toolResult ? [b.toolResult.toolUseId] : []));
    if (m.role === 'USER' && uses.length) problems.push(`USER message ${i} has toolUse`);
    if (m.role === 'ASSISTANT' && results.length) problems.push(`message ${i} has toolResult`);
    // Tool results come first in their user message.
    const firstOther = content.findIndex((b) => !b.toolResult);
    if (firstOther >= 0 && content.slice(firstOther).some((b) => b.toolResult))
      problems.push(`message ${i}: toolResult after other blocks`);
    if (uses.length) {
      const next = messages[i + 1];
      const answered = (next?.content ?? []).flatMap((b) =>
        b.toolResult ? [b.toolResult.toolUseId] : [],
      );
      if (next && [...uses].sort().join() !== [...answered].sort().join())
        problems.push(`message ${i}: toolUse not answered exactly by the next message`);
      if (!next) problems.push(`message ${i}: toolUse without a following result`);
    }
    if (results.length) {
      const prev = messages[i - 1];
      const asked = new Set(
        (prev?.content ?? []).flatMap((b) => (b.toolUse ? [b.toolUse.toolUseId] : [])),
      );
      if (results.some((id) => !asked.has(id))) problems.push(`message ${i}: stray toolResult`);
    }
  });
  return problems;
}

// ---- arbitraries: any stored history, including odd ones (roles repeated, empty answers) --
const base64 = fc
  .uint8Array({ minLength: 1, maxLength: 30 })
  .map((b) => Buffer.from(b).toString('base64'));
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.constant(' '), fc.constant(''));
const json = fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonValue>;
const userPart: fc.Arbitrary<UserPart> = fc.oneof(
  text.map((t) => ({ type: 'text' as const, text: t })),
  base64.map((bytes) => ({ type: 'image' as const, format: 'PNG' as const, bytes })),
  base64.map((bytes) => ({
    type: 'document' as const,
    format: 'TXT' as const,
    name: 'notes',
    bytes,
  })),
);
/** A tool call (its id is filled in later, unique over the history). */
const toolCall: fc.Arbitrary<StreamPart> = fc
  .record({
    state: fc.constantFrom(
      'streaming-input',
      'input-available',
      'output-available',
      'output-error',
    ) as fc.Arbitrary<'streaming-input' | 'input-available' | 'output-available' | 'output-error'>,
    name: fc.constantFrom('get_weather', 'lookup_order'),
    output: json,
  })
  .map(({ state, name, output }) => ({
    type: 'tool-call' as const,
    toolCallId: '',
    toolName: name,
    state,
    inputText: state === 'streaming-input' ? '{"ci' : '{"city":"Paris"}',
    ...(state === 'streaming-input' ? {} : { input: { city: 'Paris' } }),
    ...(state === 'output-available' || state === 'output-error' ? { output } : {}),
    ...(state === 'output-error' ? { errorText: 'boom' } : {}),
  }));
const answerPart: fc.Arbitrary<StreamPart> = fc.oneof(
  text.map((t) => ({ type: 'text' as const, text: t })),
  fc.record({ t: fc.string({ maxLength: 20 }), signed: fc.boolean() }).map(({ t, signed }) => ({
    type: 'reasoning' as const,
    text: t,
    ...(signed ? { signature: 'sig' } : {}),
  })),
  base64.map((data) => ({ type: 'reasoning' as const, text: '', redacted: data })),
  toolCall,
  fc.nat(5).map((step) => ({ type: 'step-start' as const, step })),
);
const storedMessage: fc.Arbitrary<HistoryMessage> = fc.oneof(
  fc.array(userPart, { maxLength: 3 }).map((parts) => ({ role: 'USER' as const, parts })),
  fc.array(answerPart, { maxLength: 8 }).map((parts) => ({ role: 'ASSISTANT' as const, parts })),
);
/** Histories with every tool call id unique (Bedrock's ids are). */
const history = fc.array(storedMessage, { maxLength: 12 }).map((messages) => {
  let n = 0;
  return messages.map((m) => ({
    ...m,
    parts: m.parts.map((p) => (p.type === 'tool-call' ? { ...p, toolCallId: `call_${n++}` } : p)),
  }));
});

describe('conversationToMessages (properties)', () => {
  it('any history and budget give Bedrock-valid alternation and tool pairing', () => {
    fc.assert(
      fc.property(history, fc.nat(400), (stored, budget) => {
        const { messages } = conversationToMessages(stored, { tokenBudget: budget });
        expect(bedrockViolations(messages)).toEqual([]);
        const anyUserContent = stored.some(
          (m) => m.role === 'USER' && m.parts.some((p) => p.type !== 'text' || p.text.trim()),
        );
        expect(messages.length > 0).toBe(anyUserContent);
      }),
      { numRuns: 500 },
    );
  });

  it('leaves out only the oldest whole messages, and stays in budget unless the last turn alone is over it', () => {
    fc.assert(
      fc.property(history, fc.nat(400), (stored, budget) => {
        const kept = conversationToMessages(stored, { tokenBudget: budget });
        const rest = conversationToMessages(stored.slice(kept.droppedMessages), {
          tokenBudget: Number.MAX_SAFE_INTEGER,
        });
        expect(kept.messages).toEqual(rest.messages);
        const lastUser = stored.findLastIndex(
          (m) => m.role === 'USER' && m.parts.some((p) => p.type !== 'text' || p.text.trim()),
        );
        if (kept.droppedMessages < lastUser)
          expect(kept.estimatedTokens).toBeLessThanOrEqual(budget);
        // A bigger budget never leaves out more.
        const more = conversationToMessages(stored, { tokenBudget: budget * 2 + 1 });
        expect(more.droppedMessages).toBeLessThanOrEqual(kept.droppedMessages);
      }),
      { numRuns: 500 },
    );
  });
});

describe('conversationToMessages', () => {
  it('a multi-turn chat: user and answer turns in order', () => {
    const { messages, droppedMessages } = conversationToMessages([
      user('Hi'),
      answer({ type: 'text', text: 'Hello!' }),
      user('How are you?'),
    ]);
    expect(droppedMessages).toBe(0);
    expect(messages).toEqual([
      { role: 'USER', content: [{ text: 'Hi' }] },
      { role: 'ASSISTANT', content: [{ text: 'Hello!' }] },
      { role: 'USER', content: [{ text: 'How are you?' }] },
    ]);
  });

  it('per step an assistant message, then its tool results; signed reasoning kept, unsigned left out', () => {
    const { messages } = conversationToMessages([
      user('Weather in Paris?'),
      answer(
        { type: 'step-start', step: 1, stopReason: 'tool_use' },
        { type: 'reasoning', text: 'I should call it', signature: 'sig1' },
        { type: 'reasoning', text: 'never signed' },
        {
          type: 'tool-call',
          toolCallId: 't1',
          toolName: 'get_weather',
          state: 'output-available',
          inputText: '{"city":"Paris"}',
          input: { city: 'Paris' },
          output: { temperatureC: 21 },
        },
        { type: 'step-start', step: 2 },
        { type: 'text', text: 'It is 21 °C.' },
      ),
      user('Thanks'),
    ]);
    expect(messages).toEqual([
      { role: 'USER', content: [{ text: 'Weather in Paris?' }] },
      {
        role: 'ASSISTANT',
        content: [
          { reasoning: { text: 'I should call it', signature: 'sig1' } },
          { toolUse: { toolUseId: 't1', name: 'get_weather', input: { city: 'Paris' } } },
        ],
      },
      {
        role: 'USER',
        content: [
          { toolResult: { toolUseId: 't1', content: { temperatureC: 21 }, status: 'SUCCESS' } },
        ],
      },
      // The step's text and the next user turn: one user message follows the assistant's.
      { role: 'ASSISTANT', content: [{ text: 'It is 21 °C.' }] },
      { role: 'USER', content: [{ text: 'Thanks' }] },
    ]);
  });

  it('a tool call that never got a result is answered with an error result', () => {
    const messages = answerPartsToMessages([
      {
        type: 'tool-call',
        toolCallId: 't1',
        toolName: 'lookup_order',
        state: 'input-available',
        inputText: '{}',
        input: {},
      },
      {
        type: 'tool-call',
        toolCallId: 't2',
        toolName: 'x',
        state: 'streaming-input',
        inputText: '{',
      },
    ]);
    expect(messages).toEqual([
      {
        role: 'ASSISTANT',
        content: [{ toolUse: { toolUseId: 't1', name: 'lookup_order', input: {} } }],
      },
      {
        role: 'USER',
        content: [
          { toolResult: { toolUseId: 't1', content: NO_TOOL_RESULT_TEXT, status: 'ERROR' } },
        ],
      },
    ]);
  });

  it('the budget leaves out the oldest whole messages and starts with a user message', () => {
    const long = 'x'.repeat(400); // 100 tokens
    const stored = [
      user(long),
      answer(
        {
          type: 'tool-call',
          toolCallId: 't1',
          toolName: 'get_weather',
          state: 'output-available',
          inputText: '{}',
          input: {},
          output: long,
        },
        { type: 'step-start', step: 2 },
        { type: 'text', text: long },
      ),
      user('short'),
      answer({ type: 'text', text: 'ok' }),
      user('last'),
    ];
    const all = conversationToMessages(stored, { tokenBudget: 1_000 });
    expect(all.droppedMessages).toBe(0);
    // 250 tokens: the tool call's answer (about 205) fits, but the history must start with a
    // user message, so that answer goes too: never the call without its result.
    const cut = conversationToMessages(stored, { tokenBudget: 250 });
    expect(cut.droppedMessages).toBe(2);
    expect(cut.messages.map((m) => m.role)).toEqual(['USER', 'ASSISTANT', 'USER']);
    expect(cut.messages[0]).toEqual({ role: 'USER', content: [{ text: 'short' }] });
    // The last user message stays even when it alone is over the budget.
    const tiny = conversationToMessages(stored, { tokenBudget: 0 });
    expect(tiny.messages).toEqual([{ role: 'USER', content: [{ text: 'last' }] }]);
  });

  it('attachments count by their size', () => {
    const image: HistoryMessage = {
      role: 'USER',
      parts: [{ type: 'image', format: 'PNG', bytes: 'A'.repeat(4_000) }],
    };
    const stored = [image, answer({ type: 'text', text: 'a picture' }), user('and now?')];
    expect(conversationToMessages(stored, { tokenBudget: 500 }).droppedMessages).toBe(2);
    expect(conversationToMessages(stored, { tokenBudget: 1_100 }).droppedMessages).toBe(0);
  });

  it('an answer that produced nothing leaves two user turns, merged into one message', () => {
    const { messages } = conversationToMessages([user('one'), answer(), user('two')]);
    expect(messages).toEqual([{ role: 'USER', content: [{ text: 'one' }, { text: 'two' }] }]);
  });
});
