import { encodeChunkPayload, type ChunkEvent } from '@org/bedrock-stream-contracts';
import type { RawChunk } from '../src/assembler.js';

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
