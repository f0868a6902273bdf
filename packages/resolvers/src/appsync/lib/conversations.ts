// Shared helpers of the conversation resolvers (APPSYNC_JS subset): keys, the owner check,
// and the GraphQL shapes of stored conversation records and messages.
import { util } from '@aws-appsync/utils';
import {
  CONVERSATIONS_BY_OWNER,
  TABLE,
  conversationPartitionKey,
} from '@org/bedrock-stream-contracts/table';
import { LIMITS, assertUuid, ownerOf } from './common.js';

export { CONVERSATIONS_BY_OWNER, conversationPartitionKey };

/**
 * How long a turn holds its conversation (`activeUntil`): the worker clears
 * `activeStreamId` when the answer ends; a turn whose worker never ran stops blocking the
 * conversation after this.
 */
export const TURN_LOCK_SECONDS = 20 * 60;

/** Condition names: `owner`, `status`, `index` and `role` are DynamoDB reserved words. */
export const NAMES: Record<string, string> = {
  '#owner': 'owner',
  '#status': 'status',
};

/**
 * `MSG#<index:6>`, the same value as contracts' messageSortKey (which uses padStart, and
 * APPSYNC_JS has none; a test asserts they agree).
 */
export function messageSortKeyOf(index: number): string {
  return `${TABLE.messagePrefix}${`000000${index}`.slice(-6)}`;
}

export function conversationKey(conversationId: string): Record<string, unknown> {
  return util.dynamodb.toMapValues({
    pk: conversationPartitionKey(conversationId),
    sk: TABLE.recordSortKey,
  });
}

export function messageKey(conversationId: string, index: number): Record<string, unknown> {
  return util.dynamodb.toMapValues({
    pk: conversationPartitionKey(conversationId),
    sk: messageSortKeyOf(index),
  });
}

/** The conversation id argument (top level, or in `input`), checked. */
export function conversationIdOf(args: Record<string, unknown>): string {
  const input = args['input'] as Record<string, unknown> | null | undefined;
  return assertUuid('conversationId', input ? input['conversationId'] : args['conversationId']);
}

/** Whether a conversation record belongs to the caller. */
export function ownsConversation(
  record: Record<string, unknown> | null | undefined,
  identity: unknown,
): boolean {
  return !!record && record['owner'] === ownerOf(identity as Record<string, unknown> | null);
}

/** The error for a conversation that is missing or not the caller's (the two look alike). */
export function conversationNotFound(): void {
  util.error('conversation not found', 'NotFound');
}

/**
 * The condition of a write to a conversation record: it exists and is the caller's (a
 * missing one and another owner's fail alike, see {@link ownedConversationWriteResult}).
 */
export function ownedConversationCondition(identity: unknown): Record<string, unknown> {
  return {
    expression: 'attribute_exists(pk) AND #owner = :owner',
    expressionNames: { '#owner': NAMES['#owner'] as string },
    expressionValues: util.dynamodb.toMapValues({
      ':owner': ownerOf(identity as Record<string, unknown> | null),
    }),
  };
}

/** The result of a write under {@link ownedConversationCondition}: NotFound when it failed. */
export function ownedConversationWriteResult(ctx: {
  error?: { message: string; type: string } | null;
  result: unknown;
}): unknown {
  const error = ctx.error;
  if (error && error.type === 'DynamoDB:ConditionalCheckFailedException') conversationNotFound();
  if (error) util.error(error.message, error.type);
  return ctx.result;
}

/** Whether a turn holds the conversation now (its lock not expired). */
export function activeStreamOf(record: Record<string, unknown>): string | null {
  const active = record['activeStreamId'] as string | undefined;
  const until = record['activeUntil'] as number | undefined;
  if (!active) return null;
  if (typeof until === 'number' && until < util.time.nowEpochSeconds()) return null;
  return active;
}

function json(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

/** A stored conversation record as the GraphQL `Conversation`. */
export function toConversation(record: Record<string, unknown>): Record<string, unknown> {
  return {
    conversationId: record['conversationId'],
    title: record['title'],
    modelId: record['modelId'],
    system: record['system'] ?? null,
    api: record['api'] ?? null,
    messageCount: record['messageCount'],
    activeStreamId: activeStreamOf(record),
    createdAt: record['createdAt'],
    updatedAt: record['updatedAt'],
  };
}

/** A stored message as the GraphQL `ConversationMessage` (`parts` is stored as JSON text). */
export function toMessage(item: Record<string, unknown>): Record<string, unknown> {
  return {
    conversationId: item['conversationId'],
    messageId: item['messageId'],
    index: item['index'],
    role: item['role'],
    parts: item['parts'],
    status: item['status'],
    streamId: item['streamId'] ?? null,
    stopReason: item['stopReason'] ?? null,
    usage: json(item['usage']),
    error: json(item['error']),
    createdAt: item['createdAt'],
    updatedAt: item['updatedAt'],
  };
}

/** A page size argument within the conversation page bounds. */
export function pageLimit(value: unknown): number {
  const limit = (value as number | null | undefined) ?? LIMITS.conversationPageDefault;
  if (limit < 1 || limit > LIMITS.conversationPageMax) {
    util.error(`limit must be between 1 and ${LIMITS.conversationPageMax}`, 'ValidationError');
  }
  return limit;
}
