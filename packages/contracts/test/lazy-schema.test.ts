/**
 * Schemas built on first use (lazy-schema.ts): they parse exactly like the schemas they
 * stand for, and an input that never reaches one never builds it.
 */
import * as z from 'zod/mini';
import { describe, expect, it } from 'vitest';
import {
  ChunkEventSchema,
  ChunkPayloadSchema,
  encodeChunkPayload,
  safeParseStartStreamInput,
} from '../src/index.js';
import { deferred, once } from '../src/lazy-schema.js';

describe('once', () => {
  it('builds on the first call and returns the same value after', () => {
    let builds = 0;
    const schema = once(() => {
      builds += 1;
      return z.string();
    });
    expect(builds).toBe(0);
    expect(schema()).toBe(schema());
    expect(builds).toBe(1);
  });
});

describe('deferred', () => {
  const inner = () =>
    z.strictObject({
      n: z.int().check(z.gte(1, 'n must be at least 1')),
      json: z.pipe(
        z.string(),
        z.transform((s) => JSON.parse(s) as unknown),
      ),
    });

  it('is never built while the field is absent, and built once when a value comes', () => {
    let builds = 0;
    const outer = z.strictObject({
      id: z.string(),
      extra: z.nullish(
        deferred(() => {
          builds += 1;
          return inner();
        }),
      ),
    });
    expect(outer.safeParse({ id: 'a' }).success).toBe(true);
    expect(outer.safeParse({ id: 'a', extra: null }).success).toBe(true);
    expect(builds).toBe(0);
    expect(outer.parse({ id: 'a', extra: { n: 2, json: '[1]' } })).toEqual({
      id: 'a',
      extra: { n: 2, json: [1] },
    });
    outer.parse({ id: 'b', extra: { n: 3, json: '{}' } });
    expect(builds).toBe(1);
  });

  it('gives the output and the issues (messages and paths) of the schema it stands for', () => {
    const direct = z.strictObject({ extra: z.nullish(inner()) });
    const late = z.strictObject({ extra: z.nullish(deferred(inner)) });
    for (const value of [
      { extra: { n: 0, json: '1' } },
      { extra: { n: 1, json: 2, more: true } },
      { extra: 'x' },
      { extra: { n: 5, json: '"ok"' } },
    ]) {
      const a = direct.safeParse(value);
      const b = late.safeParse(value);
      expect(b.success).toBe(a.success);
      if (a.success && b.success) expect(b.data).toEqual(a.data);
      if (!a.success && !b.success)
        expect(b.error.issues.map((i) => [i.path, i.message])).toEqual(
          a.error.issues.map((i) => [i.path, i.message]),
        );
    }
  });
});

describe('the chunk payload, checked one event type at a time', () => {
  const text = { type: 'text', text: 'hi' };
  const end = {
    type: 'end',
    stopReason: 'end_turn',
    usage: null,
    timings: { timeToFirstTokenMs: 1, totalMs: 2, modelLatencyMs: null },
  };

  it('accepts and refuses what the discriminated union of every event does', () => {
    const samples: unknown[] = [
      text,
      end,
      { type: 'text', text: '' },
      { type: 'text', text: 'a', html: '<b>' },
      { type: 'shout', text: 'a' },
      { text: 'a' },
      { type: 7 },
      'text',
      null,
      [text],
      JSON.parse('{"type":"text","text":"a","__proto__":{"x":1}}'),
    ];
    for (const event of samples) {
      const union = ChunkEventSchema.safeParse(event).success;
      expect(
        ChunkPayloadSchema.safeParse({ v: 1, events: [event] }).success,
        JSON.stringify(event),
      ).toBe(union);
    }
  });

  it('names the event and the field of the problem', () => {
    const refuse = (event: unknown) => {
      const parsed = ChunkPayloadSchema.safeParse({ v: 1, events: [text, event] });
      return parsed.success
        ? []
        : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(refuse({ type: 'shout' })).toEqual(['events.1.type: unknown event type "shout"']);
    expect(refuse({ text: 'a' })).toEqual(['events.1.type: unknown event type undefined']);
    expect(refuse('text')[0]).toMatch(/^events\.1: .*expected object/);
    expect(refuse({ type: 'text', text: 'a', html: 'x' })[0]).toMatch(/^events\.1: .*html/);
    expect(() => encodeChunkPayload({ v: 1, events: [text, { type: 'shout' }] } as never)).toThrow(
      /events\.1\.type: unknown event type "shout"/,
    );
  });
});

describe('the startStream input, its optional branches built when used', () => {
  const base = {
    streamId: 'a1b2c3d4-0000-4000-8000-000000000001',
    modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
  };

  it('checks every branch as before', () => {
    expect(safeParseStartStreamInput({ ...base, prompt: 'hi' }).ok).toBe(true);
    const bad = safeParseStartStreamInput({
      ...base,
      messages: [{ role: 'USER', content: [{ image: { format: 'BMP', bytes: 'AA==' } }] }],
      inferenceConfig: { temperature: 2 },
    });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.error.message).toMatch(/messages\.0\.content\.0\.image\.format/);
      expect(bad.error.message).toMatch(/inferenceConfig\.temperature/);
    }
    const tools = safeParseStartStreamInput({
      ...base,
      prompt: 'hi',
      toolConfig: {
        tools: [{ name: 'w', description: 'd', inputSchema: '{"type":"object"}' }],
      },
      thinking: { budgetTokens: 1024 },
    });
    expect(tools.ok && tools.value.toolConfig?.tools[0]?.inputSchema).toEqual({ type: 'object' });
  });
});
