import { util, type Context } from '@aws-appsync/utils';
import {
  CHUNK_EVENT_TYPES,
  ChunkEventSchema,
  ChunkPayloadSchema,
  LIMITS,
  StopReasonSchema,
} from '@org/bedrock-stream-contracts';
import { describe, expect, it } from 'vitest';
import { request } from '../src/appsync/functions/getStreamForPublish.js';
import {
  EVENT_FIELDS,
  EVENT_TYPES,
  STOP_REASONS,
  validateChunkPayload,
} from '../src/appsync/lib/validate-chunk.js';
import { edgePayloads, mutatedPayload, seeded, validEvent, validPayload } from './chunk-samples.js';

// The source of the validator runs here with the few `util` functions it calls stubbed
// (`@aws-appsync/utils` is types only: its `util` is an empty object). The bundled file
// runs through the real APPSYNC_JS runtime in packages/local/test/publish-chunk-validation.test.ts.
class ResolverError extends Error {
  constructor(
    message: string,
    readonly errorType: string | undefined,
  ) {
    super(message);
  }
}
Object.assign(util, {
  error(message: string, errorType?: string): never {
    throw new ResolverError(message, errorType);
  },
  // AppSync's util.matches is a whole-string (Java) match.
  matches: (pattern: string, value: string) => new RegExp(`^(?:${pattern})$`).test(value),
  dynamodb: { toMapValues: (values: Record<string, unknown>) => values },
});

type Outcome = { ok: true } | { ok: false; message: string; errorType: string | undefined };

function validate(payload: unknown): Outcome {
  try {
    validateChunkPayload(payload);
    return { ok: true };
  } catch (error) {
    if (!(error instanceof ResolverError)) throw error;
    return { ok: false, message: error.message, errorType: error.errorType };
  }
}

function expectRejected(payload: unknown, message: string): void {
  expect(validate(payload)).toEqual({
    ok: false,
    message: `invalid chunk payload: ${message}`,
    errorType: 'ValidationError',
  });
  expect(ChunkPayloadSchema.safeParse(payload).success).toBe(false);
}

const usage = { inputTokens: 12, outputTokens: 34, totalTokens: 46 };
const timings = { timeToFirstTokenMs: 120, totalMs: 900, modelLatencyMs: null };
const every = {
  start: {
    type: 'start',
    modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
    attempt: 1,
    startedAt: '2026-01-01T00:00:00.000Z',
  },
  text: { type: 'text', text: 'Hello, wörld 👋' },
  usage: { type: 'usage', usage },
  end: { type: 'end', stopReason: 'end_turn', usage: null, timings },
  error: { type: 'error', code: 'ThrottlingException', message: 'slow down', retryable: true },
  reasoning: { type: 'reasoning', text: 'The user wants the weather, so…' },
  'reasoning-signature': { type: 'reasoning-signature', signature: 'EqQBCkgIARABGAIiQL+/==' },
  'reasoning-redacted': { type: 'reasoning-redacted', data: 'QUJDRA==' },
  'tool-call-start': {
    type: 'tool-call-start',
    toolCallId: 'tooluse_AbC-12',
    toolName: 'get_weather',
  },
  'tool-call-delta': { type: 'tool-call-delta', toolCallId: 'tooluse_AbC-12', inputDelta: '{"ci' },
  'tool-call': {
    type: 'tool-call',
    toolCallId: 'tooluse_AbC-12',
    toolName: 'get_weather',
    input: { city: 'Paris', days: [1, 2], metric: true, hint: null },
  },
  'tool-result': {
    type: 'tool-result',
    toolCallId: 'tooluse_AbC-12',
    toolName: 'get_weather',
    output: [{ day: 1, temperature: 21.5 }],
    isError: false,
  },
  'step-start': { type: 'step-start', step: 1 },
  'step-end': {
    type: 'step-end',
    step: 1,
    stopReason: 'tool_use',
    usage: { ...usage, cacheReadInputTokens: 0, cacheWriteInputTokens: 1024 },
  },
};
const text = (t: unknown) => ({ v: 1, events: [{ type: 'text', text: t }] });

