// deleteConversation step 1: delete the conversation record (owner only) and return it.
// Without it no read reaches the messages any more, so they can go in the background.
import { util, type Context } from '@aws-appsync/utils';
import { ownerOf } from '../lib/common.js';
import {
  NAMES,
  conversationIdOf,
  conversationKey,
  conversationNotFound,
} from '../lib/conversations.js';

export function request(ctx: Context) {
  const conversationId = conversationIdOf(ctx.args as Record<string, unknown>);
  ctx.stash['conversationId'] = conversationId;
  return {
    operation: 'DeleteItem',
    key: conversationKey(conversationId),
    condition: {
      expression: 'attribute_exists(pk) AND #owner = :owner',
      expressionNames: { '#owner': NAMES['#owner'] as string },
      expressionValues: util.dynamodb.toMapValues({
        ':owner': ownerOf(ctx.identity as Record<string, unknown> | null),
      }),
    },
  };
}

export function response(ctx: Context) {
  const error = ctx.error;
  if (error && error.type === 'DynamoDB:ConditionalCheckFailedException') conversationNotFound();
  if (error) util.error(error.message, error.type);
  return ctx.result;
}
