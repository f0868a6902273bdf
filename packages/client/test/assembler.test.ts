import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkAssembler } from '../src/assembler.js';
import {
  attemptChunks,
  catchUp,
  deliveryArb,
  textArb,
  futureAttemptChunks,
  type FutureChunkSpec,
} from './helpers.js';

describe('ChunkAssembler: unit', () => {
  it('assembles in-order chunks and ends', () => {
    const asm = new ChunkAssembler();
    const updates = attemptChunks(1, ['a', 'b', 'c']).flatMap((c) => asm.push(c));
    expect(asm.text).toBe('abc');
    expect(updates.map((u) => u.type)).toEqual([
      'start',
      ...['text', 'part', 'text', 'part', 'text', 'part'],
      'end',
    ]);
    expect(asm.parts).toEqual([{ type: 'text', text: 'abc' }]);
    expect(asm.terminal).toMatchObject({ type: 'end', stopReason: 'end_turn' });
    expect(asm.usage).toEqual({ inputTokens: 3, outputTokens: 3, totalTokens: 6 });
  });

  it('text updates carry the delta and the whole text so far', () => {
    const asm = new ChunkAssembler();
    const [c0, c1] = attemptChunks(1, ['He', 'llo'], { end: false });
    asm.push(c0!);
    expect(asm.push(c1!)).toEqual([
      { type: 'text', attempt: 1, seq: 1, delta: 'llo', text: 'Hello' },
      { type: 'part', attempt: 1, seq: 1, index: 0, part: { type: 'text', text: 'Hello' } },
    ]);
  });

  it('buffers past a missing seq, reports the gap, and drains when it is filled', () => {
    const asm = new ChunkAssembler();
    const [c0, c1, c2, c3] = attemptChunks(1, ['a', 'b', 'c', 'd']);
    asm.push(c0!);
    expect(asm.push(c2!)).toEqual([]);
    expect(asm.push(c3!)).toEqual([]);
    expect(asm.gap()).toEqual({ attempt: 1, afterSeq: 0, nextArrivedSeq: 2 });
    expect(asm.text).toBe('a');
    asm.push(c1!);
    expect(asm.gap()).toBeNull();
    expect(asm.text).toBe('abcd');
    expect(asm.terminal?.type).toBe('end');
  });

  it('an end chunk past what arrived is a gap, not the end', () => {
    const asm = new ChunkAssembler();
    const chunks = attemptChunks(1, ['a', 'b', 'c']);
    asm.push(chunks[0]!);
    asm.push(chunks[2]!);
    expect(asm.terminal).toBeNull();
    expect(asm.gap()).toMatchObject({ afterSeq: 0 });
  });

  it('drops duplicates', () => {
    const asm = new ChunkAssembler();
    const [c0, c1] = attemptChunks(1, ['a', 'b'], { end: false });
    asm.push(c0!);
    asm.push(c1!);
    expect(asm.push(c0!)).toEqual([]);
    expect(asm.push(c1!)).toEqual([]);
    expect(asm.text).toBe('ab');
    expect(asm.stats.duplicates).toBe(2);
  });

  it('a newer attempt resets the text; older-attempt chunks are dropped afterwards', () => {
    const asm = new ChunkAssembler();
    const old = attemptChunks(1, ['old ', 'text'], { end: false });
    const fresh = attemptChunks(2, ['new']);
    asm.push(old[0]!);
    const updates = asm.push(fresh[0]!);
    expect(updates[0]).toEqual({ type: 'reset', attempt: 2, previousAttempt: 1 });
    expect(asm.text).toBe('new');
    expect(asm.push(old[1]!)).toEqual([]);
    expect(asm.stats.stale).toBe(1);
    expect(asm.text).toBe('new');
    expect(asm.attempt).toBe(2);
  });

  it('a newer attempt whose seq 0 is lost reports a gap from -1', () => {
    const asm = new ChunkAssembler();
    asm.push(attemptChunks(1, ['x'], { end: false })[0]!);
    asm.push(attemptChunks(2, ['a', 'b'])[1]!);
    expect(asm.text).toBe('');
    expect(asm.gap()).toEqual({ attempt: 2, afterSeq: -1, nextArrivedSeq: 1 });
  });

  it('a live invalid payload is reported and leaves its seq open for the stored copy', () => {
    const asm = new ChunkAssembler();
    const [c0, c1, c2] = attemptChunks(1, ['a', 'b', 'c']);
    asm.push(c0!);
    const updates = asm.push({
      attempt: 1,
      seq: 1,
      // A known event type without its required field is malformed (an unknown type is not).
      payload: '{"v":1,"events":[{"type":"text"}]}',
    });
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({ type: 'invalid', attempt: 1, seq: 1 });
    asm.push(c2!);
    expect(asm.text).toBe('a');
    expect(asm.gap()).toEqual({ attempt: 1, afterSeq: 0, nextArrivedSeq: 2 });
    asm.push(c1!, 'store');
    expect(asm.text).toBe('abc');
    expect(asm.terminal?.type).toBe('end');
    expect(asm.push({ attempt: 1, seq: 9, payload: 'not json' })).toEqual([]); // after the end
  });

  it('a live invalid payload cannot reset the text by claiming a newer attempt', () => {
    const asm = new ChunkAssembler();
    asm.push(attemptChunks(1, ['a', 'b'], { end: false })[0]!);
    expect(asm.push({ attempt: 7, seq: 0, payload: '{"v":9}' })[0]).toMatchObject({
      type: 'invalid',
      attempt: 7,
    });
    expect(asm.attempt).toBe(1);
    expect(asm.text).toBe('a');
  });

  it('a stored invalid payload is final: skipped, later chunks still assemble', () => {
    const asm = new ChunkAssembler();
    const [c0, , c2] = attemptChunks(1, ['a', 'b', 'c']);
    asm.push(c0!, 'store');
    expect(asm.push({ attempt: 1, seq: 1, payload: '{' }, 'store')[0]).toMatchObject({
      type: 'invalid',
      seq: 1,
    });
    asm.push(c2!, 'store');
    expect(asm.text).toBe('ac');
    expect(asm.terminal?.type).toBe('end');
  });

  it('non-JSON and oversize payloads are invalid too', () => {
    const asm = new ChunkAssembler();
    expect(asm.push({ attempt: 1, seq: 0, payload: '{' })[0]).toMatchObject({ type: 'invalid' });
    expect(asm.push({ attempt: 1, seq: 0, payload: 'x'.repeat(60_000) })[0]).toMatchObject({
      type: 'invalid',
    });
    expect(asm.lastAppliedSeq).toBe(-1);
  });

  it('rejects impossible positions without changing state', () => {
    const asm = new ChunkAssembler();
    expect(asm.push({ attempt: 0, seq: 0, payload: '{}' })[0]).toMatchObject({ type: 'invalid' });
    expect(asm.push({ attempt: 1, seq: -1, payload: '{}' })[0]).toMatchObject({ type: 'invalid' });
    expect(asm.attempt).toBe(0);
  });

  it('a terminal error event ends the attempt', () => {
    const asm = new ChunkAssembler();
    asm.push(attemptChunks(1, ['a'], { end: false })[0]!);
    const updates = asm.push({
      attempt: 1,
      seq: 1,
      payload: JSON.stringify({
        v: 1,
        events: [
          { type: 'error', code: 'ThrottlingException', message: 'slow down', retryable: true },
        ],
      }),
    });
    expect(updates).toEqual([
      {
        type: 'error',
        attempt: 1,
        code: 'ThrottlingException',
        message: 'slow down',
        retryable: true,
      },
    ]);
    expect(asm.terminal).toMatchObject({ type: 'error', retryable: true });
    expect(asm.gap()).toBeNull();
  });

  it('a newer worker’s chunk keeps its known events and text; unknown fields are dropped', () => {
    const asm = new ChunkAssembler();
    const [c0, c1] = futureAttemptChunks(1, [
      { text: 'Hello ', unknown: 2 },
      { text: 'world', unknown: 1 },
    ]);
    const first = asm.push(c0!);
    expect(first).toEqual([
      {
        type: 'skipped',
        attempt: 1,
        seq: 0,
        eventTypes: ['citation', 'guardrail-trace'],
        count: 2,
      },
      // Exactly the known fields: `region` and `confidence` are gone.
      { type: 'start', attempt: 1, modelId: 'test-model', startedAt: '2026-01-01T00:00:00.000Z' },
      { type: 'text', attempt: 1, seq: 0, delta: 'Hello ', text: 'Hello ' },
      { type: 'part', attempt: 1, seq: 0, index: 0, part: { type: 'text', text: 'Hello ' } },
    ]);
    const second = asm.push(c1!);
    expect(second.map((u) => u.type)).toEqual(['skipped', 'text', 'part', 'end']);
    expect(asm.text).toBe('Hello world');
    expect(asm.usage).toEqual({ inputTokens: 1, outputTokens: 2, totalTokens: 3 });
    expect(asm.terminal).toEqual({
      type: 'end',
      stopReason: 'end_turn',
      usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 },
      timings: { timeToFirstTokenMs: 1, totalMs: 2, modelLatencyMs: null },
    });
  });

  it('a chunk of only unknown events is a valid chunk: it consumes its seq, also out of order', () => {
    const asm = new ChunkAssembler();
    const [c0, c1, c2] = futureAttemptChunks(1, [
      { text: 'a', unknown: 0 },
      { unknown: 3 },
      { text: 'b', unknown: 0 },
    ]);
    asm.push(c0!);
    asm.push(c2!);
    expect(asm.gap()).toEqual({ attempt: 1, afterSeq: 0, nextArrivedSeq: 2 });
    const updates = asm.push(c1!, 'live');
    expect(updates.map((u) => u.type)).toEqual(['skipped', 'text', 'part', 'end']);
    expect(updates[0]).toMatchObject({ seq: 1, count: 3 });
    expect(asm.text).toBe('ab');
    expect(asm.gap()).toBeNull();
    expect(asm.lastAppliedSeq).toBe(2);
  });

  it('unknown events are reported only for chunks that are applied (not duplicates)', () => {
    const asm = new ChunkAssembler();
    const [c0, c1] = futureAttemptChunks(1, [{ text: 'a', unknown: 1 }, { unknown: 1 }]);
    const all = [c0!, c0!, c1!, c1!].flatMap((c, i) => asm.push(c, i % 2 ? 'store' : 'live'));
    expect(all.filter((u) => u.type === 'skipped')).toHaveLength(2);
    expect(asm.stats.duplicates).toBe(2);
  });

  it('accepts already-parsed payload objects', () => {
    const asm = new ChunkAssembler();
    const [c0] = attemptChunks(1, ['a']);
    asm.push({ attempt: 1, seq: 0, payload: JSON.parse(c0!.payload) as unknown });
    expect(asm.text).toBe('a');
  });
});

