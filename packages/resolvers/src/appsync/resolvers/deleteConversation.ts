// Mutation.deleteConversation (pipeline: deleteConversationRecord -> purgeConversation ->
// restoreConversation). The record goes at once (the conversation disappears from every
// read); the worker removes its messages and their streams in the background.
import { type Context } from '@aws-appsync/utils';
import { toConversation } from '../lib/conversations.js';

export function request() {
  return {};
}

export function response(ctx: Context) {
  return toConversation(ctx.prev.result as Record<string, unknown>);
}
