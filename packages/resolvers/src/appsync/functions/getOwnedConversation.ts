// Reads a conversation record (consistent) and lets only its owner past. A missing one and
// another owner's look alike: NotFound, or null where the field allows it (`stash.optional`:
// getConversation).
import { type Context } from '@aws-appsync/utils';
import { failOnError } from '../lib/common.js';
import {
  conversationIdOf,
  conversationKey,
  conversationNotFound,
  ownsConversation,
} from '../lib/conversations.js';

export function request(ctx: Context) {
  const conversationId = conversationIdOf(ctx.args as Record<string, unknown>);
  ctx.stash['conversationId'] = conversationId;
  return { operation: 'GetItem', key: conversationKey(conversationId), consistentRead: true };
}

export function response(ctx: Context) {
  failOnError(ctx.error);
  const record = ctx.result as Record<string, unknown> | null;
  if (!ownsConversation(record, ctx.identity)) {
    if (!ctx.stash['optional']) conversationNotFound();
    return null;
  }
  ctx.stash['conversation'] = record;
  return record;
}
