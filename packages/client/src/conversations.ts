// `client.conversations`: the conversation operations, typed from the generated
// operations, every input checked before it is sent and every answer checked with zod
// (stored parts with contracts' parseMessageParts). The three turn mutations start a
// stream exactly like `client.stream()`: the subscription and the mutation at once (after
// start_ack with `subscribeFirst`). It stays whole (~480 lines, much of it TSDoc of the
// public types) so the types, their answer checks and their input checks sit side by side.
import {
  BedrockApiSchema,
  LIMITS,
  MESSAGE_STATUSES,
  ModelIdSchema,
  StoredErrorSchema,
  StopReasonSchema,
  UsageSchema,
  parseMessageParts,
  type BedrockApi,
  type MessagePart,
  type MessageStatus,
  type StopReason,
  type Usage,
} from '@org/bedrock-stream-contracts';
import * as z from 'zod/mini';
import type {
  ConversationMessageRecord,
  ConversationTransport,
  ConversationTurnRecord,
} from './conversation-transport.js';
import { StreamClientError, workerError } from './errors.js';
import type { ToolResult } from './messages.js';
import type { OperationRetrier } from './operation-retry.js';
import type { OperationName } from './options.js';
import { readJsonField } from './record.js';
import type { StreamStarter } from './stream.js';
import type { StreamHandle } from './stream-types.js';
import { encodeTurnOptions, type TurnOptions } from './turn-options.js';
import {
  toContentBlocks,
  userParts,
  checkAttachmentBounds,
  type UserContent,
} from './user-content.js';

/** A conversation (owner only). */
export interface Conversation {
  conversationId: string;
  title: string;
  /** The model every answer of the conversation uses. */
  modelId: string;
  system: string | null;
  api: BedrockApi | null;
  messageCount: number;
  /** The stream generating the newest answer, while it runs. */
  activeStreamId: string | null;
  createdAt: string;
  updatedAt: string;
}

/** One message of a conversation, as stored (and as a {@link Chat} shows it). */
export interface ChatMessage {
  /** The stored message id (an answer's is the stream id that started it). */
  id: string;
  role: 'user' | 'assistant';
  /** User text / image / document parts, or the answer's text / reasoning / tool-call / step parts. */
  parts: readonly MessagePart[];
  /** COMPLETE, STREAMING, AWAITING_TOOL_RESULT, STOPPED or FAILED. */
  status: MessageStatus;
  stopReason?: StopReason;
  usage?: Usage;
  /** Why the answer FAILED. */
  error?: StreamClientError;
  /** An answer's stream (the newest, when tool results continued it). */
  streamId?: string;
  createdAt: string;
}

/** A page of a list; pass `nextToken` back for the next one (null: the last page). */
export interface Page<T> {
  items: T[];
  nextToken: string | null;
}

/** What a turn mutation stored, once its answer arrived. */
export interface ConversationTurn {
  conversation: Conversation;
  /** The stored user message (sendMessage only). */
  userMessage: ChatMessage | null;
  /** The answer the stream fills (status STREAMING). */
  assistantMessage: ChatMessage;
}

/** A turn's stream and, once the mutation answered, what it stored. */
export interface TurnStream {
  /** The answer's stream, as `client.stream()` returns one. */
  handle: StreamHandle;
  /**
   * The stored turn; null when the mutation never answered (refused, cancelled before it
   * was sent, or every answer lost while the stream started anyway).
   */
  turn: Promise<ConversationTurn | null>;
}

/** Options of a turn mutation's stream. */
export interface TurnStreamOptions {
  /** Use this stream id (a lowercase UUID v4) instead of a random one. */
  streamId?: string;
  /** Aborting cancels the answer (as `handle.cancel()`). */
  signal?: AbortSignal;
}

