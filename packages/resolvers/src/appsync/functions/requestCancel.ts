// cancelStream: flags the record; the worker notices within its poll interval and
// aborts the Bedrock call. A finished stream is returned unchanged.
import { util, type Context } from '@aws-appsync/utils';
import { recordKey } from '../lib/common.js';

export function request(ctx: Context) {
  const record = ctx.prev.result as Record<string, unknown>;
  return {
    operation: 'UpdateItem',
    key: recordKey(record['streamId'] as string),
    update: {
      expression: 'SET cancelRequested = :yes, updatedAt = :now',
      expressionValues: util.dynamodb.toMapValues({ ':yes': true, ':now': util.time.nowISO8601() }),
    },
    condition: {
      expression: '#status IN (:accepted, :running)',
      expressionNames: { '#status': 'status' },
      expressionValues: util.dynamodb.toMapValues({
        ':accepted': 'ACCEPTED',
        ':running': 'RUNNING',
      }),
    },
  };
}

export function response(ctx: Context) {
  if (ctx.error) {
    if (ctx.error.type === 'DynamoDB:ConditionalCheckFailedException') return ctx.prev.result;
    util.error(ctx.error.message, ctx.error.type);
  }
  return ctx.result;
}
