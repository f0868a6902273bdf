// deleteConversation step 3, only when the worker could not be invoked: put the deleted
// record back (unless a new one took its id meanwhile) and fail the delete, so the caller
// retries instead of leaving messages no purge will ever remove.
import { runtime, util, type Context } from '@aws-appsync/utils';
import { conversationKey } from '../lib/conversations.js';

export function request(ctx: Context) {
  if (!ctx.stash['purgeError']) runtime.earlyReturn(ctx.prev.result);
  const record = ctx.prev.result as Record<string, unknown>;
  const attributes: Record<string, unknown> = {};
  for (const key of Object.keys(record)) {
    if (key !== 'pk' && key !== 'sk') attributes[key] = record[key];
  }
  return {
    operation: 'PutItem',
    key: conversationKey(ctx.stash['conversationId'] as string),
    attributeValues: util.dynamodb.toMapValues(attributes),
    condition: { expression: 'attribute_not_exists(pk)' },
  };
}

export function response(ctx: Context) {
  const error = ctx.stash['purgeError'] as { message: string; type: string };
  return util.error(`conversation not deleted: ${error.message}; retry`, error.type);
}