describe('ChunkAssembler: properties', () => {
  it('any permutation, duplication and loss, with catch-up, yields exactly the original text', () => {
    fc.assert(
      fc.property(
        fc.array(textArb, { minLength: 1, maxLength: 25 }).chain((texts) =>
          fc.record({
            texts: fc.constant(texts),
            delivery: deliveryArb(texts.length),
            catchUpAt: fc.array(fc.nat(), { maxLength: 3 }),
            pageSize: fc.integer({ min: 1, max: 7 }),
          }),
        ),
        ({ texts, delivery, catchUpAt, pageSize }) => {
          const store = attemptChunks(1, texts);
          const asm = new ChunkAssembler();
          delivery.forEach((index, i) => {
            asm.push(store[index]!);
            // Catch-up may also run mid-stream (after a gap or a reconnect).
            if (catchUpAt.includes(i)) catchUp(asm, store, pageSize);
          });
          if (!asm.terminal) catchUp(asm, store, pageSize);
          expect(asm.text).toBe(texts.join(''));
          expect(asm.terminal?.type).toBe('end');
          expect(asm.gap()).toBeNull();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('what is assembled is always a prefix of the original text', () => {
    fc.assert(
      fc.property(
        fc
          .array(textArb, { minLength: 1, maxLength: 20 })
          .chain((texts) => fc.tuple(fc.constant(texts), deliveryArb(texts.length))),
        ([texts, delivery]) => {
          const store = attemptChunks(1, texts);
          const full = texts.join('');
          const asm = new ChunkAssembler();
          for (const index of delivery) {
            asm.push(store[index]!);
            expect(full.startsWith(asm.text)).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a newer worker’s chunks (unknown events, unknown fields) lose no text, whatever the delivery', () => {
    const specArb: fc.Arbitrary<FutureChunkSpec> = fc.record(
      { text: textArb, unknown: fc.integer({ min: 0, max: 3 }) },
      { requiredKeys: ['unknown'] },
    );
    fc.assert(
      fc.property(
        fc.array(specArb, { minLength: 1, maxLength: 20 }).chain((specs) =>
          fc.record({
            specs: fc.constant(specs),
            delivery: deliveryArb(specs.length),
            pageSize: fc.integer({ min: 1, max: 7 }),
          }),
        ),
        ({ specs, delivery, pageSize }) => {
          const store = futureAttemptChunks(1, specs);
          const asm = new ChunkAssembler();
          const updates = delivery.flatMap((index) => asm.push(store[index]!));
          if (!asm.terminal) updates.push(...catchUp(asm, store, pageSize));
          const expectedText = specs.map((s) => s.text ?? '').join('');
          // A chunk with no known event gets one unknown event (see futureAttemptChunks).
          const hasKnown = (s: FutureChunkSpec, seq: number) =>
            seq === 0 || seq === specs.length - 1 || s.text !== undefined;
          const expectedSkipped = specs.reduce(
            (n, s, seq) => n + (s.unknown === 0 && !hasKnown(s, seq) ? 1 : s.unknown),
            0,
          );
          expect(asm.text).toBe(expectedText);
          expect(asm.terminal?.type).toBe('end');
          expect(asm.gap()).toBeNull();
          expect(updates.some((u) => u.type === 'invalid')).toBe(false);
          // Each chunk is applied once, so each unknown event is reported once.
          const skipped = updates.flatMap((u) => (u.type === 'skipped' ? [u] : []));
          expect(new Set(skipped.map((u) => u.seq)).size).toBe(skipped.length);
          expect(skipped.reduce((n, u) => n + u.count, 0)).toBe(expectedSkipped);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a newer attempt replaces the older attempt’s text, whatever the interleaving', () => {
    fc.assert(
      fc.property(
        fc
          .record({
            oldTexts: fc.array(textArb, { minLength: 1, maxLength: 10 }),
            newTexts: fc.array(textArb, { minLength: 1, maxLength: 10 }),
          })
          .chain(({ oldTexts, newTexts }) =>
            fc.record({
              oldTexts: fc.constant(oldTexts),
              newTexts: fc.constant(newTexts),
              delivery: deliveryArb(oldTexts.length + newTexts.length),
              pageSize: fc.integer({ min: 1, max: 5 }),
            }),
          ),
        ({ oldTexts, newTexts, delivery, pageSize }) => {
          // Attempt 1 died mid-stream (no end); attempt 2 ran to the end.
          const store = [
            ...attemptChunks(1, oldTexts, { end: false }),
            ...attemptChunks(2, newTexts),
          ];
          const asm = new ChunkAssembler();
          for (const index of delivery) asm.push(store[index]!);
          if (!asm.terminal) catchUp(asm, store, pageSize);
          expect(asm.attempt).toBe(2);
          expect(asm.text).toBe(newTexts.join(''));
          expect(asm.terminal?.type).toBe('end');
        },
      ),
      { numRuns: 300 },
    );
  });
});
