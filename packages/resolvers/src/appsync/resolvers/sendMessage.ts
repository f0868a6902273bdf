// Mutation.sendMessage (pipeline: getOwnedConversation -> getTurnStream -> readTurnMessages
// -> writeTurn -> invokeWorker -> releaseStartSlots): stores the user message and starts
// the answer's stream at once (lib/turns.ts).
import { util, type Context } from '@aws-appsync/utils';
import { assertStreamId } from '../lib/common.js';
import { turnResponse } from '../lib/turn-response.js';
import { userContentToParts, validateTurnOptions } from '../lib/validate-input.js';

export function request(ctx: Context) {
  const input = ctx.args['input'] as Record<string, unknown>;
  ctx.stash['turn'] = 'send';
  ctx.stash['streamId'] = assertStreamId(input['streamId']);
  ctx.stash['userParts'] = userContentToParts(input['content']);
  ctx.stash['options'] = validateTurnOptions(
    'sendMessage',
    input['options'] as Record<string, unknown> | null,
  );
  const replace = input['replaceMessageId'];
  if (replace !== null && replace !== undefined) {
    if (typeof replace !== 'string' || replace.length === 0 || replace.length > 64)
      util.error(
        'invalid sendMessage input: replaceMessageId is not a message id',
        'ValidationError',
      );
    ctx.stash['replaceMessageId'] = replace;
  }
  return {};
}

export function response(ctx: Context) {
  return turnResponse(ctx);
}
