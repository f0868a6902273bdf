// Mutation.renameConversation (pipeline: updateConversationTitle).
import { type Context } from '@aws-appsync/utils';
import { toConversation } from '../lib/conversations.js';

export function request() {
  return {};
}

export function response(ctx: Context) {
  return toConversation(ctx.prev.result as Record<string, unknown>);
}
