// Query.getConversation (pipeline: getOwnedConversation): null when missing or not the caller's.
import { type Context } from '@aws-appsync/utils';
import { toConversation } from '../lib/conversations.js';

export function request(ctx: Context) {
  ctx.stash['optional'] = true;
  return {};
}

export function response(ctx: Context) {
  const record = ctx.prev.result as Record<string, unknown> | null;
  return record ? toConversation(record) : null;
}
