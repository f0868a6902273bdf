// deleteConversation step 2: ask the worker (asynchronously, `Event`) to remove the
// conversation's messages and every stream they name, and to stop an answer still running.
import { type Context } from '@aws-appsync/utils';

export function request(ctx: Context) {
  return {
    operation: 'Invoke',
    invocationType: 'Event',
    payload: { purgeConversationId: ctx.stash['conversationId'] },
  };
}

export function response(ctx: Context) {
  // The next step puts the record back, so a retried delete can start the purge again.
  if (ctx.error) ctx.stash['purgeError'] = ctx.error;
  return ctx.prev.result;
}
