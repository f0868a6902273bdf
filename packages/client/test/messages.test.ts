import { parseStartStreamInput } from '@org/bedrock-stream-contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkAssembler } from '../src/assembler.js';
import { StreamClientError } from '../src/errors.js';
import { partsToMessages, pendingToolCalls, type ToolResult } from '../src/messages.js';
import type { StreamPart } from '../src/parts.js';
import { encodeStreamInput, type StreamInput } from '../src/stream-input.js';
import { validateStreamInput } from '../src/stream.js';
import { chunksOf, turnArb, turnEvents } from './turns.js';

const streamId = '00000000-0000-4000-8000-000000000001';
const modelId = 'anthropic.claude-sonnet-4-20250514-v1:0';

const weatherTool = {
  name: 'get_weather',
  description: 'The weather in a city',
  inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

describe('encodeStreamInput', () => {
  it('turns tool JSON given as values into AWSJSON strings, and keeps strings as they are', () => {
    const input: StreamInput = {
      modelId,
      thinking: { budgetTokens: 2048 },
      maxSteps: 3,
      cacheSystem: true,
      system: 'Be brief.',
      toolConfig: { tools: [weatherTool], toolChoice: { mode: 'AUTO' } },
      messages: [
        { role: 'USER', text: 'Weather in Paris?' },
        {
          role: 'ASSISTANT',
          content: [
            { reasoning: { text: 'Use the tool.', signature: 'sig' } },
            { toolUse: { toolUseId: 't1', name: 'get_weather', input: { city: 'Paris' } } },
            { toolUse: { toolUseId: 't2', name: 'get_weather', input: '{"city":"Lyon"}' } },
          ],
        },
        {
          role: 'USER',
          content: [
            { toolResult: { toolUseId: 't1', content: { tempC: 21 }, status: 'SUCCESS' } },
            { toolResult: { toolUseId: 't2', content: '"rain"' } },
            { cachePoint: true },
          ],
        },
      ],
    };
    const encoded = encodeStreamInput({ ...input, streamId });
    expect(encoded.toolConfig?.tools[0]?.inputSchema).toBe(JSON.stringify(weatherTool.inputSchema));
    const [, assistant, user] = encoded.messages!;
    expect(assistant?.content?.[1]?.toolUse?.input).toBe('{"city":"Paris"}');
    expect(assistant?.content?.[2]?.toolUse?.input).toBe('{"city":"Lyon"}');
    expect(user?.content?.[0]?.toolResult?.content).toBe('{"tempC":21}');
    expect(user?.content?.[1]?.toolResult?.content).toBe('"rain"');
    expect(user?.content?.[2]).toEqual({ cachePoint: true });
    expect(encoded).toMatchObject({
      streamId,
      modelId,
      thinking: { budgetTokens: 2048 },
      maxSteps: 3,
      cacheSystem: true,
    });
    // What is sent is what the resolver and the worker read back (contracts' awsJson).
    expect(parseStartStreamInput(encoded)).toEqual(parseStartStreamInput({ ...input, streamId }));
  });

  it('a prompt input passes through without message or tool fields', () => {
    expect(encodeStreamInput({ streamId, modelId, prompt: 'Hi' })).toEqual({
      streamId,
      modelId,
      prompt: 'Hi',
    });
  });

  it('rejects what the contract rejects, naming the field (through validateStreamInput)', () => {
    const bad = (input: StreamInput) => () => validateStreamInput({ ...input, streamId });
    expect(
      bad({
        modelId,
        prompt: 'x',
        toolConfig: { tools: [{ ...weatherTool, inputSchema: { type: 'string' } }] },
      }),
    ).toThrow(/inputSchema must be a JSON Schema with type 'object'/);
    expect(
      bad({
        modelId,
        messages: [
          {
            role: 'USER',
            content: [{ toolResult: { toolUseId: 't1', content: 'sunny, not JSON' } }],
          },
        ],
      }),
    ).toThrow(/toolResult.content is not valid JSON/);
    expect(
      bad({
        modelId,
        messages: [
          { role: 'USER', content: [{ toolUse: { toolUseId: 't', name: 'x', input: '[1]' } }] },
        ],
      }),
    ).toThrow(StreamClientError);
  });
});

/** Parts of a finished answer, assembled from its events. */
function partsOf(events: Parameters<typeof chunksOf>[1]): readonly StreamPart[] {
  const asm = new ChunkAssembler();
  for (const c of chunksOf(1, events)) asm.push(c);
  return asm.parts;
}

const start = {
  type: 'start',
  modelId,
  attempt: 1,
  startedAt: '2026-01-01T00:00:00.000Z',
} as const;

describe('partsToMessages and pendingToolCalls', () => {
  it('one step with a client-side call: the assistant turn, then the app’s result', () => {
    const parts = partsOf([
      start,
      { type: 'reasoning', text: 'Need weather.' },
      { type: 'reasoning-signature', signature: 'sig-A' },
      { type: 'reasoning-redacted', data: 'AQID' },
      { type: 'text', text: 'Checking.' },
      { type: 'tool-call', toolCallId: 't1', toolName: 'get_weather', input: { city: 'Paris' } },
    ]);
    const pending = pendingToolCalls(parts);
    expect(pending.map((c) => [c.toolCallId, c.input])).toEqual([['t1', { city: 'Paris' }]]);
    const results: ToolResult[] = [{ toolCallId: 't1', output: { tempC: 21 } }];
    expect(partsToMessages(parts, { toolResults: results })).toEqual([
      {
        role: 'ASSISTANT',
        content: [
          { reasoning: { text: 'Need weather.', signature: 'sig-A' } },
          { reasoning: { redactedContent: 'AQID' } },
          { text: 'Checking.' },
          { toolUse: { toolUseId: 't1', name: 'get_weather', input: '{"city":"Paris"}' } },
        ],
      },
      {
        role: 'USER',
        content: [{ toolResult: { toolUseId: 't1', content: '{"tempC":21}', status: 'SUCCESS' } }],
      },
    ]);
  });

  it('steps split the answer; a server-side result answers its own step; errors say ERROR', () => {
    const parts = partsOf([
      start,
      { type: 'step-start', step: 1 },
      { type: 'tool-call', toolCallId: 's1', toolName: 'search', input: { q: 'a' } },
      {
        type: 'step-end',
        step: 1,
        stopReason: 'tool_use',
        usage: null,
      },
      { type: 'tool-result', toolCallId: 's1', toolName: 'search', output: 'down', isError: true },
      { type: 'step-start', step: 2 },
      { type: 'reasoning', text: 'unsigned thoughts are not sent back' },
      { type: 'text', text: 'Search is down; ' },
      { type: 'tool-call', toolCallId: 'c1', toolName: 'ask_user', input: {} },
      // Cut while its input streamed: left out.
      { type: 'tool-call-start', toolCallId: 'c2', toolName: 'ask_user' },
      { type: 'tool-call-delta', toolCallId: 'c2', inputDelta: '{"q' },
    ]);
    expect(pendingToolCalls(parts).map((c) => c.toolCallId)).toEqual(['c1']);
    const messages = partsToMessages(parts, {
      toolResults: [{ toolCallId: 'c1', output: 'no', isError: true }],
    });
    expect(messages).toEqual([
      {
        role: 'ASSISTANT',
        content: [{ toolUse: { toolUseId: 's1', name: 'search', input: '{"q":"a"}' } }],
      },
      {
        role: 'USER',
        content: [{ toolResult: { toolUseId: 's1', content: '"down"', status: 'ERROR' } }],
      },
      {
        role: 'ASSISTANT',
        content: [
          { text: 'Search is down; ' },
          { toolUse: { toolUseId: 'c1', name: 'ask_user', input: '{}' } },
        ],
      },
      {
        role: 'USER',
        content: [{ toolResult: { toolUseId: 'c1', content: '"no"', status: 'ERROR' } }],
      },
    ]);
  });

  it('a complete call without a result, or a result without a call, is an INVALID_INPUT error', () => {
    const parts = partsOf([
      start,
      { type: 'tool-call', toolCallId: 't1', toolName: 'get_weather', input: {} },
    ]);
    expect(() => partsToMessages(parts)).toThrow(/t1 \(get_weather\) has no result/);
    expect(() =>
      partsToMessages(parts, {
        toolResults: [
          { toolCallId: 't1', output: 1 },
          { toolCallId: 'zz', output: 2 },
        ],
      }),
    ).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(/zz/) }),
    );
  });

  it('an answer without tools is one assistant message', () => {
    const parts = partsOf([start, { type: 'text', text: 'Hello' }]);
    expect(partsToMessages(parts)).toEqual([{ role: 'ASSISTANT', content: [{ text: 'Hello' }] }]);
    expect(pendingToolCalls(parts)).toEqual([]);
  });

  it('for any answer, the next turn is valid input: roles alternate and every call is answered', () => {
    fc.assert(
      fc.property(turnArb, (turn) => {
        const parts = partsOf(turnEvents(turn));
        const toolResults = pendingToolCalls(parts).map((c) => ({
          toolCallId: c.toolCallId,
          output: { ok: true },
        }));
        const answer = partsToMessages(parts, { toolResults });
        const messages = [{ role: 'USER' as const, text: 'Go' }, ...answer];
        const roles = messages.map((m) => m.role);
        roles.forEach((r, i) => i > 0 && expect(r).not.toBe(roles[i - 1]));
        if (roles[roles.length - 1] === 'ASSISTANT') messages.push({ role: 'USER', text: 'More' });
        // Valid for the contract, and a string for every AWSJSON field.
        const encoded = validateStreamInput({ streamId, modelId, messages });
        expect(encoded.messages).toEqual(messages);
        // Each toolUse is answered in the very next message.
        answer.forEach((m, i) => {
          const uses = (m.content ?? []).flatMap((b) => (b.toolUse ? [b.toolUse.toolUseId] : []));
          if (uses.length === 0) return;
          const answered = (answer[i + 1]?.content ?? []).map((b) => b.toolResult?.toolUseId);
          expect(answered).toEqual(uses);
        });
      }),
      { numRuns: 150 },
    );
  });
});
