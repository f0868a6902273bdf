// Mutation.regenerateMessage (pipeline as sendMessage): a new answer replaces the last one.
import { type Context } from '@aws-appsync/utils';
import { assertStreamId } from '../lib/common.js';
import { turnResponse } from '../lib/turn-response.js';
import { validateTurnOptions } from '../lib/validate-input.js';

export function request(ctx: Context) {
  const input = ctx.args['input'] as Record<string, unknown>;
  ctx.stash['turn'] = 'regenerate';
  ctx.stash['streamId'] = assertStreamId(input['streamId']);
  ctx.stash['options'] = validateTurnOptions(
    'regenerateMessage',
    input['options'] as Record<string, unknown> | null,
  );
  return {};
}

export function response(ctx: Context) {
  return turnResponse(ctx);
}
