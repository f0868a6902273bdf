// startStream step 1: store the stream record (ACCEPTED). The condition makes a
// stream id single-use, so nobody can take over an id another client subscribed to.
// When the id exists, the next step decides: a retry of the same start by the same owner
// (its response was lost) gets the stream's handle; anything else is a ConflictError.
import { util, type Context } from '@aws-appsync/utils';
import { LIMITS, TABLE, ownerOf, recordKey } from '../lib/common.js';

export function request(ctx: Context) {
  const streamId = ctx.stash['streamId'] as string;
  const input = ctx.stash['input'] as Record<string, unknown>;
  const now = util.time.nowISO8601();
  return {
    operation: 'PutItem',
    key: recordKey(streamId),
    attributeValues: util.dynamodb.toMapValues({
      streamId,
      owner: ownerOf(ctx.identity as Record<string, unknown> | null),
      status: 'ACCEPTED',
      input,
      modelId: input['modelId'],
      attempt: 0,
      lastSeq: -1,
      cancelRequested: false,
      createdAt: now,
      updatedAt: now,
      [TABLE.ttlAttribute]: util.time.nowEpochSeconds() + LIMITS.recordTtlSeconds,
    }),
    condition: { expression: 'attribute_not_exists(pk)' },
  };
}

export function response(ctx: Context) {
  if (ctx.error) {
    if (ctx.error.type === 'DynamoDB:ConditionalCheckFailedException') {
      ctx.stash['existing'] = true;
      return null;
    }
    util.error(ctx.error.message, ctx.error.type);
  }
  return ctx.result;
}
