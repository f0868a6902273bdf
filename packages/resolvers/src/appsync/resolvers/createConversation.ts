// Mutation.createConversation (pipeline: putConversation -> getExistingConversation). The id
// is the client's (so a retried create is safe) or AppSync's autoId.
import { util, type Context } from '@aws-appsync/utils';
import { assertUuid } from '../lib/common.js';
import { toConversation } from '../lib/conversations.js';
import { validateConversationInput } from '../lib/validate-input.js';

export function request(ctx: Context) {
  const input = ctx.args['input'] as Record<string, unknown>;
  const env = (ctx as unknown as { env: Record<string, string | undefined> }).env;
  validateConversationInput(input, env['ALLOWED_MODEL_IDS'] ?? '');
  const id = input['conversationId'];
  ctx.stash['conversationId'] =
    id === null || id === undefined ? util.autoId() : assertUuid('conversationId', id);
  return {};
}

export function response(ctx: Context) {
  return toConversation(ctx.prev.result as Record<string, unknown>);
}
