import { describe, expect, it } from 'vitest';
import {
  ContractError,
  LIMITS,
  APPSYNC_LIMITS,
  CHUNK_EVENT_TYPES,
  decodeChunkPayload,
  encodeChunkPayload,
  safeDecodeChunkPayload,
  type ChunkEvent,
  type ChunkPayload,
} from '../src/index.js';

const usage = { inputTokens: 12, outputTokens: 34, totalTokens: 46 };
const everyEvent: ChunkEvent[] = [
  {
    type: 'start',
    modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
    attempt: 1,
    startedAt: '2026-01-01T00:00:00.000Z',
  },
  { type: 'text', text: 'Hello, wörld 👋' },
  { type: 'usage', usage },
  {
    type: 'end',
    stopReason: 'end_turn',
    usage,
    timings: { timeToFirstTokenMs: 120, totalMs: 900, modelLatencyMs: 850 },
  },
  { type: 'error', code: 'ThrottlingException', message: 'Too many requests', retryable: true },
  { type: 'reasoning', text: 'The user asks for the weather; call get_weather. 🤔' },
  { type: 'reasoning-signature', signature: 'EqQBCkgIARABGAIiQL+/x9==' },
  { type: 'reasoning-redacted', data: 'QUJDRA==' },
  { type: 'tool-call-start', toolCallId: 'tooluse_AbC-12', toolName: 'get_weather' },
  { type: 'tool-call-delta', toolCallId: 'tooluse_AbC-12', inputDelta: '{"city": "Pa' },
  {
    type: 'tool-call',
    toolCallId: 'tooluse_AbC-12',
    toolName: 'get_weather',
    input: { city: 'Paris', days: [1, 2], metric: true, hint: null, nested: { ü: -1.5 } },
  },
  {
    type: 'tool-result',
    toolCallId: 'tooluse_AbC-12',
    toolName: 'get_weather',
    output: [{ day: 1, temperature: 21.5, sky: 'sunny' }, null],
    isError: false,
  },
  { type: 'step-start', step: 1 },
  {
    type: 'step-end',
    step: 1,
    stopReason: 'tool_use',
    usage: { ...usage, cacheReadInputTokens: 1024, cacheWriteInputTokens: 0 },
  },
];

function expectError(raw: unknown, code: ContractError['code'], fragment: string | RegExp) {
  const result = safeDecodeChunkPayload(raw);
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.error).toBeInstanceOf(ContractError);
  expect(result.error.code).toBe(code);
  expect(result.error.message).toMatch(fragment);
  expect(() => decodeChunkPayload(raw)).toThrow(ContractError);
}

