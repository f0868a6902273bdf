// publishChunk step 2: store the chunk. AppSync treats a failed condition as success
// when the stored item equals the new one (ignoring equalsIgnore), so a worker's retry
// of the same (attempt, seq) is idempotent and never a gap.
import { util, type Context } from '@aws-appsync/utils';
import { LIMITS, TABLE, chunkKey, failOnError, streamPartitionKey } from '../lib/common.js';

export function request(ctx: Context) {
  const input = ctx.args['input'] as Record<string, unknown>;
  const streamId = input['streamId'] as string;
  const attempt = input['attempt'] as number;
  const seq = input['seq'] as number;
  return {
    operation: 'PutItem',
    key: util.dynamodb.toMapValues({
      pk: streamPartitionKey(streamId),
      sk: chunkKey(attempt, seq),
    }),
    attributeValues: util.dynamodb.toMapValues({
      streamId,
      attempt,
      seq,
      payload: ctx.stash['payload'],
      createdAt: util.time.nowISO8601(),
      [TABLE.ttlAttribute]: util.time.nowEpochSeconds() + LIMITS.recordTtlSeconds,
    }),
    condition: {
      expression: 'attribute_not_exists(pk)',
      equalsIgnore: ['createdAt', TABLE.ttlAttribute],
    },
  };
}

export function response(ctx: Context) {
  if (ctx.error && ctx.error.type === 'DynamoDB:ConditionalCheckFailedException') {
    util.error('a different chunk is already stored at this (attempt, seq)', 'ConflictError');
  }
  failOnError(ctx.error);
  ctx.stash['chunk'] = ctx.result;
  return ctx.result;
}
