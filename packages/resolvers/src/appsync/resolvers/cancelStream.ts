// Mutation.cancelStream (pipeline: getOwnedStream -> requestCancel).
import { type Context } from '@aws-appsync/utils';
import { toHandle } from '../lib/common.js';

export function request() {
  return {};
}

export function response(ctx: Context) {
  return toHandle(ctx.prev.result as Record<string, unknown>);
}
