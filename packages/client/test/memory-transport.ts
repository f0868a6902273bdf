/**
 * BOUNDARY STUB for the core-session tests: an in-memory StreamTransport standing in for
 * AppSync + the chunk store, so loss, reordering, dropped connections, lost terminal
 * chunks and worker deaths can be produced deterministically — situations the real local
 * stack cannot produce on demand. The real transport (Apollo + aws-appsync links against
 * the emulator) is covered by e2e.test.ts.
 */
import type { StartStreamInput } from '@org/bedrock-stream-contracts';
import { StreamClientError } from '../src/errors.js';
import type { ChunkSubscriptionHandlers, StreamRecord, StreamTransport } from '../src/transport.js';
import { storedAfter, type StoredChunk } from './helpers.js';

interface Sub {
  streamId: string;
  handlers: ChunkSubscriptionHandlers;
}

/** The one-shot operations a fault can be queued for. */
export type MemoryOperation = 'startStream' | 'cancelStream' | 'getStream' | 'streamChunks';

/**
 * A queued fault: the request is lost before it reaches the server (`request`), or its
 * answer is lost after the server acted on it (`response`), or the server answers with
 * this error (anything else, thrown as is).
 */
export type MemoryFault = 'request' | 'response' | Error;

/** What fetch throws when the network loses a request or its answer. */
export const networkError = () => new TypeError('fetch failed', { cause: new Error('ECONNRESET') });

export class MemoryTransport implements StreamTransport {
  readonly log: string[] = [];
  readonly records = new Map<string, StreamRecord>();
  readonly chunks = new Map<string, StoredChunk[]>();
  private subs = new Set<Sub>();
  /** When set, subscriptions fail instead of being acknowledged. */
  rejectSubscriptions = false;
  /** Called after startStream is recorded (plays the worker). */
  onStart: (input: StartStreamInput) => void = () => {};
  onCancel: (streamId: string) => void = () => {};
  pageSize = 2;
  /** Faults for the next calls of each operation, used up in order. */
  readonly faults: Partial<Record<MemoryOperation, MemoryFault[]>> = {};
  /** Subscriptions refused (as a dropped connection would) before one is acknowledged. */
  failSubscriptions = 0;
  /** How many times the worker was started (one per stream when starts are idempotent). */
  workerStarts = 0;
  resets = 0;

  /** Runs `act` as the server would, unless a queued fault for `operation` says otherwise. */
  private async serve<T>(operation: MemoryOperation, act: () => T): Promise<T> {
    const fault = this.faults[operation]?.shift();
    if (fault === 'request') {
      this.log.push(`${operation}-lost`);
      throw networkError();
    }
    if (fault instanceof Error) {
      this.log.push(`${operation}-refused`);
      throw fault;
    }
    const result = act();
    if (fault === 'response') {
      this.log.push(`${operation}-answer-lost`);
      throw networkError();
    }
    return result;
  }

  subscribe(streamId: string, handlers: ChunkSubscriptionHandlers): () => void {
    const sub = { streamId, handlers };
    this.log.push('subscribe');
    setTimeout(() => {
      if (this.failSubscriptions > 0) {
        this.failSubscriptions -= 1;
        this.log.push('subscribe-dropped');
        handlers.onError?.(new StreamClientError('SUBSCRIBE_FAILED', 'Connection closed', true));
        return;
      }
      if (this.rejectSubscriptions) {
        this.log.push('subscribe-rejected');
        handlers.onError?.(new StreamClientError('SUBSCRIBE_FAILED', 'rejected', true));
        return;
      }
      this.subs.add(sub);
      this.log.push('ack');
      handlers.onAck?.();
    }, 1);
    return () => {
      if (this.subs.delete(sub)) this.log.push('unsubscribe');
    };
  }

  get subscriberCount(): number {
    return this.subs.size;
  }

  async startStream(input: StartStreamInput) {
    this.log.push('startStream');
    return this.serve('startStream', () => this.recordStart(input));
  }

