// startStream step 2: only when the stream id already exists (putStream's condition
// failed). A retried start (same owner, same input: its first response was lost on the
// network) gets the existing stream's handle, so clients can retry startStream safely;
// another owner or another input is refused, and the error says which.
import { runtime, util, type Context } from '@aws-appsync/utils';
import { ownerOf, recordKey, sameValue } from '../lib/common.js';

export function request(ctx: Context) {
  if (!ctx.stash['existing']) runtime.earlyReturn(ctx.prev.result);
  return {
    operation: 'GetItem',
    key: recordKey(ctx.stash['streamId'] as string),
    consistentRead: true,
  };
}

export function response(ctx: Context) {
  if (ctx.error) util.error(ctx.error.message, ctx.error.type);
  const record = ctx.result as Record<string, unknown> | null;
  // Gone between the failed put and this read (TTL): a retry will create it anew.
  if (!record) util.error('a stream with this streamId was just removed; retry', 'ConflictError');
  const existing = record as Record<string, unknown>;
  if (existing['owner'] !== ownerOf(ctx.identity as Record<string, unknown> | null)) {
    util.error('a stream with this streamId exists and belongs to another caller', 'ConflictError');
  }
  if (!sameValue(existing['input'], ctx.stash['input'])) {
    util.error(
      'a stream with this streamId exists with a different input; use a new streamId',
      'ConflictError',
    );
  }
  return existing;
}