describe('validateChunkPayload', () => {
  it.each(Object.entries(every))('accepts a valid %s event', (_type, event) => {
    expect(validate({ v: 1, events: [event] })).toEqual({ ok: true });
    expect(ChunkPayloadSchema.safeParse({ v: 1, events: [event] }).success).toBe(true);
  });

  it('accepts every event type in one chunk, the terminal one last', () => {
    const events = [every.start, every.text, every.usage, every.text, every.end];
    expect(validate({ v: 1, events })).toEqual({ ok: true });
    expect(validate({ v: 1, events: [every.text, every.error] })).toEqual({ ok: true });
  });

  it('accepts the bounds: 64 events, 32 KiB of UTF-8 text, nullable fields', () => {
    const many = Array.from({ length: LIMITS.chunkEvents }, () => every.text);
    expect(validate({ v: 1, events: many })).toEqual({ ok: true });
    expect(validate(text('é'.repeat(LIMITS.chunkTextBytes / 2)))).toEqual({ ok: true });
    expect(validate(text('😀'.repeat(LIMITS.chunkTextBytes / 4)))).toEqual({ ok: true });
    expect(
      validate({
        v: 1,
        events: [
          {
            ...every.end,
            usage,
            timings: { timeToFirstTokenMs: null, totalMs: 0, modelLatencyMs: null },
          },
        ],
      }),
    ).toEqual({ ok: true });
  });

  it('accepts a reasoning, tool-use and text turn in one chunk', () => {
    const events = [
      every['step-start'],
      every.reasoning,
      every['reasoning-signature'],
      every['reasoning-redacted'],
      every['tool-call-start'],
      every['tool-call-delta'],
      every['tool-call'],
      every['tool-result'],
      every['step-end'],
      { ...every['step-start'], step: 2 },
      every.text,
      every.end,
    ];
    expect(validate({ v: 1, events })).toEqual({ ok: true });
    expect(ChunkPayloadSchema.safeParse({ v: 1, events }).success).toBe(true);
  });

  it('accepts any JSON tool output and optional prompt-cache counts', () => {
    for (const output of [null, 'sunny', 0, -1.5, false, [], {}, [{ a: [null] }]]) {
      expect(validate({ v: 1, events: [{ ...every['tool-result'], output }] })).toEqual({
        ok: true,
      });
    }
    for (const counts of [{ cacheReadInputTokens: 5 }, { cacheWriteInputTokens: 0 }, {}]) {
      expect(
        validate({ v: 1, events: [{ type: 'usage', usage: { ...usage, ...counts } }] }),
      ).toEqual({ ok: true });
    }
  });

  it('counts tool input and output as JSON in UTF-8 bytes, as zod does', () => {
    const bound = LIMITS.chunkTextBytes;
    // `{"a":"…"}` is 8 bytes of JSON around the string; é is 2 bytes.
    const input = (value: unknown) => ({ v: 1, events: [{ ...every['tool-call'], input: value }] });
    expect(validate(input({ a: 'é'.repeat((bound - 8) / 2) }))).toEqual({ ok: true });
    expectRejected(
      input({ a: 'é'.repeat((bound - 8) / 2) + 'x' }),
      `events[0].input exceeds ${bound} UTF-8 bytes as JSON`,
    );
    const output = (value: unknown) => ({
      v: 1,
      events: [{ ...every['tool-result'], output: value }],
    });
    // A JSON string: its quotes count, and escapes count as written.
    expect(validate(output('x'.repeat(bound - 2)))).toEqual({ ok: true });
    expectRejected(
      output('\n'.repeat(bound / 2)),
      `events[0].output exceeds ${bound} UTF-8 bytes as JSON`,
    );
  });

  it('leaves __proto__ members out of the JSON count, as zod (which drops them) does', () => {
    const bound = LIMITS.chunkTextBytes;
    const input = (json: string) => ({
      v: 1,
      events: [{ ...every['tool-call'], input: JSON.parse(json) as unknown }],
    });
    const padded = (n: number) => `"${'x'.repeat(n)}"`;
    // zod sees {"a":"x…"} (bound - 8 x's: exactly the bound), then one byte more.
    expect(validate(input(`{"a":${padded(bound - 8)},"__proto__":[1,{"b":2}]}`))).toEqual({
      ok: true,
    });
    expectRejected(
      input(`{"a":${padded(bound - 7)},"__proto__":[1,{"b":2}]}`),
      `events[0].input exceeds ${bound} UTF-8 bytes as JSON`,
    );
    // Nested, alone in its object (no comma to drop).
    expect(
      validate(input(`{"a":{"__proto__":${padded(bound)}},"b":${padded(bound - 15)}}`)),
    ).toEqual({
      ok: true,
    });
    expectRejected(
      input(`{"a":{"__proto__":1},"b":${padded(bound - 14)}}`),
      `events[0].input exceeds ${bound} UTF-8 bytes as JSON`,
    );
  });

  it('rejects a payload that is not an object, naming it', () => {
    expectRejected(null, 'payload must be a JSON object, got null');
    expectRejected(undefined, 'payload must be a JSON object, got undefined');
    expectRejected(42, 'payload must be a JSON object, got number');
    expectRejected([{ v: 1, events: [every.text] }], 'payload must be a JSON object, got array');
    // AppSync parses AWSJSON once: a string here was encoded twice.
    expectRejected(
      JSON.stringify({ v: 1, events: [every.text] }),
      'payload must be a JSON object, got string',
    );
  });

  it('rejects a wrong or missing version', () => {
    expectRejected({ v: 2, events: [every.text] }, 'v must be 1');
    expectRejected({ v: '1', events: [every.text] }, 'v must be 1');
    expectRejected({ events: [every.text] }, 'v is required');
  });

  it('rejects missing, empty, non-array and oversized events', () => {
    expectRejected({ v: 1 }, 'events is required');
    expectRejected({ v: 1, events: [] }, 'events must not be empty');
    expectRejected({ v: 1, events: { 0: every.text } }, 'events must be an array, got object');
    expectRejected(
      { v: 1, events: Array.from({ length: LIMITS.chunkEvents + 1 }, () => every.text) },
      `events has ${LIMITS.chunkEvents + 1} events, over the ${LIMITS.chunkEvents} bound`,
    );
    expectRejected(
      { v: 1, events: [every.text, 'text'] },
      'events[1] must be an object, got string',
    );
  });

  it('rejects an unknown event type', () => {
    expectRejected(
      { v: 1, events: [every.text, every.text, { type: 'delta', text: 'x' }] },
      `events[2].type is not a known event type (${CHUNK_EVENT_TYPES.join(', ')})`,
    );
    expectRejected(
      { v: 1, events: [{ text: 'x' }] },
      `events[0].type is not a known event type (${CHUNK_EVENT_TYPES.join(', ')})`,
    );
  });

  it('rejects wrong field types and bounds, naming the path', () => {
    expectRejected(
      { v: 1, events: [every.text, every.text, { type: 'text', text: 5 }] },
      'events[2].text must be a string, got number',
    );
    expectRejected(text(''), 'events[0].text must not be empty');
    expectRejected(text(null), 'events[0].text must be a string, got null');
    expectRejected({ v: 1, events: [{ type: 'text' }] }, 'events[0].text is required');
    expectRejected(
      text('é'.repeat(LIMITS.chunkTextBytes / 2) + 'a'),
      `events[0].text exceeds ${LIMITS.chunkTextBytes} UTF-8 bytes`,
    );
    expectRejected(
      { v: 1, events: [{ ...every.start, attempt: 0 }] },
      'events[0].attempt must be >= 1',
    );
    expectRejected(
      { v: 1, events: [{ ...every.start, attempt: 1.5 }] },
      'events[0].attempt must be an integer',
    );
    expectRejected(
      { v: 1, events: [{ ...every.start, startedAt: '2026-01-01T00:00:00+01:00' }] },
      'events[0].startedAt must be an ISO 8601 UTC date-time (YYYY-MM-DDThh:mm:ss[.fff]Z)',
    );
    expectRejected(
      { v: 1, events: [{ type: 'usage', usage: { ...usage, outputTokens: -1 } }] },
      'events[0].usage.outputTokens must be >= 0',
    );
    expectRejected(
      { v: 1, events: [{ ...every.end, stopReason: 'Done' }] },
      'events[0].stopReason must be a snake_case identifier such as end_turn',
    );
    expectRejected(
      { v: 1, events: [{ ...every.end, timings: { ...timings, totalMs: '9' } }] },
      'events[0].timings.totalMs must be a number',
    );
    expectRejected(
      { v: 1, events: [{ ...every.error, code: 'not-an-id' }] },
      'events[0].code must be an identifier',
    );
    expectRejected(
      { v: 1, events: [{ ...every.error, retryable: 'yes' }] },
      'events[0].retryable must be a boolean',
    );
  });

  it('rejects bad reasoning, tool and step fields, naming the path', () => {
    const one = (event: Record<string, unknown>) => ({ v: 1, events: [event] });
    expectRejected(
      one({
        ...every['reasoning-signature'],
        signature: 'x'.repeat(LIMITS.reasoningSignatureChars + 1),
      }),
      `events[0].signature exceeds ${LIMITS.reasoningSignatureChars} characters`,
    );
    for (const data of ['abc', 'a===', 'ab=c', 'ab c', 'AAAA\n', '-_-_']) {
      expectRejected(
        one({ ...every['reasoning-redacted'], data }),
        'events[0].data must be base64',
      );
    }
    expectRejected(
      one({ ...every['reasoning-redacted'], data: '' }),
      'events[0].data must not be empty',
    );
    expectRejected(
      one({ ...every['tool-call-start'], toolCallId: 'tool.1' }),
      'events[0].toolCallId must be 1-64 of [A-Za-z0-9_-]',
    );
    expectRejected(
      one({ ...every['tool-call-start'], toolName: 'x'.repeat(65) }),
      'events[0].toolName must be 1-64 of [a-zA-Z0-9_-]',
    );
    expectRejected(
      one({ ...every['tool-call-delta'], inputDelta: '' }),
      'events[0].inputDelta must not be empty',
    );
    expectRejected(
      one({ ...every['tool-call'], input: [1] }),
      'events[0].input must be a JSON object, got array',
    );
    expectRejected(
      one({ ...every['tool-call'], input: null }),
      'events[0].input must be a JSON object, got null',
    );
    const { output: _output, ...noOutput } = every['tool-result'];
    expectRejected(one(noOutput), 'events[0].output is required');
    expectRejected(
      one({ ...every['tool-result'], isError: 'false' }),
      'events[0].isError must be a boolean',
    );
    expectRejected(one({ ...every['step-start'], step: 0 }), 'events[0].step must be >= 1');
    expectRejected(
      one({ ...every['step-end'], stopReason: 'Tool Use' }),
      'events[0].stopReason must be a snake_case identifier such as end_turn',
    );
    expectRejected(
      one({ type: 'usage', usage: { ...usage, cacheReadInputTokens: null } }),
      'events[0].usage.cacheReadInputTokens must be a number',
    );
    expectRejected(
      one({ type: 'usage', usage: { ...usage, cacheWriteInputTokens: -1 } }),
      'events[0].usage.cacheWriteInputTokens must be >= 0',
    );
  });

  it('rejects unknown fields (every schema object is strict)', () => {
    expectRejected({ v: 1, events: [every.text], seq: 3 }, 'seq is not a known field');
    expectRejected(
      { v: 1, events: [{ ...every.text, html: '<b>' }] },
      'events[0].html is not a known field',
    );
    expectRejected(
      { v: 1, events: [{ type: 'usage', usage: { ...usage, cacheTokens: 1 } }] },
      'events[0].usage.cacheTokens is not a known field',
    );
  });

  it('rejects a terminal event that is not last', () => {
    expectRejected(
      { v: 1, events: [every.text, every.end, every.text] },
      "events[1] is a terminal 'end' event but not the last event",
    );
  });

  it('knows the same stop reasons, event types and fields as the contracts', () => {
    for (const reason of [...STOP_REASONS, 'model_context_window_exceeded'])
      expect(StopReasonSchema.safeParse(reason).success).toBe(true);
    const types = ChunkEventSchema.def.options.map((o) => o.shape.type.def.values[0] as string);
    expect(EVENT_TYPES).toEqual(types);
    for (const option of ChunkEventSchema.def.options) {
      expect(EVENT_FIELDS[option.shape.type.def.values[0]!]).toEqual(Object.keys(option.shape));
    }
  });
});