/** `client.conversations`. */
export interface ConversationsApi {
  /**
   * Starts a conversation owned by the caller. A `conversationId` (UUID v4) makes a retried
   * create return the same conversation; one is made when none is given.
   */
  create(input: {
    modelId: string;
    title?: string;
    system?: string;
    api?: BedrockApi;
    conversationId?: string;
  }): Promise<Conversation>;
  /** The caller's conversations, most recently updated first. */
  list(page?: { limit?: number; nextToken?: string | null }): Promise<Page<Conversation>>;
  /** One conversation, or null when unknown or not the caller's. */
  get(conversationId: string): Promise<Conversation | null>;
  rename(conversationId: string, title: string): Promise<Conversation>;
  /** Deletes the conversation at once; its messages and streams go in the background. */
  delete(conversationId: string): Promise<Conversation>;
  /** One page of messages, oldest first. */
  messages(
    conversationId: string,
    page?: { limit?: number; nextToken?: string | null },
  ): Promise<Page<ChatMessage>>;
  /** Every visible message, oldest first (all pages). */
  allMessages(conversationId: string): Promise<ChatMessage[]>;
  /**
   * Stores a user message and streams the answer (the subscription and sendMessage at once).
   * `replaceMessageId`: edit-and-resend from that user message (later messages are dropped).
   * @throws StreamClientError `INVALID_INPUT` (synchronously) for bad content or options.
   */
  sendMessage(
    input: {
      conversationId: string;
      content: UserContent;
      replaceMessageId?: string;
      options?: TurnOptions;
    },
    stream?: TurnStreamOptions,
  ): TurnStream;
  /** Replaces the newest answer (the last message, not streaming) with a new one. */
  regenerate(
    input: { conversationId: string; options?: TurnOptions },
    stream?: TurnStreamOptions,
  ): TurnStream;
  /** Stores the results of the answer's pending client tool calls and continues it. */
  submitToolResults(
    input: {
      conversationId: string;
      messageId: string;
      results: readonly ToolResult[];
      options?: TurnOptions;
    },
    stream?: TurnStreamOptions,
  ): TurnStream;
}

// ---- answers, checked ----

