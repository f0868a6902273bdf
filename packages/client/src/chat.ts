// A conversation as a UI sees it (modelled on vercel/ai's AbstractChat): an immutable
// snapshot of messages, status and error for useSyncExternalStore or any other store, and
// the actions that change it. Every action runs one turn through `client.conversations`
// (the subscription and the mutation at once, see stream.ts) and follows its stream into
// the answer message; the server keeps the history, so load() can reopen a conversation
// anywhere, joining an answer that is still being written (catch-up, then live). It stays
// whole (~750 lines) because every action reads and changes the same snapshot, active turn
// and pending tool calls; the stream machinery and the operations live in their own modules.
import type { MessagePart, Usage, UserPart } from '@org/bedrock-stream-contracts';
import type { StreamClient } from './client.js';
import { newStreamId } from './client.js';
import type { ChatMessage, ConversationTurn, TurnStream } from './conversations.js';
import { classifyError } from './classify-error.js';
import { StreamClientError, describeError } from './errors.js';
import { pendingToolCalls, type PendingToolCall, type ToolResult } from './messages.js';
import type { JsonValue, StreamPart } from './parts.js';
import type { StreamHandle, StreamResult } from './stream-types.js';
import type { TurnOptions } from './turn-options.js';
import {
  checkAttachmentBounds,
  fitAttachments,
  userParts,
  type AttachmentStore,
  type UserContent,
} from './user-content.js';

/**
 * - `loading`: load() is reading the history (a new Chat starts here).
 * - `ready`: nothing runs; send, edit or regenerate.
 * - `submitted`: the turn was sent; no chunk of the answer yet.
 * - `streaming`: the answer streams in.
 * - `awaiting-tool-result`: the answer called client tools: `addToolResult` (or `onToolCall`).
 * - `error`: the last action failed (`error` says why); `retry()` tries it again.
 */
export type ChatStatus =
  'loading' | 'ready' | 'submitted' | 'streaming' | 'awaiting-tool-result' | 'error';

/** What a Chat shows: replaced as a whole on every change, so it can be compared by identity. */
export interface ChatSnapshot {
  /** Oldest first. A changed message is a new object; the others keep their identity. */
  readonly messages: readonly ChatMessage[];
  readonly status: ChatStatus;
  readonly error: StreamClientError | null;
}

/**
 * Runs a client tool the model called. Return its output (any JSON value) to submit it
 * automatically (the answer continues once every pending call has one); throw to submit an
 * error result; return `undefined` to leave the call to `addToolResult`.
 */
export type OnToolCall = (options: {
  toolCall: PendingToolCall;
}) => JsonValue | undefined | Promise<JsonValue | undefined>;

/** What a Chat needs of the client. */
export type ChatClient = Pick<StreamClient, 'conversations' | 'resume'>;

/** Options of {@link Chat}. */
export interface ChatInit {
  client: ChatClient;
  conversationId: string;
  onToolCall?: OnToolCall;
  /** Options of every turn (sampling, client tools, thinking); a function is read per turn. */
  options?: TurnOptions | (() => TurnOptions | undefined);
  /** Where attachments too large to travel inline go (see `AttachmentStore`). */
  attachmentStore?: AttachmentStore;
  /** Called once per answer when its stream ends (also stopped or failed). */
  onFinish?: (message: ChatMessage) => void;
}

const LOADING: ChatSnapshot = Object.freeze({ messages: [], status: 'loading', error: null });

/** The answer being followed. */
interface ActiveTurn {
  handle: StreamHandle;
  messageId: string;
  /** Parts the answer had before this stream (a continuation after tool results). */
  base: readonly MessagePart[];
  /** Usage of the earlier streams of the answer. */
  baseUsage: Usage | undefined;
  /** Stops following; with `detach`, ends the handle unless another chat follows it. */
  release(detach: boolean): void;
}

/** The tool calls the last answer waits for, and the results given so far. */
interface AwaitingTools {
  messageId: string;
  callIds: ReadonlySet<string>;
  results: Map<string, ToolResult>;
}

/**
 * One conversation for a UI, framework free. Call {@link load} first.
 *
 * @example
 * ```ts
 * const chat = new Chat({ client, conversationId });
 * chat.subscribe(() => render(chat.getSnapshot()));
 * await chat.load();
 * await chat.sendMessage('Hello!');
 * ```
 */
