// The worker's side of a conversation turn (contracts TABLE design, CONVERSATIONS.md): read
// the stored history a stream answers, and the end-transaction items that store the answer
// into its message and unlock the conversation.
import {
  GetItemCommand,
  QueryCommand,
  type AttributeValue,
  type DynamoDBClient,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import {
  TABLE,
  conversationPartitionKey,
  conversationToMessages,
  messageSortKey,
  parseMessageParts,
  utf8ByteLength,
  type ConversationRecordItem,
  type HistoryMessage,
  type Message,
  type MessageItem,
  type MessagePart,
  type StopReason,
  type StoredError,
  type StreamConversationRef,
  type StreamPart,
  type TerminalStreamStatus,
  type Usage,
} from '@org/bedrock-stream-contracts';
import { addUsage } from './steps.js';

/** What a conversation turn's stream reads before its model call. */
export interface ConversationTurn {
  conversation: ConversationRecordItem;
  /** Messages `0 .. messageIndex` (the last one is the answer: its parts are earlier steps). */
  history: HistoryMessage[];
}

/** Why a turn's history cannot be read. */
export class ConversationUnavailableError extends Error {
  override readonly name = 'ConversationUnavailableError';
}

/**
 * Parts of one stored message the budget allows: a DynamoDB item holds 400 KB, and the
 * message item carries more than its parts.
 */
export const MESSAGE_PARTS_MAX_BYTES = 350_000;

/** The text that replaces what did not fit (see {@link fitParts}). */
export const PARTS_CUT_TEXT = '[the rest of this answer was too large to store]';

/** Reads and writes a conversation's items (the partition `CONV#<id>`). */
export class ConversationStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /**
   * The conversation record and messages `0 .. ref.messageIndex`, parts parsed.
   * @throws ConversationUnavailableError when the conversation or a message is missing or
   *   a message's parts are unreadable.
   */
  async readTurn(ref: StreamConversationRef): Promise<ConversationTurn> {
    const pk = conversationPartitionKey(ref.conversationId);
    const meta = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: marshall({ [TABLE.partitionKey]: pk, [TABLE.sortKey]: TABLE.recordSortKey }),
        ConsistentRead: true,
      }),
    );
    if (!meta.Item) throw new ConversationUnavailableError('the conversation no longer exists');
    const items: MessageItem[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :last',
          ExpressionAttributeValues: marshall({
            ':pk': pk,
            ':first': messageSortKey(0),
            ':last': messageSortKey(ref.messageIndex),
          }),
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(out.Items ?? []).map((i) => unmarshall(i) as MessageItem));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    if (items.length !== ref.messageIndex + 1)
      throw new ConversationUnavailableError(
        `the conversation has ${items.length} of the ${ref.messageIndex + 1} messages this answer needs`,
      );
    const history = items.map((item): HistoryMessage => {
      const parsed = parseMessageParts(item.parts);
      if (!parsed.ok)
        throw new ConversationUnavailableError(`message ${item.index}: ${parsed.error}`);
      return { role: item.role, parts: parsed.parts };
    });
    return { conversation: unmarshall(meta.Item) as ConversationRecordItem, history };
  }

  /** The answer's message item (consistent read), or null when it is gone. */
  async getMessage(ref: StreamConversationRef): Promise<MessageItem | null> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: marshall({
          [TABLE.partitionKey]: conversationPartitionKey(ref.conversationId),
          [TABLE.sortKey]: messageSortKey(ref.messageIndex),
        }),
        ConsistentRead: true,
      }),
    );
    return out.Item ? (unmarshall(out.Item) as MessageItem) : null;
  }
}

/**
 * The model's messages of a conversation turn: its history read and converted within
 * `tokenBudget` (contracts' conversationToMessages), ending with a user message to answer.
 * Not ok when the conversation, a message or a user message to answer is missing.
 */
export async function readTurnMessages(
  store: ConversationStore,
  ref: StreamConversationRef,
  tokenBudget: number,
): Promise<
  { ok: true; messages: Message[]; droppedMessages: number } | { ok: false; message: string }
> {
  let turn: ConversationTurn;
  try {
    turn = await store.readTurn(ref);
  } catch (error) {
    if (error instanceof ConversationUnavailableError) return { ok: false, message: error.message };
    throw error;
  }
  const history = conversationToMessages(turn.history, { tokenBudget });
  if (history.messages.at(-1)?.role !== 'USER')
    return { ok: false, message: 'the conversation has no user message to answer' };
  return { ok: true, messages: history.messages, droppedMessages: history.droppedMessages };
}

