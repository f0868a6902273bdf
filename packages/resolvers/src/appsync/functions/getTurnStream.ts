// Conversation turn step 2: is the turn's streamId already stored? Then this is a retry of
// a turn whose response was lost: the same owner, conversation and input get that turn back
// (nothing is written again); anything else is a ConflictError, as for startStream.
import { util, type Context } from '@aws-appsync/utils';
import { failOnError, ownerOf, recordKey, sameValue } from '../lib/common.js';
import { turnInput } from '../lib/turns.js';

export function request(ctx: Context) {
  ctx.stash['input'] = turnInput(
    ctx.stash['conversation'] as Record<string, unknown>,
    ctx.stash['options'] as Record<string, unknown>,
  );
  return {
    operation: 'GetItem',
    key: recordKey(ctx.stash['streamId'] as string),
    consistentRead: true,
  };
}

export function response(ctx: Context) {
  failOnError(ctx.error);
  const record = ctx.result as Record<string, unknown> | null;
  if (!record) return null;
  const ref = record['conversation'] as Record<string, unknown> | undefined;
  if (
    record['owner'] !== ownerOf(ctx.identity as Record<string, unknown> | null) ||
    !ref ||
    ref['conversationId'] !== ctx.stash['conversationId']
  ) {
    util.error('a stream with this streamId exists; use a new streamId', 'ConflictError');
  }
  if (!sameValue(record['input'], ctx.stash['input'])) {
    util.error(
      'a turn with this streamId exists with different options; use a new streamId',
      'ConflictError',
    );
  }
  ctx.stash['existing'] = true;
  ctx.stash['streamRecord'] = record;
  return record;
}
