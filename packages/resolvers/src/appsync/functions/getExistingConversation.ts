// createConversation step 2, only when the id exists: the same owner's retried create gets
// the stored conversation (its first response was lost); another owner's id is a conflict.
import { runtime, util, type Context } from '@aws-appsync/utils';
import { failOnError } from '../lib/common.js';
import { conversationKey, ownsConversation } from '../lib/conversations.js';

export function request(ctx: Context) {
  if (!ctx.stash['existing']) runtime.earlyReturn(ctx.prev.result);
  return {
    operation: 'GetItem',
    key: conversationKey(ctx.stash['conversationId'] as string),
    consistentRead: true,
  };
}

export function response(ctx: Context) {
  failOnError(ctx.error);
  const record = ctx.result as Record<string, unknown> | null;
  if (!record) util.error('a conversation with this id was just deleted; retry', 'ConflictError');
  if (!ownsConversation(record, ctx.identity)) {
    util.error(
      'a conversation with this conversationId exists and belongs to another caller',
      'ConflictError',
    );
  }
  return record;
}
