import {
  safeDecodeChunkPayload,
  type ChunkPayload,
  type SkippedEvent,
  type StopReason,
  type Timings,
  type Usage,
} from '@org/bedrock-stream-contracts';
import { PartsBuilder, type StreamPart } from './parts.js';

/** A chunk as delivered (subscription or catch-up): envelope fields plus the raw payload. */
export interface RawChunk {
  attempt: number;
  seq: number;
  /**
   * The AWSJSON string (or an already-parsed object), read with contracts' tolerant
   * `safeDecodeChunkPayload`: unknown fields are dropped, events of unknown types skipped.
   */
  payload: unknown;
}

/** What the assembler reports, in the order things happened in the stream. */
export type AssemblerUpdate =
  | { type: 'start'; attempt: number; modelId: string; startedAt: string }
  /** A newer attempt began: all text and parts of older attempts are discarded. */
  | { type: 'reset'; attempt: number; previousAttempt: number }
  | { type: 'text'; attempt: number; seq: number; delta: string; text: string }
  /**
   * A part was added or changed: `parts[index]` is now `part` (`index` equal to the old
   * length appends). Follows the `text` update of a text event.
   */
  | { type: 'part'; attempt: number; seq: number; index: number; part: StreamPart }
  | { type: 'usage'; usage: Usage }
  /**
   * A chunk carried events of types this version does not know (from a newer worker): they
   * were skipped, the chunk's known events are applied (reported right after this) and its
   * seq is consumed, also when it held nothing else.
   */
  | { type: 'skipped'; attempt: number; seq: number; eventTypes: string[]; count: number }
  | {
      type: 'end';
      attempt: number;
      stopReason: StopReason;
      usage: Usage | null;
      timings: Timings;
    }
  /** The worker's terminal error event. */
  | {
      type: 'error';
      attempt: number;
      code: string;
      message: string;
      retryable: boolean;
      retryAfterSeconds?: number;
    }
  /**
   * A chunk whose payload broke the contract; the stream goes on. A live copy changes
   * nothing (its seq stays open for the stored copy, which catch-up brings); a stored
   * copy is final, so its seq is skipped and later chunks still assemble.
   */
  | { type: 'invalid'; attempt: number; seq: number; message: string };

/**
 * Where a chunk came from: `live` (the subscription, which anything between the
 * resolver and this client could have garbled or forged) or `store` (the catch-up
 * query, the chunks publishChunk validated and stored).
 */
export type ChunkOrigin = 'live' | 'store';

/** The terminal state of an attempt, if reached. */
export type AssemblerTerminal =
  | { type: 'end'; stopReason: StopReason; usage: Usage | null; timings: Timings }
  | {
      type: 'error';
      code: string;
      message: string;
      retryable: boolean;
      /** When a retry can succeed (e.g. a daily quota: the next UTC day). */
      retryAfterSeconds?: number;
    };

/** Where assembled text stops: ask the store for chunks strictly after this. */
export interface GapInfo {
  attempt: number;
  /** Highest seq applied in `attempt` (-1 when none). */
  afterSeq: number;
  /** Lowest seq that arrived past the hole, for diagnostics. */
  nextArrivedSeq: number;
}

type Slot =
  | { ok: true; payload: ChunkPayload; skipped: readonly SkippedEvent[] }
  | { ok: false; message: string };

/**
 * Assembles a stream's text and parts (text, reasoning, tool calls, steps: see parts.ts) from chunks that may arrive duplicated, out of order, lost
 * (and later refilled from the store) and from several worker attempts.
 *
 * Rules: chunks are applied in `(attempt, seq)` order, seq starting at 0 in each attempt;
 * a chunk from a newer worker keeps every event this version knows (unknown event types are
 * skipped and reported as a `skipped` update, unknown fields dropped);
 * a chunk of a newer attempt discards everything of older attempts; chunks of older
 * attempts and duplicates are ignored; chunks past a missing seq wait in a buffer and
 * {@link gap} reports the hole. Pure and synchronous: no I/O, no timers.
 */
export class ChunkAssembler {
  private _attempt = 0;
  private nextSeq = 0;
  private pending = new Map<number, Slot>();
  private _text = '';
  private readonly partsBuilder = new PartsBuilder();
  private _usage: Usage | null = null;
  private _terminal: AssemblerTerminal | null = null;
  private _modelId: string | null = null;
  private _duplicates = 0;
  private _stale = 0;

