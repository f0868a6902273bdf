/**
 * BOUNDARY STUB for the Chat tests: the conversation resolvers and the worker's message
 * writes, in memory, on top of MemoryTransport (AppSync + the chunk store), so each turn's
 * state transitions can be driven step by step. The real resolvers and worker are covered
 * by conversation-e2e.test.ts against the local stack.
 */
import {
  PartsBuilder,
  encodeChunkPayload,
  type ChunkEvent,
  type CreateConversationInput,
  type RegenerateMessageInput,
  type SendMessageInput,
  type StopReason,
  type SubmitToolResultsInput,
} from '@org/bedrock-stream-contracts';
import type {
  ConversationMessageRecord,
  ConversationRecord,
  ConversationTransport,
  ConversationTurnRecord,
} from '../src/conversation-transport.js';
import { networkError, MemoryTransport } from './memory-transport.js';

const at = () => new Date().toISOString();

/** An error as AppSync reports a resolver's util.error. */
export function appSyncError(errorType: string, message: string): Error {
  return Object.assign(new Error(message), { errors: [{ message, errorType }] });
}

type Op = keyof ConversationTransport;

interface StoredConversation {
  record: ConversationRecord;
  messages: ConversationMessageRecord[];
}

export class MemoryConversations extends MemoryTransport implements ConversationTransport {
  readonly store = new Map<string, StoredConversation>();
  /** Faults for the next calls of each operation: `request` (lost) or an error. */
  readonly convFaults: Partial<Record<Op, ('request' | Error)[]>> = {};
  /** The turns each stream started (idempotent retries return them). */
  private readonly turns = new Map<string, ConversationTurnRecord>();
  private userIds = 0;
  readonly conversations: ConversationTransport = this;

  private fault(op: Op): void {
    const f = this.convFaults[op]?.shift();
    this.log.push(op);
    if (f === 'request') throw networkError();
    if (f) throw f;
  }

  private conv(id: string): StoredConversation {
    const c = this.store.get(id);
    if (!c) throw appSyncError('NotFound', 'conversation not found');
    return c;
  }

  async listConversations(v: { limit?: number | null; nextToken?: string | null }) {
    this.fault('listConversations');
    const all = [...this.store.values()]
      .map((c) => c.record)
      .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
    const start = v.nextToken ? Number(v.nextToken) : 0;
    const end = start + (v.limit ?? 50);
    return { items: all.slice(start, end), nextToken: end < all.length ? String(end) : null };
  }
  async getConversation(id: string) {
    this.fault('getConversation');
    return this.store.get(id)?.record ?? null;
  }
  async conversationMessages(v: {
    conversationId: string;
    limit?: number | null;
    nextToken?: string | null;
  }) {
    this.fault('conversationMessages');
    const c = this.conv(v.conversationId);
    const visible = c.messages.slice(0, c.record.messageCount);
    const start = v.nextToken ? Number(v.nextToken) : 0;
    const end = start + (v.limit ?? 50);
    return {
      items: visible.slice(start, end),
      nextToken: end < visible.length ? String(end) : null,
    };
  }
  async createConversation(input: CreateConversationInput) {
    this.fault('createConversation');
    const id = input.conversationId!;
    const existing = this.store.get(id);
    if (existing) return existing.record;
    const record: ConversationRecord = {
      conversationId: id,
      title: input.title ?? 'New conversation',
      modelId: input.modelId,
      system: input.system ?? null,
      api: input.api ?? null,
      messageCount: 0,
      activeStreamId: null,
      createdAt: at(),
      updatedAt: at(),
    };
    this.store.set(id, { record, messages: [] });
    return record;
  }
  async renameConversation(id: string, title: string) {
    this.fault('renameConversation');
    const c = this.conv(id);
    c.record = { ...c.record, title, updatedAt: at() };
    return c.record;
  }
  async deleteConversation(id: string) {
    this.fault('deleteConversation');
    const c = this.conv(id);
    this.store.delete(id);
    return c.record;
  }

  private begin(c: StoredConversation, streamId: string) {
    if (c.record.activeStreamId) {
      throw appSyncError(
        'ConflictError',
        `an answer is still being generated in this conversation (stream ${c.record.activeStreamId})`,
      );
    }
    c.record = { ...c.record, activeStreamId: streamId, updatedAt: at() };
    this.recordStart({ streamId, modelId: c.record.modelId, prompt: '(conversation turn)' });
  }

