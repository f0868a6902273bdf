import { encodeChunkPayload, type ChunkEvent } from '@org/bedrock-stream-contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkAssembler, type AssemblerUpdate } from '../src/assembler.js';
import type { StreamPart } from '../src/parts.js';
import { catchUp, deliveryArb } from './helpers.js';
import { chunksOf, expectedParts, expectedText, turnArb, turnEvents } from './turns.js';

const START: ChunkEvent = {
  type: 'start',
  modelId: 'm',
  attempt: 1,
  startedAt: '2026-01-01T00:00:00.000Z',
};

/** Pushes `events` as one chunk each (attempt 1, seq from 0) and returns every update. */
function pushAll(asm: ChunkAssembler, events: readonly ChunkEvent[]): AssemblerUpdate[] {
  return chunksOf(1, events).flatMap((c) => asm.push(c));
}

/** One chunk of attempt 1 at `seq`. */
function chunkAt(seq: number, ...events: ChunkEvent[]) {
  return { attempt: 1, seq, payload: encodeChunkPayload({ v: 1, events }) };
}

function partUpdates(updates: readonly AssemblerUpdate[]) {
  return updates.flatMap((u) => (u.type === 'part' ? [{ index: u.index, part: u.part }] : []));
}

describe('ChunkAssembler parts: unit', () => {
  it('a reasoning + text + tool call turn gives its parts in order, one update per change', () => {
    const asm = new ChunkAssembler();
    const updates = pushAll(asm, [
      START,
      { type: 'reasoning', text: 'The user wants ' },
      { type: 'reasoning', text: 'the weather.' },
      { type: 'reasoning-signature', signature: 'sig-1' },
      { type: 'text', text: 'Let me ' },
      { type: 'text', text: 'check.' },
      { type: 'tool-call-start', toolCallId: 'tc1', toolName: 'get_weather' },
      { type: 'tool-call-delta', toolCallId: 'tc1', inputDelta: '{"city":' },
      { type: 'tool-call-delta', toolCallId: 'tc1', inputDelta: '"Paris"}' },
      { type: 'tool-call', toolCallId: 'tc1', toolName: 'get_weather', input: { city: 'Paris' } },
    ]);
    const reasoning: StreamPart = {
      type: 'reasoning',
      text: 'The user wants the weather.',
      signature: 'sig-1',
    };
    const call: StreamPart = {
      type: 'tool-call',
      toolCallId: 'tc1',
      toolName: 'get_weather',
      state: 'input-available',
      inputText: '{"city":"Paris"}',
      input: { city: 'Paris' },
    };
    expect(asm.parts).toEqual([reasoning, { type: 'text', text: 'Let me check.' }, call]);
    expect(asm.text).toBe('Let me check.');
    expect(partUpdates(updates)).toEqual([
      { index: 0, part: { type: 'reasoning', text: 'The user wants ' } },
      { index: 0, part: { type: 'reasoning', text: 'The user wants the weather.' } },
      { index: 0, part: reasoning },
      { index: 1, part: { type: 'text', text: 'Let me ' } },
      { index: 1, part: { type: 'text', text: 'Let me check.' } },
      {
        index: 2,
        part: { ...call, state: 'streaming-input', inputText: '', input: undefined },
      },
      {
        index: 2,
        part: { ...call, state: 'streaming-input', inputText: '{"city":', input: undefined },
      },
      {
        index: 2,
        part: {
          ...call,
          state: 'streaming-input',
          inputText: '{"city":"Paris"}',
          input: undefined,
        },
      },
      { index: 2, part: call },
    ]);
    // Parts come right after the text update of the same event.
    const types = updates.map((u) => u.type);
    expect(types.slice(types.indexOf('text'), types.indexOf('text') + 2)).toEqual(['text', 'part']);
  });

  it('text merges until another part starts; handle text is the text parts joined', () => {
    const asm = new ChunkAssembler();
    pushAll(asm, [
      START,
      { type: 'text', text: 'a' },
      { type: 'usage', usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 } },
      { type: 'text', text: 'b' },
      { type: 'tool-call', toolCallId: 't', toolName: 'x', input: {} },
      { type: 'text', text: 'c' },
    ]);
    expect(asm.parts.map((p) => p.type)).toEqual(['text', 'tool-call', 'text']);
    expect(asm.parts[0]).toEqual({ type: 'text', text: 'ab' });
    expect(asm.text).toBe('abc');
  });

  it('a signature closes its reasoning part; redacted reasoning is a part of its own', () => {
    const asm = new ChunkAssembler();
    pushAll(asm, [
      START,
      { type: 'reasoning', text: 'one' },
      { type: 'reasoning-signature', signature: 's1' },
      { type: 'reasoning', text: 'two' },
      { type: 'reasoning-redacted', data: 'AAEC' },
      { type: 'reasoning-redacted', data: 'AwQ=' },
      { type: 'reasoning', text: 'three' },
      { type: 'reasoning-signature', signature: 's3' },
      { type: 'reasoning-signature', signature: 's4' },
    ]);
    expect(asm.parts).toEqual([
      { type: 'reasoning', text: 'one', signature: 's1' },
      { type: 'reasoning', text: 'two' },
      { type: 'reasoning', text: '', redacted: 'AAEC' },
      { type: 'reasoning', text: '', redacted: 'AwQ=' },
      { type: 'reasoning', text: 'three', signature: 's3' },
      { type: 'reasoning', text: '', signature: 's4' },
    ]);
    expect(asm.text).toBe('');
  });

  it('a server-side tool call goes to output-available, a failed one to output-error', () => {
    const asm = new ChunkAssembler();
    pushAll(asm, [
      START,
      { type: 'tool-call', toolCallId: 'ok', toolName: 'search', input: { q: 'x' } },
      { type: 'tool-call', toolCallId: 'bad', toolName: 'search', input: { q: 'y' } },
      {
        type: 'tool-result',
        toolCallId: 'ok',
        toolName: 'search',
        output: { hits: [1, 2] },
        isError: false,
      },
      {
        type: 'tool-result',
        toolCallId: 'bad',
        toolName: 'search',
        output: 'index offline',
        isError: true,
      },
    ]);
    expect(asm.parts).toEqual([
      {
        type: 'tool-call',
        toolCallId: 'ok',
        toolName: 'search',
        state: 'output-available',
        inputText: '{"q":"x"}',
        input: { q: 'x' },
        output: { hits: [1, 2] },
      },
      {
        type: 'tool-call',
        toolCallId: 'bad',
        toolName: 'search',
        state: 'output-error',
        inputText: '{"q":"y"}',
        input: { q: 'y' },
        output: 'index offline',
        errorText: 'index offline',
      },
    ]);
  });

  it('tool events without their start still show: the name comes with a later event', () => {
    const asm = new ChunkAssembler();
    pushAll(asm, [
      START,
      { type: 'tool-call-delta', toolCallId: 'q', inputDelta: '{}' },
      { type: 'tool-result', toolCallId: 'r', toolName: 'calc', output: 3, isError: false },
    ]);
    expect(asm.parts).toEqual([
      {
        type: 'tool-call',
        toolCallId: 'q',
        toolName: '',
        state: 'streaming-input',
        inputText: '{}',
      },
      {
        type: 'tool-call',
        toolCallId: 'r',
        toolName: 'calc',
        state: 'output-available',
        inputText: '',
        output: 3,
      },
    ]);
    asm.push(chunkAt(3, { type: 'tool-call', toolCallId: 'q', toolName: 'n', input: {} }));
    expect(asm.parts[0]).toEqual({
      type: 'tool-call',
      toolCallId: 'q',
      toolName: 'n',
      state: 'input-available',
      inputText: '{}',
      input: {},
    });
  });

  it('step-end completes its step-start part; an end of a step never started changes nothing', () => {
    const asm = new ChunkAssembler();
    const usage = {
      inputTokens: 10,
      outputTokens: 5,
      totalTokens: 115,
      cacheReadInputTokens: 100,
    };
    const updates = pushAll(asm, [
      START,
      { type: 'step-start', step: 1 },
      { type: 'text', text: 'hi' },
      { type: 'step-end', step: 1, stopReason: 'end_turn', usage },
      { type: 'step-end', step: 7, stopReason: 'end_turn', usage: null },
    ]);
    expect(asm.parts).toEqual([
      { type: 'step-start', step: 1, stopReason: 'end_turn', usage },
      { type: 'text', text: 'hi' },
    ]);
    expect(partUpdates(updates)).toHaveLength(3);
  });

  it('an unknown stop reason is carried as written; usage keeps the cache tokens', () => {
    const asm = new ChunkAssembler();
    const usage = {
      inputTokens: 3,
      outputTokens: 4,
      totalTokens: 27,
      cacheReadInputTokens: 12,
      cacheWriteInputTokens: 8,
    };
    pushAll(asm, [
      START,
      { type: 'text', text: 'x' },
      { type: 'usage', usage },
      {
        type: 'end',
        stopReason: 'model_wandered_off',
        usage,
        timings: { timeToFirstTokenMs: 1, totalMs: 2, modelLatencyMs: null },
      },
    ]);
    expect(asm.terminal).toMatchObject({ type: 'end', stopReason: 'model_wandered_off', usage });
    expect(asm.usage).toEqual(usage);
  });

  it('a newer attempt replaces every part', () => {
    const asm = new ChunkAssembler();
    pushAll(asm, [START, { type: 'reasoning', text: 'old' }, { type: 'text', text: 'old' }]);
    const updates = asm.push(
      chunksOf(
        2,
        [
          { ...START, attempt: 2 },
          { type: 'text', text: 'new' },
        ],
        [2],
      )[0]!,
    );
    expect(updates.map((u) => u.type)).toEqual(['reset', 'start', 'text', 'part']);
    expect(partUpdates(updates)).toEqual([{ index: 0, part: { type: 'text', text: 'new' } }]);
    expect(asm.parts).toEqual([{ type: 'text', text: 'new' }]);
  });

  it('an unchanged part keeps its identity, and parts stay the same array without a change', () => {
    const asm = new ChunkAssembler();
    pushAll(asm, [START, { type: 'reasoning', text: 'r' }, { type: 'text', text: 'a' }]);
    const before = asm.parts;
    asm.push(
      chunkAt(3, { type: 'usage', usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 } }),
    );
    expect(asm.parts).toBe(before);
    asm.push(chunkAt(4, { type: 'text', text: 'b' }));
    expect(asm.parts).not.toBe(before);
    expect(asm.parts[0]).toBe(before[0]);
    expect(asm.parts[1]).toEqual({ type: 'text', text: 'ab' });
  });
});

