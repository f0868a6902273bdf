import { describe, expect, it } from 'vitest';
import type { ChunkEvent } from '@org/bedrock-stream-contracts';
import { Coalescer, splitUtf8 } from '../src/coalescer.js';

const start: ChunkEvent = {
  type: 'start',
  modelId: 'm',
  attempt: 1,
  startedAt: '2026-01-01T00:00:00.000Z',
};
const end: ChunkEvent = {
  type: 'end',
  stopReason: 'end_turn',
  usage: null,
  timings: { timeToFirstTokenMs: 1, totalMs: 2, modelLatencyMs: null },
};
const tick = () => new Promise((r) => setTimeout(r, 0));

/** A publish that records chunks and can be held open (a slow AppSync). */
function recorder() {
  const chunks: ChunkEvent[][] = [];
  let release: (() => void) | null = null;
  let hold = false;
  return {
    chunks,
    holdNext() {
      hold = true;
    },
    release() {
      hold = false;
      release?.();
    },
    publish: async (events: ChunkEvent[]) => {
      chunks.push(events);
      if (hold) await new Promise<void>((r) => (release = r));
    },
  };
}

describe('splitUtf8', () => {
  it('never splits a code point', () => {
    const [head, rest] = splitUtf8('ab😀cd', 4);
    expect(head).toBe('ab');
    expect(head + rest).toBe('ab😀cd');
    expect(splitUtf8('é'.repeat(10), 5)).toEqual(['éé', 'é'.repeat(8)]);
  });
});