/** How a stream ended, for its conversation message. */
export interface AnswerEnd {
  streamId: string;
  ref: StreamConversationRef;
  status: TerminalStreamStatus;
  stopReason?: StopReason;
  usage?: Usage | null;
  error?: StoredError;
  /** The parts this stream's final attempt produced. */
  parts: readonly StreamPart[];
}

/** The message status of an answer that ended so (see contracts MESSAGE_STATUSES). */
export function answerStatus(end: Pick<AnswerEnd, 'status' | 'stopReason' | 'parts'>) {
  if (end.status === 'FAILED') return 'FAILED' as const;
  if (end.status === 'CANCELLED') return 'STOPPED' as const;
  // Calls with complete input and no output: client tools the app runs next.
  const pending = end.parts.some((p) => p.type === 'tool-call' && p.state === 'input-available');
  return end.stopReason === 'tool_use' && pending
    ? ('AWAITING_TOOL_RESULT' as const)
    : ('COMPLETE' as const);
}

/**
 * `parts` cut to fit {@link MESSAGE_PARTS_MAX_BYTES} of JSON: whole parts are kept in order
 * while they fit, then {@link PARTS_CUT_TEXT} (an answer that big is rare; a stored answer
 * that broke the item size would leave the stream unfinished).
 */
export function fitParts(parts: readonly MessagePart[]): MessagePart[] {
  if (utf8ByteLength(JSON.stringify(parts)) <= MESSAGE_PARTS_MAX_BYTES) return [...parts];
  const kept: MessagePart[] = [];
  let bytes = 2 + utf8ByteLength(JSON.stringify({ type: 'text', text: PARTS_CUT_TEXT })) + 1;
  for (const part of parts) {
    const size = utf8ByteLength(JSON.stringify(part)) + 1;
    if (bytes + size > MESSAGE_PARTS_MAX_BYTES) break;
    kept.push(part);
    bytes += size;
  }
  kept.push({ type: 'text', text: PARTS_CUT_TEXT });
  return kept;
}

/**
 * The end transaction's conversation items: the answer's message (earlier parts + this
 * stream's parts, status, stop reason, usage summed, error) only while the message is still
 * this stream's (a regenerate or edit may have replaced it), and the conversation record's
 * `activeStreamId` cleared only while it is this stream. Each is conditional: the caller
 * drops an item whose condition fails and writes the rest. `message` is the item as read
 * now (null: gone, nothing to write).
 */
export function answerEndItems(
  tableName: string,
  end: AnswerEnd,
  message: MessageItem | null,
  endedAt: Date,
): TransactWriteItem[] {
  const now = endedAt.toISOString();
  const pk = conversationPartitionKey(end.ref.conversationId);
  const items: TransactWriteItem[] = [];
  if (message && message.streamId === end.streamId) {
    const earlier = parseMessageParts(message.parts);
    const parts = fitParts([...(earlier.ok ? earlier.parts : []), ...end.parts]);
    const usage = addUsage((message.usage as Usage | undefined) ?? null, end.usage ?? null);
    const values: Record<string, unknown> = {
      ':parts': JSON.stringify(parts),
      ':status': answerStatus(end),
      ':now': now,
      ':stream': end.streamId,
    };
    // Names go through placeholders: `usage` and `error` are DynamoDB reserved words.
    const names: Record<string, string> = { '#status': 'status' };
    const sets = ['parts = :parts', '#status = :status', 'updatedAt = :now'];
    const removes: string[] = [];
    const fields = { stopReason: end.stopReason, usage, error: end.error };
    for (const [key, value] of Object.entries(fields)) {
      names[`#${key}`] = key;
      if (value !== undefined && value !== null) {
        values[`:${key}`] = value;
        sets.push(`#${key} = :${key}`);
      } else removes.push(`#${key}`); // e.g. no error any more after a continuation
    }
    items.push({
      Update: {
        TableName: tableName,
        Key: marshall({ pk, sk: messageSortKey(end.ref.messageIndex) }),
        UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ConditionExpression: 'streamId = :stream',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: marshall(values, { removeUndefinedValues: true }),
      },
    });
  }
  items.push({
    Update: {
      TableName: tableName,
      Key: marshall({ pk, sk: TABLE.recordSortKey }),
      UpdateExpression:
        'SET updatedAt = :now, convUpdatedAt = :now REMOVE activeStreamId, activeUntil',
      ConditionExpression: 'activeStreamId = :stream',
      ExpressionAttributeValues: marshall({ ':now': now, ':stream': end.streamId }),
    },
  });
  return items;
}