describe('ChunkAssembler parts: properties', () => {
  const sizesArb = fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 5 });

  it('any answer, chunking, permutation, duplication and loss, with catch-up, gives exactly the stored parts', () => {
    fc.assert(
      fc.property(
        fc.record({ turn: turnArb, sizes: sizesArb }).chain(({ turn, sizes }) => {
          const store = chunksOf(1, turnEvents(turn), sizes);
          return fc.record({
            turn: fc.constant(turn),
            store: fc.constant(store),
            delivery: deliveryArb(store.length),
            catchUpAt: fc.array(fc.nat(), { maxLength: 3 }),
            pageSize: fc.integer({ min: 1, max: 7 }),
          });
        }),
        ({ turn, store, delivery, catchUpAt, pageSize }) => {
          const asm = new ChunkAssembler();
          // What a UI holds: parts rebuilt from the updates alone.
          let mirror: StreamPart[] = [];
          const follow = (push: () => readonly AssemblerUpdate[]) => {
            const previous = asm.parts;
            const updates = push();
            const touched = new Set<number>();
            for (const u of updates) {
              if (u.type === 'reset') {
                mirror = [];
                touched.clear();
              }
              if (u.type === 'part') {
                expect(u.index).toBeLessThanOrEqual(mirror.length);
                mirror[u.index] = u.part;
                touched.add(u.index);
              }
            }
            // Parts no update named are the very same objects as before.
            asm.parts.forEach((p, i) => {
              if (!touched.has(i) && i < previous.length) expect(p).toBe(previous[i]);
            });
          };
          delivery.forEach((index, i) => {
            follow(() => asm.push(store[index]!));
            if (catchUpAt.includes(i)) follow(() => catchUp(asm, store, pageSize));
          });
          if (!asm.terminal) follow(() => catchUp(asm, store, pageSize));
          expect(asm.parts).toEqual(expectedParts(turn));
          expect(mirror).toEqual(asm.parts);
          expect(asm.text).toBe(expectedText(turn));
          expect(asm.terminal).toMatchObject({
            type: 'end',
            stopReason: turn.stopReason,
            usage: turn.usage,
          });
          expect(asm.gap()).toBeNull();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a newer attempt’s parts replace the older attempt’s, whatever the interleaving', () => {
    fc.assert(
      fc.property(
        fc
          .record({
            oldTurn: turnArb,
            newTurn: turnArb,
            cutAt: fc.nat(),
            sizes: sizesArb,
          })
          .chain(({ oldTurn, newTurn, cutAt, sizes }) => {
            // Attempt 1 died somewhere before its end event; attempt 2 ran to the end.
            const oldEvents = turnEvents(oldTurn, 1);
            const died = oldEvents.slice(0, 1 + (cutAt % (oldEvents.length - 1)));
            const store = [
              ...chunksOf(1, died, sizes),
              ...chunksOf(2, turnEvents(newTurn, 2), sizes),
            ];
            return fc.record({
              newTurn: fc.constant(newTurn),
              store: fc.constant(store),
              delivery: deliveryArb(store.length),
              pageSize: fc.integer({ min: 1, max: 5 }),
            });
          }),
        ({ newTurn, store, delivery, pageSize }) => {
          const asm = new ChunkAssembler();
          for (const index of delivery) asm.push(store[index]!);
          if (!asm.terminal) catchUp(asm, store, pageSize);
          expect(asm.attempt).toBe(2);
          expect(asm.parts).toEqual(expectedParts(newTurn));
          expect(asm.text).toBe(expectedText(newTurn));
        },
      ),
      { numRuns: 200 },
    );
  });
});