describe('chunk payload codec', () => {
  it.each(everyEvent.map((e) => [e.type, e] as const))('round-trips a %s event', (_type, event) => {
    const payload: ChunkPayload = { v: 1, events: [event] };
    const json = encodeChunkPayload(payload);
    expect(JSON.parse(json)).toEqual(payload);
    expect(decodeChunkPayload(json)).toEqual(payload);
    expect(decodeChunkPayload(JSON.parse(json))).toEqual(payload);
  });

  it('has a round-trip case for every event type', () => {
    expect(everyEvent.map((e) => e.type).sort()).toEqual([...CHUNK_EVENT_TYPES].sort());
  });

  it.each([
    ['a string', 'sunny', false],
    ['null', null, false],
    ['a number', 0, false],
    ['a boolean', true, false],
    ['an error message', 'city not found', true],
  ])('round-trips a tool result whose output is %s', (_label, output, isError) => {
    const payload: ChunkPayload = {
      v: 1,
      events: [{ type: 'tool-result', toolCallId: 't1', toolName: 'lookup', output, isError }],
    };
    expect(decodeChunkPayload(encodeChunkPayload(payload))).toEqual(payload);
  });

  it('keeps several events of one flush in order, terminal last', () => {
    const payload: ChunkPayload = {
      v: 1,
      events: [everyEvent[1]!, everyEvent[2]!, everyEvent[3]!],
    };
    expect(decodeChunkPayload(encodeChunkPayload(payload)).events.map((e) => e.type)).toEqual([
      'text',
      'usage',
      'end',
    ]);
  });

  it('rejects non-JSON', () => expectError('{"v":1,', 'NOT_JSON', /not valid JSON/));
  it('rejects an event without a type', () =>
    expectError({ v: 1, events: [{ text: 'x' }] }, 'INVALID_PAYLOAD', /events\.0\.type/));
  it('rejects wrong types', () =>
    expectError(
      { v: 1, events: [{ type: 'text', text: 42 }] },
      'INVALID_PAYLOAD',
      /events\.0\.text/,
    ));
  it('rejects an unknown version', () =>
    expectError(
      { v: 2, events: [everyEvent[1]] },
      'INVALID_PAYLOAD',
      /^invalid chunk payload: v:/,
    ));
  it('rejects an empty chunk', () =>
    expectError({ v: 1, events: [] }, 'INVALID_PAYLOAD', /events/));
  it('rejects null, arrays and primitives', () => {
    expectError(null, 'INVALID_PAYLOAD', /root/);
    expectError([], 'INVALID_PAYLOAD', /root/);
    expectError(7, 'INVALID_PAYLOAD', /root/);
    expectError('"text"', 'INVALID_PAYLOAD', /root/);
  });
  it('rejects a terminal event that is not last', () =>
    expectError(
      { v: 1, events: [everyEvent[3], everyEvent[1]] },
      'INVALID_PAYLOAD',
      /must be the last/,
    ));
  it('rejects negative token counts and bad stop reasons', () => {
    expectError(
      { v: 1, events: [{ type: 'usage', usage: { ...usage, outputTokens: -1 } }] },
      'INVALID_PAYLOAD',
      /outputTokens/,
    );
    expectError(
      { v: 1, events: [{ ...everyEvent[3], stopReason: 'Not a reason!' }] },
      'INVALID_PAYLOAD',
      /stopReason/,
    );
  });
  it('rejects an oversize string before parsing it', () =>
    expectError(
      `{"v":1,"events":[{"type":"text","text":"${'x'.repeat(LIMITS.chunkPayloadBytes)}"}]}`,
      'OVERSIZE',
      /bound/,
    ));
  it('rejects text over the chunk text bound (counted in UTF-8 bytes)', () => {
    const text = 'é'.repeat(LIMITS.chunkTextBytes / 2 + 1);
    expectError({ v: 1, events: [{ type: 'text', text }] }, 'INVALID_PAYLOAD', /UTF-8 bytes/);
  });
  it('refuses to encode an unknown event type, an unknown field or a late terminal', () => {
    const refuse = (payload: unknown, fragment: RegExp) =>
      expect(() => encodeChunkPayload(payload as ChunkPayload)).toThrow(fragment);
    refuse({ v: 1, events: [{ type: 'tool_call', name: 'x' }] }, /events\.0\.type/);
    refuse({ v: 1, events: [{ type: 'text', text: 'a', html: '<b>' }] }, /html/);
    refuse({ v: 1, events: [everyEvent[3], everyEvent[1]] }, /must be the last event/);
    refuse({ v: 1, events: [everyEvent[1]], extra: true }, /extra/);
  });
  it('refuses to encode an invalid or oversize payload', () => {
    expect(() => encodeChunkPayload({ v: 1, events: [] } as unknown as ChunkPayload)).toThrow(
      /invalid chunk payload/,
    );
    const big = Array.from({ length: 3 }, () => ({
      type: 'text' as const,
      text: 'a'.repeat(LIMITS.chunkTextBytes - 10),
    }));
    expect(() => encodeChunkPayload({ v: 1, events: big })).toThrow(
      expect.objectContaining({ code: 'OVERSIZE' }),
    );
  });
  it('carries a stop reason it does not know as the string it is', () => {
    const end = { ...everyEvent[3]!, stopReason: 'model_context_window_exceeded' } as ChunkEvent;
    expect(decodeChunkPayload(encodeChunkPayload({ v: 1, events: [end] })).events[0]).toEqual(end);
    const future = { ...everyEvent[3]!, stopReason: 'some_future_reason' } as ChunkEvent;
    expect(decodeChunkPayload({ v: 1, events: [future] }).events[0]).toMatchObject({
      stopReason: 'some_future_reason',
    });
  });
  it('keeps our bound well below AppSync’s subscription payload limit', () => {
    expect(LIMITS.chunkPayloadBytes * 4).toBeLessThan(APPSYNC_LIMITS.subscriptionPayloadBytes);
    expect(LIMITS.chunkTextBytes).toBeLessThan(LIMITS.chunkPayloadBytes);
  });
});

describe('forward-compatible reading', () => {
  const text = { type: 'text', text: 'kept' };
  it('skips an event of a future type and keeps the known ones around it', () => {
    const result = safeDecodeChunkPayload({
      v: 1,
      events: [text, { type: 'sparkle', level: 3 }, { type: 'text', text: ' too' }],
    });
    expect(result).toMatchObject({
      ok: true,
      value: { v: 1, events: [text, { type: 'text', text: ' too' }] },
      skipped: [{ index: 1, type: 'sparkle' }],
    });
  });
  it('accepts a chunk of future events only (no known event left)', () => {
    const result = safeDecodeChunkPayload(JSON.stringify({ v: 1, events: [{ type: 'sparkle' }] }));
    expect(result).toMatchObject({
      ok: true,
      value: { events: [] },
      skipped: [{ type: 'sparkle' }],
    });
  });
  it('drops unknown fields of known events and of the envelope', () => {
    const result = safeDecodeChunkPayload({
      v: 1,
      trace: 'x',
      events: [
        { type: 'text', text: 'a', html: '<b>' },
        { ...everyEvent[3], usage: { ...usage, futureTokens: 5 }, extra: [1] },
      ],
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value).toEqual({ v: 1, events: [{ type: 'text', text: 'a' }, everyEvent[3]] });
    expect(result.skipped).toEqual([]);
  });
  it('still refuses a malformed known event next to future ones', () =>
    expectError(
      { v: 1, events: [{ type: 'sparkle' }, { type: 'text', text: 7 }] },
      'INVALID_PAYLOAD',
      /events\.1\.text/,
    ));
  it('lets a future event follow the terminal event', () => {
    const result = safeDecodeChunkPayload({ v: 1, events: [everyEvent[3], { type: 'sparkle' }] });
    expect(result).toMatchObject({ ok: true, value: { events: [everyEvent[3]] } });
  });
});