describe('parity with the contracts ChunkPayloadSchema', () => {
  it('accepts and rejects the same generated payloads', () => {
    const rand = seeded(20_260_101);
    const samples: unknown[] = [];
    for (const type of EVENT_TYPES) {
      for (let i = 0; i < 30; i += 1) samples.push({ v: 1, events: [validEvent(rand, type)] });
    }
    samples.push(...edgePayloads(rand));
    for (let i = 0; i < 500; i += 1) samples.push(validPayload(rand));
    for (let i = 0; i < 4000; i += 1) samples.push(mutatedPayload(rand));
    let accepted = 0;
    const disagreements: string[] = [];
    for (const sample of samples) {
      // What AppSync hands the resolver: the value of the AWSJSON text.
      const value: unknown = JSON.parse(JSON.stringify(sample) ?? 'null');
      const ours = validate(value);
      const zod = ChunkPayloadSchema.safeParse(value);
      if (ours.ok) accepted += 1;
      if (ours.ok !== zod.success) {
        disagreements.push(
          `${JSON.stringify(value).slice(0, 300)}\n  resolver: ${ours.ok ? 'ok' : ours.message}\n  zod: ${
            zod.success ? 'ok' : JSON.stringify(zod.error.issues).slice(0, 300)
          }`,
        );
      }
    }
    expect(disagreements.slice(0, 5)).toEqual([]);
    // Both outcomes are well represented.
    expect(accepted).toBeGreaterThan(1000);
    expect(samples.length - accepted).toBeGreaterThan(2000);
  });
});

