import { encodeChunkPayload, type ChunkEvent } from '@org/bedrock-stream-contracts';
import fc from 'fast-check';
import type { AssemblerUpdate, ChunkAssembler, RawChunk } from '../src/assembler.js';

/** A stored chunk as the store / subscription carries it. */
export interface StoredChunk extends RawChunk {
  streamId: string;
  payload: string;
  createdAt: string;
}

const at = '2026-01-01T00:00:00.000Z';

/**
 * The chunks one worker attempt publishes for `texts` (one text per chunk): seq 0 carries
 * the start event, the last one the end event (unless `end` is false: an attempt that died).
 */
export function attemptChunks(
  attempt: number,
  texts: readonly string[],
  opts: { end?: boolean; streamId?: string; stopReason?: 'end_turn' | 'cancelled' } = {},
): StoredChunk[] {
  const end = opts.end ?? true;
  const count = Math.max(texts.length, 1);
  return Array.from({ length: count }, (_, seq) => {
    const events: ChunkEvent[] = [];
    if (seq === 0) events.push({ type: 'start', modelId: 'test-model', attempt, startedAt: at });
    const text = texts[seq];
    if (text !== undefined) events.push({ type: 'text', text });
    if (end && seq === count - 1) {
      events.push({
        type: 'end',
        stopReason: opts.stopReason ?? 'end_turn',
        usage: { inputTokens: 3, outputTokens: texts.length, totalTokens: 3 + texts.length },
        timings: { timeToFirstTokenMs: 1, totalMs: 2, modelLatencyMs: null },
      });
    }
    return {
      streamId: opts.streamId ?? 's',
      attempt,
      seq,
      payload: encodeChunkPayload({ v: 1, events }),
      createdAt: at,
    };
  });
}

/** The store's catch-up semantics: chunks strictly after (attempt, afterSeq), ordered. */
export function storedAfter(
  store: readonly StoredChunk[],
  attempt: number | null,
  afterSeq: number | null,
): StoredChunk[] {
  return store
    .filter((c) =>
      attempt == null
        ? true
        : c.attempt > attempt || (c.attempt === attempt && c.seq > (afterSeq ?? -1)),
    )
    .sort((a, b) => a.attempt - b.attempt || a.seq - b.seq);
}

/** One chunk of a newer worker's attempt: optional text plus `unknown` events of future types. */
export interface FutureChunkSpec {
  text?: string;
  /** How many events of types this client does not know to mix in (0-3). */
  unknown: number;
}

// Types no contract version has yet ('reasoning' was one before it joined the contract).
const FUTURE_TYPES = ['citation', 'guardrail-trace', 'tool_progress'] as const;

/**
 * The chunks a worker NEWER than this client could publish (written as JSON by hand: the
 * contracts' writer refuses them): envelope and known events carry fields this version does
 * not know, and events of unknown types sit before, between and after the known ones (also
 * after the terminal event; only known events must end with it). A spec with neither text
 * nor unknown events is given one unknown event, so every chunk has an event.
 */
export function futureAttemptChunks(
  attempt: number,
  specs: readonly FutureChunkSpec[],
  opts: { streamId?: string } = {},
): StoredChunk[] {
  return specs.map((spec, seq) => {
    const known: Record<string, unknown>[] = [];
    if (seq === 0) {
      known.push({ type: 'start', modelId: 'test-model', attempt, startedAt: at, region: 'x' });
    }
    if (spec.text !== undefined) known.push({ type: 'text', text: spec.text, confidence: 0.5 });
    if (seq === specs.length - 1) {
      known.push({
        type: 'end',
        stopReason: 'end_turn',
        usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3, cacheReadTokens: 7 },
        timings: { timeToFirstTokenMs: 1, totalMs: 2, modelLatencyMs: null, queueMs: 3 },
      });
    }
    const unknown = spec.unknown > 0 || known.length > 0 ? spec.unknown : 1;
    const events = [...known];
    for (let i = 0; i < unknown; i++) {
      // Spread over the chunk: first, then last, then in between.
      const position = i % 3 === 0 ? 0 : i % 3 === 1 ? events.length : Math.ceil(events.length / 2);
      events.splice(position, 0, {
        type: FUTURE_TYPES[(seq + i) % FUTURE_TYPES.length],
        detail: { seq, i },
      });
    }
    return {
      streamId: opts.streamId ?? 's',
      attempt,
      seq,
      payload: JSON.stringify({ v: 1, traceId: `t-${seq}`, events }),
      createdAt: at,
    };
  });
}

/**
 * Catch-up as the client core does it: page through the store after what is assembled.
 * Returns what the pushes reported.
 */
export function catchUp(asm: ChunkAssembler, store: readonly StoredChunk[], pageSize: number) {
  const from = { attempt: asm.attempt, afterSeq: asm.lastAppliedSeq };
  const all = storedAfter(
    store,
    from.attempt > 0 ? from.attempt : null,
    from.attempt > 0 ? from.afterSeq : null,
  );
  const updates: AssemblerUpdate[] = [];
  for (let i = 0; i < all.length; i += pageSize) {
    for (const c of all.slice(i, i + pageSize)) updates.push(...asm.push(c, 'store'));
  }
  return updates;
}

export const textArb = fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' });

/** A delivery of `n` chunks: each delivered 0 (lost) to 3 times, in any order. */
export function deliveryArb(n: number) {
  return fc
    .tuple(
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: n, maxLength: n }),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n * 3, maxLength: n * 3 }),
    )
    .map(([copies, keys]) => {
      const order: number[] = [];
      copies.forEach((k, i) => {
        for (let j = 0; j < k; j++) order.push(i);
      });
      return order
        .map((index, j) => ({ index, key: keys[j] ?? 0 }))
        .sort((a, b) => a.key - b.key)
        .map((d) => d.index);
    });
}
