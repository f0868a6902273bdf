/**
 * The single-table design shared by the resolvers (which write the stream record
 * and chunk items), the worker (which claims and finishes the record) and infra.
 *
 * Item keys: `pk` = `STREAM#<streamId>`; the record has `sk` = `META`, chunk items
 * `sk` = `CHUNK#<attempt:6>#<seq:9>` so one Query with `sk > chunkSortKey(a, s)`
 * returns every later chunk in (attempt, seq) order. `expiresAt` is the TTL attribute.
 *
 * Per owner (`pk` = `OWNER#<owner>`): `sk` = `ACTIVE` counts the owner's running streams,
 * `RATE#<yyyy-mm-ddThh:mm>` the starts in one UTC minute, and the usage ledger keeps
 * `USAGE#D#<yyyy-mm-dd>` (day) and `USAGE#M#<yyyy-mm>` (month) totals, each also per model
 * (`...#MODEL#<modelId>`), so one Query on a `sk` range reads a date range. `pk` = `GLOBAL`,
 * `sk` = `ACTIVE` counts every running stream.
 *
 * Conversations (`pk` = `CONV#<conversationId>`): `sk` = `META` is the conversation record,
 * `sk` = `MSG#<index:6>` its messages in order. Only indexes below the record's
 * `messageCount` are visible: an edit-and-resend lowers the count instead of deleting the
 * later items (later writes overwrite them, deleting the conversation purges them). The
 * sparse index {@link CONVERSATIONS_BY_OWNER} (`convOwner`, `convUpdatedAt`, on
 * conversation records only) lists one owner's conversations, newest first.
 *
 * Everything here is plain string building (no padStart, no Date), so the APPSYNC_JS
 * resolvers bundle these very functions.
 */
export const TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
  recordSortKey: 'META',
  chunkPrefix: 'CHUNK#',
  ownerPrefix: 'OWNER#',
  globalPartitionKey: 'GLOBAL',
  activeSortKey: 'ACTIVE',
  ratePrefix: 'RATE#',
  usageDayPrefix: 'USAGE#D#',
  usageMonthPrefix: 'USAGE#M#',
  modelInfix: '#MODEL#',
  /** Sorts after every `#MODEL#...` suffix: the upper bound of a usage range query. */
  rangeEnd: '#~',
  conversationPrefix: 'CONV#',
  messagePrefix: 'MSG#',
} as const;

/**
 * The global secondary index listing an owner's conversations by last update (sparse:
 * only conversation records carry its keys). Projects all attributes: a list shows
 * titles and models without a second read.
 */
export const CONVERSATIONS_BY_OWNER = {
  indexName: 'conversationsByOwner',
  /** The owner key (as `StreamRecordItem.owner`). */
  partitionKey: 'convOwner',
  /** The conversation's `updatedAt` (ISO 8601, so strings sort by time). */
  sortKey: 'convUpdatedAt',
} as const;

/** `CONV#<conversationId>`: the partition of a conversation record and its messages. */
export function conversationPartitionKey(conversationId: string): string {
  return `${TABLE.conversationPrefix}${conversationId}`;
}

/** `MSG#<index:6>`: a message's sort key; messages sort in conversation order. */
export function messageSortKey(index: number): string {
  return `${TABLE.messagePrefix}${String(index).padStart(6, '0')}`;
}

export function streamPartitionKey(streamId: string): string {
  return `STREAM#${streamId}`;
}

export function chunkSortKey(attempt: number, seq: number): string {
  return `${TABLE.chunkPrefix}${String(attempt).padStart(6, '0')}#${String(seq).padStart(9, '0')}`;
}

/** `OWNER#<owner>`: the partition of one owner's counters and usage ledger. */
export function ownerPartitionKey(owner: string): string {
  return `${TABLE.ownerPrefix}${owner}`;
}

/** `RATE#<yyyy-mm-ddThh:mm>`: starts of one owner in one UTC minute (`minute` = ISO prefix). */
export function rateSortKey(minute: string): string {
  return `${TABLE.ratePrefix}${minute}`;
}

/** `USAGE#D#<yyyy-mm-dd>[#MODEL#<modelId>]`: one owner's usage on one UTC day. */
export function usageDaySortKey(day: string, modelId?: string): string {
  return `${TABLE.usageDayPrefix}${day}${modelId ? `${TABLE.modelInfix}${modelId}` : ''}`;
}

/** `USAGE#M#<yyyy-mm>[#MODEL#<modelId>]`: one owner's usage in one UTC month. */
export function usageMonthSortKey(month: string, modelId?: string): string {
  return `${TABLE.usageMonthPrefix}${month}${modelId ? `${TABLE.modelInfix}${modelId}` : ''}`;
}

/**
 * Which counters a stream holds a slot in (written by startStream when concurrency quotas
 * are on; the stream's end gives each back, in the same transaction that ends it).
 */
export const STREAM_SLOTS = ['owner', 'global'] as const;
export type StreamSlot = (typeof STREAM_SLOTS)[number];

/** The token counts one stream adds to its owner's ledger when it ends. */
export interface LedgerUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens: number;
  cacheWriteInputTokens: number;
  /**
   * True when Bedrock reported no usage (cancelled, stopped or failed mid-answer): the
   * counts are estimated from the input and the streamed text (4 characters a token).
   */
  estimated: boolean;
}