describe('getStreamForPublish request', () => {
  const streamId = 'a1b2c3d4-0000-4000-8000-000000000001';
  const call = (payload: unknown) => {
    const ctx = { args: { input: { streamId, attempt: 1, seq: 0, payload } }, stash: {} };
    try {
      return { result: request(ctx as unknown as Context), stash: ctx.stash, error: null };
    } catch (error) {
      if (!(error instanceof ResolverError)) throw error;
      return { result: null, stash: ctx.stash, error };
    }
  };

  it('stashes a valid payload and reads the stream', () => {
    const payload = { v: 1, events: [every.text] };
    const out = call(payload);
    expect(out.error).toBeNull();
    expect(out.stash).toEqual({ payload: JSON.stringify(payload), terminal: false });
    expect(out.result).toMatchObject({ operation: 'GetItem' });
  });

  it('marks a chunk whose last event is end or error as terminal', () => {
    expect(call({ v: 1, events: [every.text, every.end] }).stash).toMatchObject({ terminal: true });
    expect(call({ v: 1, events: [every.error] }).stash).toMatchObject({ terminal: true });
    expect(call({ v: 1, events: [every.start, every.usage] }).stash).toMatchObject({
      terminal: false,
    });
  });

  it('rejects an invalid payload before reading anything or stashing it', () => {
    const out = call({ v: 1, events: [{ type: 'text', text: 7 }] });
    expect(out.error).toMatchObject({
      message: 'invalid chunk payload: events[0].text must be a string, got number',
      errorType: 'ValidationError',
    });
    expect(out.stash).toEqual({});
    expect(call(undefined).error?.message).toBe(
      'invalid chunk payload: payload must be a JSON object, got undefined',
    );
  });

  it('checks the size bound first', () => {
    const out = call({
      v: 2,
      events: [{ type: 'text', text: 'x'.repeat(LIMITS.chunkPayloadBytes) }],
    });
    expect(out.error?.message).toBe(`payload exceeds ${LIMITS.chunkPayloadBytes} bytes`);
  });

  it('bounds the payload in UTF-8 bytes, not characters', () => {
    // 20,000 three-byte characters: 60 KB of UTF-8 in 20,000 characters.
    const out = call({ v: 1, events: [{ type: 'text', text: '€'.repeat(20_000) }] });
    expect(out.error?.message).toBe(`payload exceeds ${LIMITS.chunkPayloadBytes} bytes`);
    expect(out.stash).toEqual({});
  });
});
