// Reads a stream record and lets only its owner past (getStream, streamChunks, cancelStream).
import { type Context } from '@aws-appsync/utils';
import { assertOwner, assertStreamId, failOnError, recordKey } from '../lib/common.js';

export function request(ctx: Context) {
  const streamId = assertStreamId(ctx.args['streamId']);
  return { operation: 'GetItem', key: recordKey(streamId), consistentRead: true };
}

export function response(ctx: Context) {
  failOnError(ctx.error);
  const record = ctx.result as Record<string, unknown> | null;
  assertOwner(record, ctx.identity as Record<string, unknown> | null, 'getStream');
  ctx.stash['record'] = record;
  return record;
}