  /** Current (newest seen) attempt; 0 before any chunk. */
  get attempt(): number {
    return this._attempt;
  }
  /** Text of the current attempt, assembled in seq order without holes. */
  get text(): string {
    return this._text;
  }
  /**
   * The current attempt's ordered parts (text, reasoning, tool calls, step starts); the
   * same array until a part changes, and a changed part is a new object.
   */
  get parts(): readonly StreamPart[] {
    return this.partsBuilder.parts;
  }
  /** Latest usage (usage events or the end event). */
  get usage(): Usage | null {
    return this._usage;
  }
  /** Model id from the current attempt's start event. */
  get modelId(): string | null {
    return this._modelId;
  }
  /** The current attempt's terminal event once applied. */
  get terminal(): AssemblerTerminal | null {
    return this._terminal;
  }
  /** Highest seq applied in the current attempt (-1 when none). */
  get lastAppliedSeq(): number {
    return this.nextSeq - 1;
  }
  /** Counters for diagnostics and tests. */
  get stats(): { duplicates: number; stale: number; buffered: number } {
    return { duplicates: this._duplicates, stale: this._stale, buffered: this.pending.size };
  }

  /**
   * The hole that blocks progress, if chunks past a missing seq are buffered.
   * (Silence with nothing buffered is not visible here; the caller's stall timer covers it.)
   */
  gap(): GapInfo | null {
    if (this.pending.size === 0 || this._terminal) return null;
    return {
      attempt: this._attempt,
      afterSeq: this.nextSeq - 1,
      nextArrivedSeq: Math.min(...this.pending.keys()),
    };
  }

  /** Adds one chunk; returns what became visible because of it (possibly nothing). */
  push(chunk: RawChunk, origin: ChunkOrigin = 'live'): AssemblerUpdate[] {
    const { attempt, seq } = chunk;
    if (!Number.isInteger(attempt) || !Number.isInteger(seq) || attempt < 1 || seq < 0) {
      return [
        {
          type: 'invalid',
          attempt,
          seq,
          message: `chunk has invalid position (${attempt}, ${seq})`,
        },
      ];
    }
    const updates: AssemblerUpdate[] = [];
    if (attempt < this._attempt) {
      this._stale++;
      return updates;
    }
    if (
      attempt === this._attempt &&
      (this._terminal || seq < this.nextSeq || this.pending.has(seq))
    ) {
      this._duplicates++;
      return updates;
    }
    const decoded = safeDecodeChunkPayload(chunk.payload);
    if (!decoded.ok && origin === 'live') {
      // Not even a newer attempt number is believed from a payload that breaks the contract.
      return [{ type: 'invalid', attempt, seq, message: decoded.error.message }];
    }
    if (attempt > this._attempt) {
      if (this._attempt !== 0) {
        updates.push({ type: 'reset', attempt, previousAttempt: this._attempt });
      }
      this._attempt = attempt;
      this.nextSeq = 0;
      this.pending.clear();
      this._text = '';
      this.partsBuilder.reset();
      this._usage = null;
      this._terminal = null;
      this._modelId = null;
    }
    this.pending.set(
      seq,
      decoded.ok
        ? { ok: true, payload: decoded.value, skipped: decoded.skipped }
        : { ok: false, message: decoded.error.message },
    );
    this.drain(updates);
    return updates;
  }

  private drain(updates: AssemblerUpdate[]): void {
    for (let slot = this.pending.get(this.nextSeq); slot; slot = this.pending.get(this.nextSeq)) {
      const seq = this.nextSeq;
      this.pending.delete(seq);
      this.nextSeq++;
      if (!slot.ok) {
        updates.push({ type: 'invalid', attempt: this._attempt, seq, message: slot.message });
        continue;
      }
      if (slot.skipped.length > 0) {
        const eventTypes = [...new Set(slot.skipped.map((e) => e.type))];
        updates.push({
          type: 'skipped',
          attempt: this._attempt,
          seq,
          eventTypes,
          count: slot.skipped.length,
        });
      }
      for (const event of slot.payload.events) {
        const changed = this.partsBuilder.apply(event);
        switch (event.type) {
          case 'start':
            this._modelId = event.modelId;
            updates.push({
              type: 'start',
              attempt: this._attempt,
              modelId: event.modelId,
              startedAt: event.startedAt,
            });
            break;
          case 'text':
            this._text += event.text;
            updates.push({
              type: 'text',
              attempt: this._attempt,
              seq,
              delta: event.text,
              text: this._text,
            });
            break;
          case 'usage':
            this._usage = event.usage;
            updates.push({ type: 'usage', usage: event.usage });
            break;
          case 'end':
            if (event.usage) this._usage = event.usage;
            this._terminal = {
              type: 'end',
              stopReason: event.stopReason,
              usage: event.usage,
              timings: event.timings,
            };
            updates.push({ ...this._terminal, attempt: this._attempt });
            break;
          case 'error':
            this._terminal = {
              type: 'error',
              code: event.code,
              message: event.message,
              retryable: event.retryable,
              ...(event.retryAfterSeconds !== undefined
                ? { retryAfterSeconds: event.retryAfterSeconds }
                : {}),
            };
            updates.push({ ...this._terminal, attempt: this._attempt });
            break;
        }
        if (changed) updates.push({ type: 'part', attempt: this._attempt, seq, ...changed });
      }
      if (this._terminal) {
        // Nothing follows a terminal event in an attempt.
        this.pending.clear();
        return;
      }
    }
  }
}