/** The numeric fields of {@link LedgerUsage} (what the ledger items add up). */
export const LEDGER_TOKEN_FIELDS = [
  'inputTokens',
  'outputTokens',
  'cacheReadInputTokens',
  'cacheWriteInputTokens',
] as const;

/**
 * A ledger item: one owner's totals for one UTC day or month, for all models (no `modelId`)
 * or one model. Every field is added to with DynamoDB `ADD`, so concurrent ends never lose
 * a count; each stream adds once (its end is conditional on the record not being terminal).
 */
export interface UsageLedgerItem {
  pk: string;
  sk: string;
  owner: string;
  /** `yyyy-mm-dd` (day items) or `yyyy-mm` (month items). */
  period: string;
  modelId?: string;
  streams: number;
  /** Streams whose tokens were estimated (see {@link LedgerUsage.estimated}). */
  estimatedStreams: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens: number;
  cacheWriteInputTokens: number;
  expiresAt?: number;
}

/** A running-streams counter (`sk` = `ACTIVE`, per owner or global). */
export interface ActiveCounterItem {
  pk: string;
  sk: typeof TABLE.activeSortKey;
  active: number;
}

/**
 * Attributes of the stream record item (sk = META). Written by startStream
 * (ACCEPTED), claimed and finished by the worker, read by getStream.
 */
export interface StreamRecordItem {
  pk: string;
  sk: typeof TABLE.recordSortKey;
  streamId: string;
  /** Identity key of the caller of startStream; see the resolvers' `ownerOf`. */
  owner: string;
  status: 'ACCEPTED' | 'RUNNING' | 'COMPLETED' | 'CANCELLED' | 'FAILED';
  /** The validated StartStreamInput, without streamId. */
  input: Record<string, unknown>;
  modelId: string;
  attempt: number;
  lastSeq: number;
  /**
   * Seq of the current attempt's terminal chunk (end or error) once stored. Set by
   * publishChunk, so a run that dies before recording its outcome is not redone: the
   * next run records the outcome from that chunk instead of taking the stream over.
   */
  terminalSeq?: number;
  cancelRequested: boolean;
  /** Counters this stream holds a slot in until it ends (absent: none). */
  slots?: StreamSlot[];
  /** What the stream's end added to the owner's ledger (set in the same transaction). */
  ledger?: LedgerUsage;
  /**
   * Set when the stream answers in a conversation (sendMessage, regenerateMessage,
   * submitToolResults): the worker builds the model's input from the stored history and,
   * when the stream ends, writes the answer into that message.
   */
  conversation?: StreamConversationRef;
  stopReason?: string;
  usage?: Record<string, unknown>;
  metrics?: Record<string, unknown>;
  error?: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  expiresAt: number;
}

/** Which conversation message a stream fills (see {@link StreamRecordItem.conversation}). */
export interface StreamConversationRef {
  conversationId: string;
  /** The assistant message's index: the history is the messages before it. */
  messageIndex: number;
  messageId: string;
}

/**
 * The conversation record (`pk` = `CONV#<id>`, `sk` = `META`). `input`-like settings of
 * every answer (model, system prompt, api) live here; the resolvers copy them into each
 * turn's stream record.
 */
export interface ConversationRecordItem {
  pk: string;
  sk: typeof TABLE.recordSortKey;
  conversationId: string;
  owner: string;
  title: string;
  modelId: string;
  system?: string;
  api?: 'CONVERSE' | 'INVOKE_MODEL';
  /** Visible messages: indexes 0 .. messageCount - 1. */
  messageCount: number;
  /** The stream answering now; removed by the worker when it ends. */
  activeStreamId?: string;
  /**
   * Epoch seconds after which an `activeStreamId` no worker cleared is stale (a turn
   * whose worker never ran), so the conversation is not locked forever.
   */
  activeUntil?: number;
  createdAt: string;
  updatedAt: string;
  /** {@link CONVERSATIONS_BY_OWNER} keys: the owner and `updatedAt`. */
  convOwner: string;
  convUpdatedAt: string;
}

/**
 * A conversation message (`pk` = `CONV#<id>`, `sk` = `MSG#<index:6>`). A user message's id
 * is client-made (or AppSync's autoId); an assistant message's id is the streamId of the
 * stream that started it (a continuation after tool results keeps the id).
 */
export interface MessageItem {
  pk: string;
  sk: string;
  conversationId: string;
  messageId: string;
  index: number;
  role: 'USER' | 'ASSISTANT';
  /** JSON text of `MessagePart[]` (read with `parseMessageParts`). */
  parts: string;
  status: 'COMPLETE' | 'STREAMING' | 'AWAITING_TOOL_RESULT' | 'STOPPED' | 'FAILED';
  /** Assistant: the newest stream of the answer. */
  streamId?: string;
  /** Assistant: every stream of the answer (deleting the conversation purges their chunks). */
  streamIds?: string[];
  stopReason?: string;
  /** Assistant: token usage summed over its streams. */
  usage?: Record<string, unknown>;
  error?: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

/** Attributes of a stored chunk item. */
export interface StreamChunkItem {
  pk: string;
  sk: string;
  streamId: string;
  owner: string;
  attempt: number;
  seq: number;
  /** The ChunkPayload JSON string exactly as published. */
  payload: string;
  createdAt: string;
  expiresAt: number;
}
