// deleteConversation step 1: delete the conversation record (owner only) and return it.
// Without it no read reaches the messages any more, so they can go in the background.
import { type Context } from '@aws-appsync/utils';
import {
  conversationIdOf,
  conversationKey,
  ownedConversationCondition,
  ownedConversationWriteResult,
} from '../lib/conversations.js';

export function request(ctx: Context) {
  const conversationId = conversationIdOf(ctx.args as Record<string, unknown>);
  ctx.stash['conversationId'] = conversationId;
  return {
    operation: 'DeleteItem',
    key: conversationKey(conversationId),
    condition: ownedConversationCondition(ctx.identity),
  };
}

export function response(ctx: Context) {
  return ownedConversationWriteResult(ctx);
}
