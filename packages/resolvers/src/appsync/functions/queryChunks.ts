// streamChunks step 2: stored chunks strictly after (attempt, afterSeq), in order.
import { util, type Context } from '@aws-appsync/utils';
import { LIMITS, attemptPrefix, chunkKey, failOnError, streamPartitionKey } from '../lib/common.js';

export function request(ctx: Context) {
  const args = ctx.args as Record<string, unknown>;
  const attempt = (args['attempt'] as number | null | undefined) ?? 0;
  const afterSeq = (args['afterSeq'] as number | null | undefined) ?? -1;
  const limit = (args['limit'] as number | null | undefined) ?? LIMITS.catchUpPageDefault;
  if (attempt < 0) util.error('attempt must be >= 0', 'ValidationError');
  if (limit < 1 || limit > LIMITS.catchUpPageMax) {
    util.error(`limit must be between 1 and ${LIMITS.catchUpPageMax}`, 'ValidationError');
  }
  // `CHUNK#<attempt>#` sorts before every seq of that attempt: "after nothing".
  const after = afterSeq < 0 ? attemptPrefix(attempt) : chunkKey(attempt, afterSeq);
  const request: Record<string, unknown> = {
    operation: 'Query',
    query: {
      expression: 'pk = :pk AND sk > :after',
      expressionValues: util.dynamodb.toMapValues({
        ':pk': streamPartitionKey(args['streamId'] as string),
        ':after': after,
      }),
    },
    // Drops the record item (sk META sorts after the chunks); key attributes cannot be filtered.
    filter: { expression: 'attribute_exists(seq)' },
    limit,
    consistentRead: true,
    scanIndexForward: true,
  };
  if (args['nextToken']) request['nextToken'] = args['nextToken'];
  return request;
}

export function response(ctx: Context) {
  failOnError(ctx.error);
  const result = ctx.result as { items: Array<Record<string, unknown>>; nextToken?: string | null };
  const owner = (ctx.stash['record'] as Record<string, unknown>)['owner'];
  for (const item of result.items) item['owner'] = owner;
  return { items: result.items, nextToken: result.nextToken ?? null };
}
