// The ConversationTurn every turn mutation returns, from what its pipeline stashed.
import { util, type Context } from '@aws-appsync/utils';
import { toHandle } from './common.js';
import { toConversation, toMessage } from './conversations.js';

export function turnResponse(ctx: Context): Record<string, unknown> {
  const assistant = ctx.stash['assistantMessage'] as Record<string, unknown> | null;
  const user = ctx.stash['userMessage'] as Record<string, unknown> | null;
  if (!assistant) util.error('the turn of this streamId is gone', 'NotFound');
  return {
    conversation: toConversation(ctx.stash['turnConversation'] as Record<string, unknown>),
    userMessage: user ? toMessage(user) : null,
    assistantMessage: toMessage(assistant as Record<string, unknown>),
    stream: toHandle(ctx.prev.result as Record<string, unknown>),
  };
}
