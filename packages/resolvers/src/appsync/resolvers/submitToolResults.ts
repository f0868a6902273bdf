// Mutation.submitToolResults (pipeline as sendMessage): the app's tool results go into the
// awaiting answer's tool-call parts, and a new stream continues the same answer.
import { util, type Context } from '@aws-appsync/utils';
import { assertStreamId } from '../lib/common.js';
import { turnResponse } from '../lib/turn-response.js';
import { validateToolResults, validateTurnOptions } from '../lib/validate-input.js';

export function request(ctx: Context) {
  const input = ctx.args['input'] as Record<string, unknown>;
  ctx.stash['turn'] = 'submit';
  ctx.stash['streamId'] = assertStreamId(input['streamId']);
  const messageId = input['messageId'];
  if (typeof messageId !== 'string' || messageId.length === 0)
    util.error('invalid submitToolResults input: messageId is required', 'ValidationError');
  ctx.stash['messageId'] = messageId;
  ctx.stash['results'] = validateToolResults(input['results']);
  ctx.stash['options'] = validateTurnOptions(
    'submitToolResults',
    input['options'] as Record<string, unknown> | null,
  );
  return {};
}

export function response(ctx: Context) {
  return turnResponse(ctx);
}
