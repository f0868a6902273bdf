// renameConversation: one conditional update (owner only), which also moves the
// conversation up the caller's list (convUpdatedAt is the index's sort key).
import { util, type Context } from '@aws-appsync/utils';
import {
  conversationIdOf,
  conversationKey,
  ownedConversationCondition,
  ownedConversationWriteResult,
} from '../lib/conversations.js';
import { validateTitle } from '../lib/validate-input.js';

export function request(ctx: Context) {
  const args = ctx.args as Record<string, unknown>;
  const conversationId = conversationIdOf(args);
  const title = validateTitle(args['title']);
  const now = util.time.nowISO8601();
  return {
    operation: 'UpdateItem',
    key: conversationKey(conversationId),
    update: {
      expression: 'SET title = :title, updatedAt = :now, convUpdatedAt = :now',
      expressionValues: util.dynamodb.toMapValues({ ':title': title, ':now': now }),
    },
    condition: ownedConversationCondition(ctx.identity),
  };
}

export function response(ctx: Context) {
  return ownedConversationWriteResult(ctx);
}
