// startStream step 1: store the stream record (ACCEPTED). The condition makes a
// stream id single-use, so nobody can take over an id another client subscribed to.
// When the id exists, the next step decides: a retry of the same start by the same owner
// (its response was lost) gets the stream's handle; anything else is a ConflictError.
//
// With quotas configured this is ONE TransactWriteItems: the record's put plus a counter
// item per limit (lib/quotas.ts), so a start either takes its place under every limit and
// is recorded, or is refused with nothing written. The refusal reads the counters' values
// from the cancellation reasons, so neither path costs an extra round trip.
import { util, type Context } from '@aws-appsync/utils';
import { newStreamRecord, ownerOf, recordKey } from '../lib/common.js';
import {
  TABLE_NAME_ENV,
  conditionFailed,
  envOf,
  quotaItems,
  quotasOf,
  refuseFromReasons,
  type QuotaCheck,
} from '../lib/quotas.js';

export function request(ctx: Context) {
  const streamId = ctx.stash['streamId'] as string;
  const input = ctx.stash['input'] as Record<string, unknown>;
  const owner = ownerOf(ctx.identity as Record<string, unknown> | null);
  const record = newStreamRecord(streamId, owner, input);
  const table = envOf(ctx)[TABLE_NAME_ENV] ?? '';
  const quota = quotaItems(table, owner, quotasOf(ctx));
  if (quota.items.length === 0) {
    return {
      operation: 'PutItem',
      key: recordKey(streamId),
      attributeValues: util.dynamodb.toMapValues(record),
      condition: { expression: 'attribute_not_exists(pk)' },
    };
  }
  // The slots this stream holds until it ends (the end gives them back).
  if (quota.slots.length > 0) record['slots'] = quota.slots;
  ctx.stash['record'] = record;
  ctx.stash['quotaChecks'] = quota.checks;
  return {
    operation: 'TransactWriteItems',
    transactItems: [
      {
        table,
        operation: 'PutItem',
        key: recordKey(streamId),
        attributeValues: util.dynamodb.toMapValues(record),
        condition: {
          expression: 'attribute_not_exists(pk)',
          returnValuesOnConditionCheckFailure: false,
        },
      },
      ...quota.items,
    ],
  };
}

export function response(ctx: Context) {
  const error = ctx.error;
  const checks = ctx.stash['quotaChecks'] as QuotaCheck[] | undefined;
  if (!error) return checks ? ctx.stash['record'] : ctx.result;
  if (error.type === 'DynamoDB:ConditionalCheckFailedException') {
    ctx.stash['existing'] = true;
    return null;
  }
  if (error.type === 'DynamoDB:TransactionCanceledException') {
    const result = ctx.result as { cancellationReasons?: Array<Record<string, unknown>> } | null;
    const reasons = (result && result.cancellationReasons) || [];
    // The id exists: a retried start is answered from the stored stream, never counted twice.
    if (conditionFailed(reasons[0])) {
      ctx.stash['existing'] = true;
      return null;
    }
    refuseFromReasons(reasons, checks ?? []);
  }
  return util.error(error.message, error.type);
}