export class Chat {
  readonly conversationId: string;
  private snapshot: ChatSnapshot = LOADING;
  private readonly listeners = new Set<() => void>();
  private active: ActiveTurn | null = null;
  private awaiting: AwaitingTools | null = null;
  /** What retry() runs: the action that failed before its turn started. */
  private failedAction: (() => Promise<void>) | null = null;
  private disposed = false;
  /** When this chat's last answer ended, and how often a turn since met it still active. */
  private lastEndedAt = 0;
  private conflictRetries = 0;
  /** A turn is being sent again (see shouldRetryConflict): the chat counts as idle for it. */
  private resending = false;
  /** stop() was called while a turn waited to be sent again. */
  private stopResend = false;

  constructor(private readonly init: ChatInit) {
    this.conversationId = init.conversationId;
  }

  /** Registers a change listener (useSyncExternalStore's `subscribe`). */
  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  };

  /** The current snapshot; the same object until something changes. */
  readonly getSnapshot = (): ChatSnapshot => this.snapshot;

  get messages(): readonly ChatMessage[] {
    return this.snapshot.messages;
  }
  get status(): ChatStatus {
    return this.snapshot.status;
  }
  get error(): StreamClientError | null {
    return this.snapshot.error;
  }

  /**
   * Reads the stored history. An answer still being written (status STREAMING) is joined:
   * its stored chunks first, then live ones. An answer waiting for tool results runs
   * `onToolCall` for them.
   */
  async load(): Promise<void> {
    this.ensureLive();
    if (this.active) throw busy('load', this.snapshot.status);
    this.set({ status: 'loading', error: null });
    const { conversations } = this.init.client;
    let messages: ChatMessage[];
    try {
      const conversation = await conversations.get(this.conversationId);
      if (!conversation) {
        throw new StreamClientError(
          'CONVERSATION_NOT_FOUND',
          `no conversation ${this.conversationId} for this caller`,
          false,
        );
      }
      messages = await conversations.allMessages(this.conversationId);
    } catch (err) {
      if (this.disposed) return;
      this.failedAction = () => this.load();
      this.set({ status: 'error', error: toError(err) });
      return;
    }
    if (this.disposed) return;
    this.failedAction = null;
    this.awaiting = null;
    const last = messages.at(-1);
    if (last?.role === 'assistant' && last.status === 'STREAMING' && last.streamId) {
      // Joined in the background: load() resolves once the history shows.
      const handle = this.init.client.resume(last.streamId);
      this.set({
        messages,
        status: handle.status === 'streaming' ? 'streaming' : 'submitted',
        error: null,
      });
      void this.follow(handle, last.id, last.parts, last.usage);
      return;
    }
    this.set({ messages });
    this.settle();
  }

  /**
   * Sends a user message (text, or text / image / document parts) and streams the answer.
   * Resolves when the answer ends (a failure sets status 'error', it does not reject).
   * @throws StreamClientError `INVALID_INPUT` (bad content: empty, unknown part, an
   *   attachment over Bedrock's or the request's bounds), `CHAT_BUSY` (an answer runs).
   */
  async sendMessage(content: UserContent): Promise<void> {
    this.ensureIdle('sendMessage');
    const prepared = this.prepare(content);
    // Without an AttachmentStore the turn starts at once (status 'submitted' on return).
    const parts = Array.isArray(prepared) ? prepared : await prepared;
    this.ensureIdle('sendMessage');
    const options = this.turnOptions();
    await this.runTurn(
      (streamId) => {
        const now = new Date().toISOString();
        const user: ChatMessage = {
          id: `local-${streamId}`,
          role: 'user',
          parts,
          status: 'COMPLETE',
          createdAt: now,
        };
        return {
          messages: [...this.snapshot.messages, user, answer(streamId, now)],
          userId: user.id,
        };
      },
      (streamId) =>
        this.init.client.conversations.sendMessage(
          { conversationId: this.conversationId, content: parts, ...(options ? { options } : {}) },
          { streamId },
        ),
      () => this.sendMessage(content),
    );
  }

  /**
   * Edits a user message and sends it again: every later message is replaced by the new
   * answer.
   * @throws StreamClientError `INVALID_INPUT` (unknown id, not a user message, bad
   *   content), `CHAT_BUSY`.
   */
  async editMessage(messageId: string, content: UserContent): Promise<void> {
    this.ensureIdle('editMessage');
    const index = this.snapshot.messages.findIndex((m) => m.id === messageId);
    const target = this.snapshot.messages[index];
    if (!target) throw invalid(`editMessage: no message ${messageId} in this chat`);
    if (target.role !== 'user')
      throw invalid(`editMessage: message ${messageId} is not a user message`);
    const prepared = this.prepare(content);
    // Without an AttachmentStore the turn starts at once (status 'submitted' on return).
    const parts = Array.isArray(prepared) ? prepared : await prepared;
    this.ensureIdle('editMessage');
    const options = this.turnOptions();
    await this.runTurn(
      (streamId) => {
        const edited: ChatMessage = { ...target, parts };
        const kept = this.snapshot.messages.slice(0, index);
        return {
          messages: [...kept, edited, answer(streamId, new Date().toISOString())],
          userId: messageId,
        };
      },
      (streamId) =>
        this.init.client.conversations.sendMessage(
          {
            conversationId: this.conversationId,
            content: parts,
            replaceMessageId: messageId,
            ...(options ? { options } : {}),
          },
          { streamId },
        ),
      () => this.editMessage(messageId, content),
    );
  }

  /**
   * Replaces the last answer with a new one.
   * @throws StreamClientError `INVALID_INPUT` (the last message is not an answer), `CHAT_BUSY`.
   */
  async regenerate(): Promise<void> {
    this.ensureIdle('regenerate');
    const last = this.snapshot.messages.at(-1);
    if (last?.role !== 'assistant') throw invalid('regenerate: the last message is not an answer');
    const options = this.turnOptions();
    await this.runTurn(
      (streamId) => ({
        messages: [
          ...this.snapshot.messages.slice(0, -1),
          answer(streamId, new Date().toISOString()),
        ],
      }),
      (streamId) =>
        this.init.client.conversations.regenerate(
          { conversationId: this.conversationId, ...(options ? { options } : {}) },
          { streamId },
        ),
      () => this.regenerate(),
    );
  }

  /**
   * Stops the answer being generated (Bedrock stops too); its partial parts are kept and
   * the message is marked STOPPED. Nothing happens when no answer runs.
   */
  async stop(): Promise<void> {
    this.stopResend = true;
    await this.active?.handle.cancel();
  }

  /**
   * Gives the result of a client tool call of the last answer. Once every pending call has
   * one, they are submitted and the answer continues; resolves when it ends.
   * @throws StreamClientError `CHAT_BUSY` (no answer waits for tool results),
   *   `INVALID_INPUT` (no such pending call, or it already has a result).
   */
  async addToolResult(result: ToolResult): Promise<void> {
    this.ensureLive();
    const awaiting = this.awaiting;
    if (!awaiting || this.snapshot.status !== 'awaiting-tool-result') {
      throw busy('addToolResult', this.snapshot.status, 'no answer waits for tool results');
    }
    if (!awaiting.callIds.has(result.toolCallId)) {
      throw invalid(
        `addToolResult: no pending tool call ${result.toolCallId} (pending: ${[...awaiting.callIds].join(', ')})`,
      );
    }
    if (awaiting.results.has(result.toolCallId)) {
      throw invalid(`addToolResult: tool call ${result.toolCallId} already has a result`);
    }
    awaiting.results.set(result.toolCallId, result);
    this.patch(awaiting.messageId, (m) => ({
      ...m,
      parts: m.parts.map((p) =>
        p.type === 'tool-call' && p.toolCallId === result.toolCallId ? withOutput(p, result) : p,
      ),
    }));
    if (awaiting.results.size === awaiting.callIds.size) await this.submitToolResults(awaiting);
  }

  /**
   * Tries the failed action again: an action whose turn never started (refused, network)
   * is sent again; a failed or stopped answer is regenerated; a failed load loads again.
   * @throws StreamClientError `CHAT_BUSY` when there is nothing to retry.
   */
  async retry(): Promise<void> {
    this.ensureLive();
    const failed = this.failedAction;
    if (failed && this.snapshot.status === 'error') {
      this.failedAction = null;
      this.set({ status: 'ready', error: null });
      return failed();
    }
    const last = this.snapshot.messages.at(-1);
    if (last?.role === 'assistant' && (last.status === 'FAILED' || last.status === 'STOPPED')) {
      return this.regenerate();
    }
    throw busy('retry', this.snapshot.status, 'nothing to retry');
  }

  /**
   * Stops following the answer (it goes on server-side and a later load() joins it) and
   * drops the listeners. Every later action throws `CLIENT_CLOSED`.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const active = this.active;
    this.active = null;
    active?.release(true);
    this.listeners.clear();
  }

  // ---- turns ----

  private async submitToolResults(awaiting: AwaitingTools): Promise<void> {
    const message = this.snapshot.messages.find((m) => m.id === awaiting.messageId);
    if (!message) throw invalid(`addToolResult: message ${awaiting.messageId} is gone`);
    const options = this.turnOptions();
    const results = [...awaiting.results.values()];
    await this.runTurn(
      () => ({
        messages: this.snapshot.messages.map((m) =>
          m.id === awaiting.messageId ? { ...m, status: 'STREAMING' as const } : m,
        ),
        messageId: awaiting.messageId,
        base: message.parts,
        baseUsage: message.usage,
      }),
      (streamId) =>
        this.init.client.conversations.submitToolResults(
          {
            conversationId: this.conversationId,
            messageId: awaiting.messageId,
            results,
            ...(options ? { options } : {}),
          },
          { streamId },
        ),
      () => this.submitToolResults(awaiting),
    );
  }

  /**
   * Runs one turn: starts its stream (input errors throw before anything changes), shows
   * the optimistic messages, follows the answer. When the mutation never took effect the
   * messages go back to what they were and `retry()` sends it again.
   */
  private async runTurn(
    plan: (streamId: string) => {
      messages: readonly ChatMessage[];
      /** The optimistic user message, whose stored id and time the turn brings. */
      userId?: string;
      messageId?: string;
      base?: readonly MessagePart[];
      baseUsage?: Usage | undefined;
    },
    start: (streamId: string) => TurnStream,
    again: () => Promise<void>,
  ): Promise<void> {
    this.resending = false;
    const streamId = newStreamId();
    const before = this.snapshot.messages;
    const turn = start(streamId);
    const planned = plan(streamId);
    this.failedAction = null;
    this.awaiting = null;
    this.set({ messages: planned.messages, status: 'submitted', error: null });
    void turn.turn.then((stored) => stored && this.adopt(stored, planned.userId));
    let sawStream = false;
    const off = turn.handle.subscribe((u) => {
      if (u.type === 'status' && u.status === 'streaming') sawStream = true;
    });
    await this.follow(
      turn.handle,
      planned.messageId ?? streamId,
      planned.base ?? [],
      planned.baseUsage,
      async (r) => {
        off();
        // The mutation never took effect (refused, lost, cancelled before it was sent).
        if ((await turn.turn) !== null || sawStream || r.status === 'done') return false;
        if (r.status !== 'cancelled' && this.shouldRetryConflict(r.error)) {
          // The worker publishes an answer's end before it clears the conversation's
          // active stream: a turn sent right after the end can find it still set. Sent
          // again after a pause, the chat staying 'submitted' meanwhile.
          this.stopResend = false;
          await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** this.conflictRetries));
          this.conflictRetries += 1;
          if (this.disposed) return true;
          if (this.stopResend) {
            // stop() while waiting: the turn is dropped, as if stopped before it was sent.
            this.set({ messages: before });
            this.settle();
            return true;
          }
          // Silently: the resent turn shows its own optimistic messages at once.
          this.snapshot = { ...this.snapshot, messages: before };
          this.resending = true;
          await again()
            .catch((err: unknown) => this.set({ status: 'error', error: toError(err) }))
            .finally(() => (this.resending = false));
          return true;
        }
        this.set({ messages: before });
        if (r.status === 'cancelled') this.settle();
        else {
          this.failedAction = again;
          this.set({ status: 'error', error: r.error });
        }
        return true;
      },
    );
  }

  /** Takes the stored ids and times of a turn's messages over the optimistic ones. */
  private adopt(stored: ConversationTurn, userId: string | undefined): void {
    if (this.disposed) return;
    const user = stored.userMessage;
    this.set({
      messages: this.snapshot.messages.map((m) => {
        if (user && m.id === userId) return { ...m, id: user.id, createdAt: user.createdAt };
        if (
          m.id === stored.assistantMessage.id &&
          m.createdAt !== stored.assistantMessage.createdAt
        ) {
          return { ...m, createdAt: stored.assistantMessage.createdAt };
        }
        return m;
      }),
    });
  }

  /**
   * Follows an answer's stream into its message until it ends. `rolledBack` may undo the
   * turn instead of ending the message (runTurn's).
   */
  private follow(
    handle: StreamHandle,
    messageId: string,
    base: readonly MessagePart[],
    baseUsage: Usage | undefined,
    rolledBack?: (result: StreamResult) => Promise<boolean>,
  ): Promise<StreamResult> {
    let following = true;
    const release = (detach: boolean) => {
      if (!following) return;
      following = false;
      unfollow(handle, detach);
    };
    const active: ActiveTurn = { handle, messageId, base, baseUsage, release };
    this.active = active;
    followers.set(handle, (followers.get(handle) ?? 0) + 1);
    const show = () => {
      if (this.active !== active) return;
      const parts = handle.parts.length === 0 ? base : [...base, ...handle.parts];
      this.patch(messageId, (m) =>
        m.parts === parts && m.streamId === handle.streamId
          ? m
          : { ...m, parts, streamId: handle.streamId },
      );
      if (handle.status === 'streaming' && this.snapshot.status === 'submitted') {
        this.set({ status: 'streaming' });
      }
    };
    const off = handle.subscribe((u) => {
      if (u.type === 'part' || u.type === 'reset' || u.type === 'status') show();
    });
    show();
    return handle.done.then(async (result) => {
      off();
      release(false);
      if (this.active !== active) return result;
      if (rolledBack && (await rolledBack(result))) {
        if (this.active === active) this.active = null;
        return result;
      }
      if (this.active !== active) return result;
      this.active = null;
      this.lastEndedAt = Date.now();
      this.conflictRetries = 0;
      const message = this.finishMessage(messageId, base, baseUsage, result);
      if (result.status === 'error') {
        this.set({ status: 'error', error: result.error });
      } else {
        this.settle();
      }
      if (message) this.init.onFinish?.(message);
      return result;
    });
  }

  /** Writes the ended answer into its message, as the worker stores it. */
  private finishMessage(
    messageId: string,
    base: readonly MessagePart[],
    baseUsage: Usage | undefined,
    result: StreamResult,
  ): ChatMessage | undefined {
    const waiting =
      result.status === 'done' &&
      result.stopReason === 'tool_use' &&
      pendingToolCalls(result.parts).length > 0;
    let finished: ChatMessage | undefined;
    this.patch(messageId, (m) => {
      const next: ChatMessage = {
        ...m,
        parts: result.parts.length === 0 ? base : [...base, ...result.parts],
        streamId: result.streamId,
        status:
          result.status === 'done'
            ? waiting
              ? 'AWAITING_TOOL_RESULT'
              : 'COMPLETE'
            : result.status === 'cancelled'
              ? 'STOPPED'
              : 'FAILED',
      };
      const usage = sumUsage(baseUsage, result.usage ?? undefined);
      if (usage) next.usage = usage;
      if (result.stopReason) next.stopReason = result.stopReason;
      if (result.error) next.error = result.error;
      else delete next.error;
      finished = next;
      return next;
    });
    return finished;
  }

  /** Idle again: waiting for tool results (running `onToolCall`) or ready. */
  private settle(): void {
    const last = this.snapshot.messages.at(-1);
    const pending =
      last?.role === 'assistant' && last.status === 'AWAITING_TOOL_RESULT'
        ? pendingToolCalls(last.parts.filter(isStreamPart))
        : [];
    if (!last || pending.length === 0) {
      this.awaiting = null;
      this.set({ status: 'ready', error: null });
      return;
    }
    this.awaiting = {
      messageId: last.id,
      callIds: new Set(pending.map((c) => c.toolCallId)),
      results: new Map(),
    };
    this.set({ status: 'awaiting-tool-result', error: null });
    const onToolCall = this.init.onToolCall;
    if (onToolCall) for (const call of pending) void this.runTool(onToolCall, call);
  }

  private async runTool(onToolCall: OnToolCall, toolCall: PendingToolCall): Promise<void> {
    let result: ToolResult;
    try {
      const output = await onToolCall({ toolCall });
      if (output === undefined) return; // left to addToolResult
      result = { toolCallId: toolCall.toolCallId, output };
    } catch (err) {
      result = { toolCallId: toolCall.toolCallId, output: describeError(err), isError: true };
    }
    if (this.disposed || this.awaiting?.results.has(toolCall.toolCallId)) return;
    await this.addToolResult(result).catch((err: unknown) => {
      if (!this.disposed) this.set({ status: 'error', error: toError(err) });
    });
  }

  /** A turn refused as conflicting, right after this chat's own answer ended. */
  private shouldRetryConflict(error: StreamClientError | null): boolean {
    return (
      error !== null &&
      classifyError(error).label === 'ConflictError' &&
      Date.now() - this.lastEndedAt < 10_000 &&
      this.conflictRetries < 6
    );
  }

  // ---- state ----

  /** The content as checked parts; only an AttachmentStore makes this wait. */
  private prepare(content: UserContent): UserPart[] | Promise<UserPart[]> {
    const parts = userParts(content);
    const store = this.init.attachmentStore;
    if (store) return fitAttachments(parts, store);
    checkAttachmentBounds(parts);
    return parts;
  }

  private turnOptions(): TurnOptions | undefined {
    const { options } = this.init;
    return typeof options === 'function' ? options() : options;
  }

  private ensureLive(): void {
    if (this.disposed) throw new StreamClientError('CLIENT_CLOSED', 'the chat is disposed', false);
  }

  private ensureIdle(action: string): void {
    this.ensureLive();
    const { status } = this.snapshot;
    if (status === 'ready' || status === 'error' || status === 'awaiting-tool-result') return;
    if (this.resending) return;
    throw busy(action, status);
  }

  private patch(messageId: string, change: (m: ChatMessage) => ChatMessage): void {
    let changed = false;
    const messages = this.snapshot.messages.map((m) => {
      if (m.id !== messageId) return m;
      const next = change(m);
      changed ||= next !== m;
      return next;
    });
    if (changed) this.set({ messages });
  }

  private set(change: Partial<ChatSnapshot>): void {
    if (this.disposed) return;
    const next = { ...this.snapshot, ...change };
    if (
      next.messages === this.snapshot.messages &&
      next.status === this.snapshot.status &&
      next.error === this.snapshot.error
    ) {
      return;
    }
    this.snapshot = next;
    for (const listener of [...this.listeners]) listener();
  }
}