const ConversationSchema = z.object({
  conversationId: z.string(),
  title: z.string(),
  modelId: z.string(),
  system: z.nullish(z.string()),
  api: z.nullish(BedrockApiSchema),
  messageCount: z.int(),
  activeStreamId: z.nullish(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const MessageRecordSchema = z.object({
  messageId: z.string(),
  role: z.enum(['USER', 'ASSISTANT']),
  parts: z.unknown(),
  status: z.enum(MESSAGE_STATUSES),
  streamId: z.nullish(z.string()),
  stopReason: z.nullish(z.string()),
  usage: z.nullish(z.unknown()),
  error: z.nullish(z.unknown()),
  createdAt: z.string(),
});

function badAnswer(operation: string, detail: string): StreamClientError {
  return new StreamClientError(
    'INVALID_PAYLOAD',
    `${operation} answered what the contract does not allow: ${detail}`,
    false,
  );
}

function check<T>(operation: string, schema: z.ZodMiniType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw badAnswer(operation, `${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
}

/** A conversation from the API, checked. */
export function toConversation(operation: string, value: unknown): Conversation {
  const c = check(operation, ConversationSchema, value);
  return {
    conversationId: c.conversationId,
    title: c.title,
    modelId: c.modelId,
    system: c.system ?? null,
    api: c.api ?? null,
    messageCount: c.messageCount,
    activeStreamId: c.activeStreamId ?? null,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

/** A stored message from the API, checked; its parts read with contracts' parseMessageParts. */
export function toChatMessage(operation: string, value: unknown): ChatMessage {
  const m = check(operation, MessageRecordSchema, value);
  const parts = parseMessageParts(m.parts);
  if (!parts.ok) throw badAnswer(operation, `message ${m.messageId}: ${parts.error}`);
  const message: ChatMessage = {
    id: m.messageId,
    role: m.role === 'USER' ? 'user' : 'assistant',
    parts: parts.parts,
    status: m.status,
    createdAt: m.createdAt,
  };
  if (m.streamId) message.streamId = m.streamId;
  const stopReason = StopReasonSchema.safeParse(m.stopReason);
  if (m.stopReason && stopReason.success) message.stopReason = stopReason.data;
  const usage = readJsonField(m.usage, UsageSchema);
  if (usage) message.usage = usage;
  const error = readJsonField(m.error, StoredErrorSchema);
  if (error) {
    message.error = workerError(
      error.code,
      error.message,
      error.retryable,
      error.retryAfterSeconds,
    );
  } else if (m.status === 'FAILED') {
    message.error = new StreamClientError('STREAM_FAILED', 'the answer failed', true);
  }
  return message;
}

function toTurn(operation: string, turn: ConversationTurnRecord): ConversationTurn {
  if (!turn || typeof turn !== 'object') throw badAnswer(operation, 'no turn');
  return {
    conversation: toConversation(operation, turn.conversation),
    userMessage: turn.userMessage ? toChatMessage(operation, turn.userMessage) : null,
    assistantMessage: toChatMessage(operation, turn.assistantMessage),
  };
}

// ---- inputs, checked ----

function invalid(message: string): StreamClientError {
  return new StreamClientError('INVALID_INPUT', message, false);
}

const ID = /^[A-Za-z0-9_-]{1,128}$/;

function checkId(what: string, id: unknown): string {
  if (typeof id !== 'string' || !ID.test(id)) {
    throw invalid(`${what} must be an id (1-128 of A-Z a-z 0-9 _ -), got ${JSON.stringify(id)}`);
  }
  return id;
}

function checkTitle(title: unknown): string {
  if (typeof title !== 'string' || title.trim() === '') throw invalid('title is empty');
  if (title.length > LIMITS.conversationTitleChars) {
    throw invalid(`title exceeds ${LIMITS.conversationTitleChars} characters`);
  }
  return title;
}

function checkPage(page: { limit?: number; nextToken?: string | null } = {}) {
  const { limit, nextToken } = page;
  if (
    limit !== undefined &&
    (!Number.isInteger(limit) || limit < 1 || limit > LIMITS.conversationPageMax)
  ) {
    throw invalid(`limit must be a whole number from 1 to ${LIMITS.conversationPageMax}`);
  }
  return { limit: limit ?? null, nextToken: nextToken ?? null };
}

function checkToolResults(results: readonly ToolResult[]) {
  if (!Array.isArray(results) || results.length === 0) throw invalid('results is empty');
  return results.map((r, i) => {
    if (typeof r?.toolCallId !== 'string' || r.toolCallId === '') {
      throw invalid(`results[${i}].toolCallId is empty`);
    }
    let output: string | undefined;
    try {
      output = JSON.stringify(r.output);
    } catch {
      output = undefined;
    }
    if (output === undefined) throw invalid(`results[${i}].output is not JSON`);
    return { toolUseId: r.toolCallId, output, isError: r.isError ?? false };
  });
}

/** What {@link createConversationsApi} runs on (the client's plumbing). */
export interface ConversationsDeps {
  transport: ConversationTransport | undefined;
  retrier: OperationRetrier;
  /** Opens a stream that starts with `starter` once subscribed (client.ts). */
  open(streamId: string, starter: StreamStarter, signal?: AbortSignal): StreamHandle;
  newId(): string;
  /** Throws CLIENT_CLOSED once the client is closed. */
  ensureOpen(): void;
}

/** Builds `client.conversations`. */
export function createConversationsApi(deps: ConversationsDeps): ConversationsApi {
  const ops = (): ConversationTransport => {
    deps.ensureOpen();
    if (!deps.transport) {
      throw new StreamClientError('QUERY_FAILED', 'this transport has no conversations', false);
    }
    return deps.transport;
  };
  const read = <T>(fn: (t: ConversationTransport) => Promise<T>): Promise<T> => {
    try {
      const t = ops();
      return deps.retrier.run('conversations', () => fn(t));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  };

  /** Opens a turn's stream: the mutation runs once the subscription is acknowledged. */
  const turnStream = (
    operation: Extract<OperationName, 'sendMessage' | 'regenerateMessage' | 'submitToolResults'>,
    stream: TurnStreamOptions,
    mutate: (t: ConversationTransport, streamId: string) => Promise<ConversationTurnRecord>,
  ): TurnStream => {
    const t = ops();
    const streamId = stream.streamId ?? deps.newId();
    checkId('streamId', streamId);
    let settle!: (turn: ConversationTurn | null) => void;
    const turn = new Promise<ConversationTurn | null>((resolve) => (settle = resolve));
    const handle = deps.open(
      streamId,
      {
        operation,
        send: async () => {
          const record = await mutate(t, streamId);
          settle(toTurn(operation, record));
          // A retried turn whose first answer was lost gets the stream as it is now.
          return { status: record.stream?.status ?? 'ACCEPTED' };
        },
      },
      stream.signal,
    );
    void handle.done.then(() => settle(null));
    return { handle, turn };
  };

  return {
    async create(input) {
      const conversationId = checkId('conversationId', input.conversationId ?? deps.newId());
      const model = ModelIdSchema.safeParse(input.modelId);
      if (!model.success) throw invalid(`modelId: ${model.error.issues[0]?.message}`);
      if (input.title !== undefined) checkTitle(input.title);
      if (input.system !== undefined && input.system.length > LIMITS.systemChars) {
        throw invalid(`system exceeds ${LIMITS.systemChars} characters`);
      }
      const created = await read((t) =>
        t.createConversation({
          conversationId,
          modelId: input.modelId,
          ...(input.title !== undefined ? { title: input.title } : {}),
          ...(input.system !== undefined ? { system: input.system } : {}),
          ...(input.api !== undefined ? { api: input.api } : {}),
        }),
      );
      return toConversation('createConversation', created);
    },
    async list(page) {
      const variables = checkPage(page);
      const res = await read((t) => t.listConversations(variables));
      return {
        items: res.items.map((c) => toConversation('listConversations', c)),
        nextToken: res.nextToken ?? null,
      };
    },
    async get(conversationId) {
      checkId('conversationId', conversationId);
      const res = await read((t) => t.getConversation(conversationId));
      return res ? toConversation('getConversation', res) : null;
    },
    async rename(conversationId, title) {
      checkId('conversationId', conversationId);
      checkTitle(title);
      return toConversation(
        'renameConversation',
        await read((t) => t.renameConversation(conversationId, title)),
      );
    },
    async delete(conversationId) {
      checkId('conversationId', conversationId);
      // Sent once: a retry after a lost answer would find nothing left to delete.
      return toConversation('deleteConversation', await ops().deleteConversation(conversationId));
    },
    async messages(conversationId, page) {
      checkId('conversationId', conversationId);
      const variables = { conversationId, ...checkPage(page) };
      const res = await read((t) => t.conversationMessages(variables));
      return {
        items: res.items.map((m: ConversationMessageRecord) =>
          toChatMessage('conversationMessages', m),
        ),
        nextToken: res.nextToken ?? null,
      };
    },
    async allMessages(conversationId) {
      const all: ChatMessage[] = [];
      let nextToken: string | null = null;
      do {
        const page: Page<ChatMessage> = await this.messages(conversationId, {
          limit: LIMITS.conversationPageMax,
          nextToken,
        });
        all.push(...page.items);
        nextToken = page.nextToken;
      } while (nextToken);
      return all;
    },
    sendMessage(input, stream = {}) {
      const conversationId = checkId('conversationId', input.conversationId);
      const parts = userParts(input.content);
      checkAttachmentBounds(parts);
      const content = toContentBlocks(parts);
      const options = encodeTurnOptions(input.options);
      if (input.replaceMessageId !== undefined) checkId('replaceMessageId', input.replaceMessageId);
      return turnStream('sendMessage', stream, (t, streamId) =>
        t.sendMessage({
          conversationId,
          streamId,
          content,
          ...(input.replaceMessageId !== undefined
            ? { replaceMessageId: input.replaceMessageId }
            : {}),
          ...(options ? { options } : {}),
        }),
      );
    },
    regenerate(input, stream = {}) {
      const conversationId = checkId('conversationId', input.conversationId);
      const options = encodeTurnOptions(input.options);
      return turnStream('regenerateMessage', stream, (t, streamId) =>
        t.regenerateMessage({ conversationId, streamId, ...(options ? { options } : {}) }),
      );
    },
    submitToolResults(input, stream = {}) {
      const conversationId = checkId('conversationId', input.conversationId);
      const messageId = checkId('messageId', input.messageId);
      const results = checkToolResults(input.results);
      const options = encodeTurnOptions(input.options);
      return turnStream('submitToolResults', stream, (t, streamId) =>
        t.submitToolResults({
          conversationId,
          messageId,
          streamId,
          results,
          ...(options ? { options } : {}),
        }),
      );
    },
  };
}
