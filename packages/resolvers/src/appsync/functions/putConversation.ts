// createConversation step 1: store the conversation record (no messages yet). The condition
// makes the id single-use; when it exists, the next step tells a retry from a conflict.
import { util, type Context } from '@aws-appsync/utils';
import { ownerOf } from '../lib/common.js';
import { conversationKey } from '../lib/conversations.js';

/** The title of a conversation created without one. */
const DEFAULT_TITLE = 'New conversation';

export function request(ctx: Context) {
  const input = ctx.args['input'] as Record<string, unknown>;
  const conversationId = ctx.stash['conversationId'] as string;
  const owner = ownerOf(ctx.identity as Record<string, unknown> | null);
  const now = util.time.nowISO8601();
  const record: Record<string, unknown> = {
    conversationId,
    owner,
    title: input['title'] ?? DEFAULT_TITLE,
    modelId: input['modelId'],
    messageCount: 0,
    createdAt: now,
    updatedAt: now,
    // The conversationsByOwner index keys (sparse: only conversation records have them).
    convOwner: owner,
    convUpdatedAt: now,
  };
  if (input['system'] !== null && input['system'] !== undefined) record['system'] = input['system'];
  if (input['api'] !== null && input['api'] !== undefined) record['api'] = input['api'];
  return {
    operation: 'PutItem',
    key: conversationKey(conversationId),
    attributeValues: util.dynamodb.toMapValues(record),
    condition: { expression: 'attribute_not_exists(pk)' },
  };
}

export function response(ctx: Context) {
  const error = ctx.error;
  if (error && error.type === 'DynamoDB:ConditionalCheckFailedException') {
    ctx.stash['existing'] = true;
    return null;
  }
  if (error) util.error(error.message, error.type);
  return ctx.result;
}