  private message(
    c: StoredConversation,
    index: number,
    m: Partial<ConversationMessageRecord>,
  ): ConversationMessageRecord {
    const message: ConversationMessageRecord = {
      conversationId: c.record.conversationId,
      messageId: '',
      index,
      role: 'ASSISTANT',
      parts: '[]',
      status: 'COMPLETE',
      streamId: null,
      stopReason: null,
      usage: null,
      error: null,
      createdAt: at(),
      updatedAt: at(),
      ...m,
    };
    c.messages[index] = message;
    return message;
  }

  private turn(
    c: StoredConversation,
    user: ConversationMessageRecord | null,
    answer: ConversationMessageRecord,
    streamId: string,
  ) {
    const turn: ConversationTurnRecord = {
      conversation: c.record,
      userMessage: user,
      assistantMessage: answer,
      stream: { streamId, status: 'ACCEPTED', cancelRequested: false, createdAt: at() },
    };
    this.turns.set(streamId, turn);
    return turn;
  }

  async sendMessage(input: SendMessageInput) {
    this.fault('sendMessage');
    const done = this.turns.get(input.streamId);
    if (done) return done;
    const c = this.conv(input.conversationId);
    let index = c.record.messageCount;
    if (input.replaceMessageId) {
      index = c.messages.findIndex((m) => m.messageId === input.replaceMessageId);
      if (index < 0 || index >= c.record.messageCount)
        throw appSyncError('ValidationError', 'no such message');
    }
    this.begin(c, input.streamId);
    const parts = input.content.map((b) =>
      b.text != null
        ? { type: 'text', text: b.text }
        : b.image
          ? { type: 'image', ...b.image }
          : { type: 'document', ...b.document },
    );
    const user = this.message(c, index, {
      messageId: `u-${++this.userIds}`,
      role: 'USER',
      parts: JSON.stringify(parts),
    });
    const answer = this.message(c, index + 1, {
      messageId: input.streamId,
      status: 'STREAMING',
      streamId: input.streamId,
    });
    c.record = { ...c.record, messageCount: index + 2 };
    return this.turn(c, user, answer, input.streamId);
  }

  async regenerateMessage(input: RegenerateMessageInput) {
    this.fault('regenerateMessage');
    const done = this.turns.get(input.streamId);
    if (done) return done;
    const c = this.conv(input.conversationId);
    const index = c.record.messageCount - 1;
    const last = c.messages[index];
    if (last?.role !== 'ASSISTANT' || last.status === 'STREAMING')
      throw appSyncError('ValidationError', 'the last message is not a finished answer');
    this.begin(c, input.streamId);
    const answer = this.message(c, index, {
      messageId: input.streamId,
      status: 'STREAMING',
      streamId: input.streamId,
    });
    return this.turn(c, null, answer, input.streamId);
  }

  async submitToolResults(input: SubmitToolResultsInput) {
    this.fault('submitToolResults');
    const done = this.turns.get(input.streamId);
    if (done) return done;
    const c = this.conv(input.conversationId);
    const index = c.record.messageCount - 1;
    const last = c.messages[index];
    if (last?.messageId !== input.messageId || last.status !== 'AWAITING_TOOL_RESULT')
      throw appSyncError('ValidationError', 'the answer does not wait for tool results');
    const given = new Map(input.results.map((r) => [r.toolUseId, r]));
    const parts = (JSON.parse(last.parts) as Record<string, unknown>[]).map((p) => {
      const r = p['type'] === 'tool-call' ? given.get(p['toolCallId'] as string) : undefined;
      if (!r) return p;
      const output = JSON.parse(r.output) as unknown;
      return r.isError
        ? {
            ...p,
            state: 'output-error',
            output,
            errorText: typeof output === 'string' ? output : JSON.stringify(output),
          }
        : { ...p, state: 'output-available', output };
    });
    this.begin(c, input.streamId);
    const answer = this.message(c, index, {
      ...last,
      parts: JSON.stringify(parts),
      status: 'STREAMING',
      streamId: input.streamId,
    });
    return this.turn(c, null, answer, input.streamId);
  }

  /** The conversation and message whose answer `streamId` writes. */
  private answerOf(streamId: string) {
    for (const c of this.store.values()) {
      const message = c.messages.find((m) => m.streamId === streamId);
      if (message) return { c, message };
    }
    return null;
  }