  /** Idempotent, as the resolver: the same id again returns the stream as it is. */
  recordStart(input: StartStreamInput) {
    const existing = this.records.get(input.streamId);
    if (existing) {
      return {
        streamId: input.streamId,
        status: existing.status,
        cancelRequested: existing.cancelRequested,
        createdAt: existing.createdAt,
      };
    }
    this.workerStarts += 1;
    const now = new Date().toISOString();
    this.records.set(input.streamId, {
      streamId: input.streamId,
      status: 'ACCEPTED',
      modelId: input.modelId,
      attempt: 0,
      lastSeq: -1,
      cancelRequested: false,
      stopReason: null,
      usage: null,
      metrics: null,
      error: null,
      createdAt: now,
      updatedAt: now,
    });
    this.chunks.set(input.streamId, []);
    setTimeout(() => this.onStart(input), 1);
    return {
      streamId: input.streamId,
      status: 'ACCEPTED' as const,
      cancelRequested: false,
      createdAt: now,
    };
  }

  async cancelStream(streamId: string) {
    this.log.push('cancelStream');
    return this.serve('cancelStream', () => this.recordCancel(streamId));
  }

  private recordCancel(streamId: string) {
    const record = this.records.get(streamId)!;
    record.cancelRequested = true;
    setTimeout(() => this.onCancel(streamId), 1);
    return { streamId, status: record.status, cancelRequested: true, createdAt: record.createdAt };
  }

  async getStream(streamId: string) {
    this.log.push('getStream');
    return this.serve('getStream', () => {
      const record = this.records.get(streamId);
      return record ? { ...record } : null;
    });
  }

  async streamChunks(v: {
    streamId: string;
    attempt?: number | null;
    afterSeq?: number | null;
    limit?: number | null;
    nextToken?: string | null;
  }) {
    this.log.push('streamChunks');
    return this.serve('streamChunks', () => this.page(v));
  }

  private page(v: {
    streamId: string;
    attempt?: number | null;
    afterSeq?: number | null;
    limit?: number | null;
    nextToken?: string | null;
  }) {
    const all = storedAfter(
      this.chunks.get(v.streamId) ?? [],
      v.attempt ?? null,
      v.afterSeq ?? null,
    );
    const start = v.nextToken ? Number(v.nextToken) : 0;
    const end = start + Math.min(v.limit ?? 100, this.pageSize);
    return { items: all.slice(start, end), nextToken: end < all.length ? String(end) : null };
  }

  /** The worker's publishChunk: store, then fan out (unless `deliver` is false: lost). */
  publish(chunk: StoredChunk, opts: { deliver?: boolean; times?: number } = {}) {
    const list = this.chunks.get(chunk.streamId)!;
    if (!list.some((c) => c.attempt === chunk.attempt && c.seq === chunk.seq)) list.push(chunk);
    const record = this.records.get(chunk.streamId)!;
    record.status = 'RUNNING';
    record.attempt = Math.max(record.attempt, chunk.attempt);
    record.lastSeq = Math.max(record.lastSeq, chunk.seq);
    if (opts.deliver === false) return;
    for (let i = 0; i < (opts.times ?? 1); i++) {
      for (const sub of [...this.subs]) {
        if (sub.streamId === chunk.streamId) sub.handlers.onChunk(chunk);
      }
    }
  }

  /** A message that reaches subscribers but was never stored (garbled or forged in between). */
  deliverOnly(chunk: StoredChunk) {
    for (const sub of [...this.subs])
      if (sub.streamId === chunk.streamId) sub.handlers.onChunk(chunk);
  }

  finishRecord(streamId: string, patch: Partial<StreamRecord>) {
    Object.assign(this.records.get(streamId)!, patch);
  }

  /** A WebSocket drop: every subscription errors and is gone. */
  dropConnections() {
    this.log.push('drop');
    const subs = [...this.subs];
    this.subs.clear();
    for (const sub of subs) {
      sub.handlers.onError?.(new StreamClientError('CONNECTION_LOST', 'Connection closed', true));
    }
  }

  /** As the Apollo transport: every subscription ends with an error and resubscribes. */
  resetConnection() {
    this.resets += 1;
    this.dropConnections();
  }

  close() {
    this.subs.clear();
  }
}