/**
 * How many chats follow each running stream: `client.resume()` hands a second chat of the
 * same conversation the very handle the first follows, and one chat's dispose() must not
 * end it for the other.
 */
const followers = new WeakMap<StreamHandle, number>();

/** One chat stops following `handle`; the last one (on dispose) detaches it. */
function unfollow(handle: StreamHandle, detach: boolean): void {
  const left = (followers.get(handle) ?? 1) - 1;
  if (left > 0) {
    followers.set(handle, left);
    return;
  }
  followers.delete(handle);
  if (detach) handle.detach();
}

/** The optimistic answer of a new turn (its id is the stream id, as the server's). */
function answer(streamId: string, createdAt: string): ChatMessage {
  return { id: streamId, role: 'assistant', parts: [], status: 'STREAMING', streamId, createdAt };
}

function withOutput(part: MessagePart & { type: 'tool-call' }, result: ToolResult): MessagePart {
  const next = {
    ...part,
    state: result.isError ? ('output-error' as const) : ('output-available' as const),
    output: result.output,
  };
  if (result.isError) {
    next.errorText =
      typeof result.output === 'string' ? result.output : JSON.stringify(result.output);
  }
  return next;
}

function isStreamPart(part: MessagePart): part is StreamPart {
  return part.type !== 'image' && part.type !== 'document';
}

function sumUsage(a: Usage | undefined, b: Usage | undefined): Usage | undefined {
  if (!a) return b;
  if (!b) return a;
  const sum: Usage = {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    totalTokens: a.totalTokens + b.totalTokens,
  };
  for (const key of ['cacheReadInputTokens', 'cacheWriteInputTokens'] as const) {
    if (a[key] !== undefined || b[key] !== undefined) sum[key] = (a[key] ?? 0) + (b[key] ?? 0);
  }
  return sum;
}

function invalid(message: string): StreamClientError {
  return new StreamClientError('INVALID_INPUT', message, false);
}

function busy(action: string, status: ChatStatus, why?: string): StreamClientError {
  const reason =
    why ??
    (status === 'loading'
      ? 'the chat is loading (await load() first)'
      : 'an answer is being generated: stop() it or wait for it to end');
  return new StreamClientError('CHAT_BUSY', `${action}: ${reason} (status ${status})`, false);
}

function toError(err: unknown): StreamClientError {
  return err instanceof StreamClientError
    ? err
    : new StreamClientError('QUERY_FAILED', describeError(err), true, { cause: err });
}