describe('Coalescer', () => {
  it('publishes the first text at once, with the start event', async () => {
    const rec = recorder();
    let now = 0;
    const c = new Coalescer({
      windowMs: 100,
      maxBytes: 1000,
      publish: rec.publish,
      now: () => now,
    });
    c.push(start);
    await tick();
    expect(rec.chunks).toHaveLength(0); // start waits for the first text
    c.push({ type: 'text', text: 'Hel' });
    await tick();
    expect(rec.chunks).toEqual([[start, { type: 'text', text: 'Hel' }]]);
    now = 500;
    c.push(end);
    await c.done();
  });

  it('batches later text per window and keeps order, terminal event last', async () => {
    const rec = recorder();
    let now = 0;
    const c = new Coalescer({
      windowMs: 100,
      maxBytes: 1000,
      publish: rec.publish,
      now: () => now,
    });
    c.push({ type: 'text', text: 'a' });
    await tick();
    for (const t of ['b', 'c', 'd']) c.push({ type: 'text', text: t });
    await tick();
    expect(rec.chunks).toHaveLength(1); // window not over
    now = 150;
    c.push({ type: 'text', text: 'e' });
    await tick();
    await tick();
    expect(rec.chunks[1]).toEqual([{ type: 'text', text: 'bcde' }]);
    c.push({ type: 'text', text: 'f' });
    c.push(end);
    await c.done();
    expect(rec.chunks.at(-1)).toEqual([{ type: 'text', text: 'f' }, end]);
    expect(
      rec.chunks
        .flat()
        .map((e) => (e.type === 'text' ? e.text : ''))
        .join(''),
    ).toBe('abcdef');
  });

  it('keeps one publish in flight: a slow publish makes the next chunk bigger', async () => {
    const rec = recorder();
    let now = 0;
    const c = new Coalescer({ windowMs: 10, maxBytes: 1000, publish: rec.publish, now: () => now });
    rec.holdNext();
    c.push({ type: 'text', text: 'first' });
    await tick();
    for (let i = 0; i < 50; i += 1) {
      now += 20;
      c.push({ type: 'text', text: 'x' });
      await tick();
    }
    expect(rec.chunks).toHaveLength(1);
    rec.release();
    now += 20;
    c.push(end);
    await c.done();
    expect(rec.chunks).toHaveLength(2);
    expect(rec.chunks[1]).toEqual([{ type: 'text', text: 'x'.repeat(50) }, end]);
  });

  it('splits a huge delta below the byte bound', async () => {
    const rec = recorder();
    const c = new Coalescer({ windowMs: 0, maxBytes: 64, publish: rec.publish, now: () => 0 });
    c.push({ type: 'text', text: 'y'.repeat(300) });
    c.push(end);
    await c.done();
    const texts = rec.chunks.flat().filter((e) => e.type === 'text');
    expect(texts.every((e) => e.type === 'text' && Buffer.byteLength(e.text) <= 64)).toBe(true);
    expect(texts.map((e) => (e.type === 'text' ? e.text : '')).join('')).toBe('y'.repeat(300));
  });

  it('bounds the publish count however fast the model is', async () => {
    const rec = recorder();
    let now = 0;
    const c = new Coalescer({
      windowMs: 100,
      maxBytes: 16_000,
      publish: rec.publish,
      now: () => now,
    });
    // 1,000 tokens at 1,000 tokens/s: one per virtual millisecond.
    for (let i = 0; i < 1000; i += 1) {
      now += 1;
      c.push({ type: 'text', text: 't ' });
      if (i % 10 === 0) await tick();
    }
    c.push(end);
    await c.done();
    expect(rec.chunks.length).toBeLessThanOrEqual(12);
  });

  it('stops without publishing when abandoned', async () => {
    const rec = recorder();
    const c = new Coalescer({ windowMs: 100, maxBytes: 1000, publish: rec.publish, now: () => 0 });
    c.push({ type: 'text', text: 'a' });
    await tick();
    c.push({ type: 'text', text: 'b' });
    c.abandon();
    await c.done();
    expect(rec.chunks).toHaveLength(1);
  });

  it('merges adjacent reasoning and tool-input deltas of one call, keeping order', async () => {
    const rec = recorder();
    const c = new Coalescer({ windowMs: 100, maxBytes: 1000, publish: rec.publish, now: () => 0 });
    c.push(start);
    c.push({ type: 'reasoning', text: 'Let ' });
    c.push({ type: 'reasoning', text: 'me think.' });
    c.push({ type: 'reasoning-signature', signature: 'sig' });
    c.push({ type: 'tool-call-start', toolCallId: 'a', toolName: 'get_weather' });
    c.push({ type: 'tool-call-delta', toolCallId: 'a', inputDelta: '{"city":' });
    c.push({ type: 'tool-call-delta', toolCallId: 'a', inputDelta: '"Paris"}' });
    c.push({ type: 'tool-call-start', toolCallId: 'b', toolName: 'get_weather' });
    c.push({ type: 'tool-call-delta', toolCallId: 'b', inputDelta: '{}' });
    c.push({ type: 'text', text: 'Done' });
    c.push(end);
    await c.done();
    expect(rec.chunks.flat()).toEqual([
      start,
      { type: 'reasoning', text: 'Let me think.' },
      { type: 'reasoning-signature', signature: 'sig' },
      { type: 'tool-call-start', toolCallId: 'a', toolName: 'get_weather' },
      { type: 'tool-call-delta', toolCallId: 'a', inputDelta: '{"city":"Paris"}' },
      { type: 'tool-call-start', toolCallId: 'b', toolName: 'get_weather' },
      { type: 'tool-call-delta', toolCallId: 'b', inputDelta: '{}' },
      { type: 'text', text: 'Done' },
      end,
    ]);
  });

  it('publishes the first reasoning at once, like the first text', async () => {
    const rec = recorder();
    const c = new Coalescer({ windowMs: 100, maxBytes: 1000, publish: rec.publish, now: () => 0 });
    c.push(start);
    c.push({ type: 'step-start', step: 1 });
    await tick();
    expect(rec.chunks).toHaveLength(0);
    c.push({ type: 'reasoning', text: 'Hm' });
    await tick();
    expect(rec.chunks).toEqual([
      [start, { type: 'step-start', step: 1 }, { type: 'reasoning', text: 'Hm' }],
    ]);
    c.abandon();
    await c.done();
  });

  it('keeps the publish bound for mixed reasoning, tool output and text (200 tokens/s)', async () => {
    const rec = recorder();
    let now = 0;
    const c = new Coalescer({
      windowMs: 100,
      maxBytes: 16_000,
      publish: rec.publish,
      now: () => now,
    });
    c.push(start);
    // 1,000 output tokens at 200 tokens/s (one per 5 virtual ms): 300 of reasoning, a tool
    // call of 200 input tokens with its result, then 500 of text; window timers fire at once.
    for (let i = 0; i < 1000; i += 1) {
      now += 5;
      if (i < 300) c.push({ type: 'reasoning', text: 'r ' });
      else if (i === 300) {
        c.push({ type: 'reasoning-signature', signature: 'sig' });
        c.push({ type: 'tool-call-start', toolCallId: 't1', toolName: 'calc' });
      } else if (i < 500) c.push({ type: 'tool-call-delta', toolCallId: 't1', inputDelta: '1' });
      else if (i === 500) {
        c.push({ type: 'tool-call', toolCallId: 't1', toolName: 'calc', input: { n: 1 } });
        c.push({
          type: 'tool-result',
          toolCallId: 't1',
          toolName: 'calc',
          output: 2,
          isError: false,
        });
        c.push({ type: 'step-end', step: 1, stopReason: 'tool_use', usage: null });
        c.push({ type: 'step-start', step: 2 });
      } else c.push({ type: 'text', text: 't ' });
      await tick();
    }
    c.push(end);
    await c.done();
    expect(rec.chunks.length).toBeLessThanOrEqual(60);
    const all = rec.chunks.flat();
    expect(
      all
        .filter((e) => e.type === 'reasoning')
        .map((e) => (e.type === 'reasoning' ? e.text : ''))
        .join(''),
    ).toBe('r '.repeat(300));
    expect(all.at(-1)).toEqual(end);
  });
});
