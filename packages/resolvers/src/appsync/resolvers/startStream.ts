// Mutation.startStream (pipeline: putStream -> invokeWorker). Validates the input with
// the same bounds as contracts' StartStreamInputSchema before anything is stored.
import { type Context } from '@aws-appsync/utils';
import { assertStreamId, toHandle } from '../lib/common.js';
import { validateStartInput } from '../lib/validate-input.js';

export function request(ctx: Context) {
  const input = ctx.args['input'] as Record<string, unknown>;
  ctx.stash['streamId'] = assertStreamId(input['streamId']);
  const env = (ctx as unknown as { env: Record<string, string | undefined> }).env;
  ctx.stash['input'] = validateStartInput(input, env['ALLOWED_MODEL_IDS'] ?? '');
  return {};
}

export function response(ctx: Context) {
  return toHandle(ctx.prev.result as Record<string, unknown>);
}
