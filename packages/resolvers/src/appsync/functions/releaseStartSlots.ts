// startStream step 4, only when the worker's invoke failed for a stream that holds quota
// slots: give the slots back (one transaction: the record loses `slots`, each counter
// loses 1), then fail the start with the invoke's error. The record stays ACCEPTED, so a
// retried start of the same id invokes again (without a slot). `slots` is only ever
// removed whole, and only on the condition that it still exists, by whoever gives the
// slots back (this step or the stream's end): so they are given back exactly once.
import { runtime, util, type Context } from '@aws-appsync/utils';
import { recordKey } from '../lib/common.js';
import { TABLE_NAME_ENV, envOf, slotKey } from '../lib/quotas.js';

export function request(ctx: Context) {
  if (!ctx.stash['invokeError']) runtime.earlyReturn(ctx.prev.result);
  const record = ctx.prev.result as Record<string, unknown>;
  const slots = record['slots'] as Array<'owner' | 'global'>;
  const table = envOf(ctx)[TABLE_NAME_ENV] ?? '';
  return {
    operation: 'TransactWriteItems',
    transactItems: [
      {
        table,
        operation: 'UpdateItem',
        key: recordKey(record['streamId'] as string),
        update: {
          expression: 'REMOVE slots SET updatedAt = :now',
          expressionValues: util.dynamodb.toMapValues({ ':now': util.time.nowISO8601() }),
        },
        condition: {
          expression: 'attempt = :zero AND attribute_exists(slots)',
          expressionValues: util.dynamodb.toMapValues({ ':zero': 0 }),
          returnValuesOnConditionCheckFailure: false,
        },
      },
      ...slots.map((slot) => ({
        table,
        operation: 'UpdateItem',
        key: slotKey(slot, record['owner'] as string),
        update: {
          expression: 'ADD active :minusOne',
          expressionValues: util.dynamodb.toMapValues({ ':minusOne': -1 }),
        },
      })),
    ],
  };
}

export function response(ctx: Context) {
  // Whether or not the release went through (a worker may have claimed the stream after
  // all, and then its end gives the slots back), the start itself failed.
  const error = ctx.stash['invokeError'] as { message: string; type: string };
  return util.error(error.message, error.type);
}