  /** Publishes `events` one a chunk after what the stream holds (the start event first). */
  publishEvents(streamId: string, events: ChunkEvent[]): void {
    let seq = this.records.get(streamId)!.lastSeq + 1;
    const all: ChunkEvent[] =
      seq === 0
        ? [{ type: 'start', modelId: 'test-model', attempt: 1, startedAt: at() }, ...events]
        : events;
    for (const event of all) {
      this.publish({
        streamId,
        attempt: 1,
        seq: seq++,
        payload: encodeChunkPayload({ v: 1, events: [event] }),
        createdAt: at(),
      });
    }
  }

  /**
   * Plays the worker for one answer: publishes `events`, then (unless `end` is false) the
   * end, then stores the message and clears the conversation's active stream, in that
   * order, as the worker does.
   */
  answer(
    streamId: string,
    events: ChunkEvent[],
    opts: { end?: boolean; stopReason?: StopReason; fail?: boolean } = {},
  ): void {
    this.publishEvents(streamId, events);
    if (opts.end !== false) this.endAnswer(streamId, events, opts);
  }

  /** The end of an answer whose events (`all`, from the first) were published. */
  endAnswer(
    streamId: string,
    all: ChunkEvent[],
    opts: { stopReason?: StopReason; fail?: boolean } = {},
  ): void {
    const usage = { inputTokens: 5, outputTokens: all.length, totalTokens: 5 + all.length };
    this.publishEvents(streamId, [
      opts.fail
        ? { type: 'error', code: 'WorkerFailed', message: 'the model failed', retryable: true }
        : {
            type: 'end',
            stopReason: opts.stopReason ?? 'end_turn',
            usage,
            timings: { timeToFirstTokenMs: 1, totalMs: 2, modelLatencyMs: null },
          },
    ]);
    this.storeAnswer(
      streamId,
      all,
      opts.fail ? 'FAILED' : undefined,
      opts.stopReason ?? 'end_turn',
      usage,
    );
  }

  /** The worker's message write alone (its end chunk was published already). */
  storeAnswerOnly(streamId: string, all: ChunkEvent[]): void {
    this.storeAnswer(streamId, all, undefined, 'end_turn', null);
  }

  /** The worker's end of a cancelled stream: the cancelled end chunk and a STOPPED message. */
  cancelAnswer(streamId: string, events: ChunkEvent[]): void {
    const record = this.records.get(streamId)!;
    const seq = record.lastSeq + 1;
    this.publish({
      streamId,
      attempt: 1,
      seq,
      payload: encodeChunkPayload({
        v: 1,
        events: [
          {
            type: 'end',
            stopReason: 'cancelled',
            usage: null,
            timings: { timeToFirstTokenMs: 1, totalMs: 2, modelLatencyMs: null },
          },
        ],
      }),
      createdAt: at(),
    });
    this.finishRecord(streamId, { status: 'CANCELLED' });
    this.storeAnswer(streamId, events, 'STOPPED', 'cancelled', null);
  }

  private storeAnswer(
    streamId: string,
    events: ChunkEvent[],
    status: 'FAILED' | 'STOPPED' | undefined,
    stopReason: StopReason,
    usage: { inputTokens: number; outputTokens: number; totalTokens: number } | null,
  ): void {
    const found = this.answerOf(streamId);
    if (!found) return;
    const { c, message } = found;
    const builder = new PartsBuilder();
    for (const e of events) builder.apply(e);
    const earlier = JSON.parse(message.parts) as unknown[];
    const parts = [...earlier, ...builder.parts];
    const waiting =
      stopReason === 'tool_use' &&
      builder.parts.some((p) => p.type === 'tool-call' && p.state === 'input-available');
    Object.assign(message, {
      parts: JSON.stringify(parts),
      status: status ?? (waiting ? 'AWAITING_TOOL_RESULT' : 'COMPLETE'),
      stopReason,
      usage: usage && JSON.stringify(usage),
      error:
        status === 'FAILED'
          ? JSON.stringify({
              code: 'WorkerFailed',
              message: 'the model failed',
              retryable: true,
            })
          : null,
    });
    if (status !== 'STOPPED')
      this.finishRecord(streamId, { status: status === 'FAILED' ? 'FAILED' : 'COMPLETED' });
    if (c.record.activeStreamId === streamId) c.record = { ...c.record, activeStreamId: null };
  }
}
