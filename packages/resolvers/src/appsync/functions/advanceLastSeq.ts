// publishChunk step 3: move the record's lastSeq forward (never back: a retried
// publish of an older seq leaves it as it is).
import { util, type Context } from '@aws-appsync/utils';
import { recordKey } from '../lib/common.js';

export function request(ctx: Context) {
  const input = ctx.args['input'] as Record<string, unknown>;
  return {
    operation: 'UpdateItem',
    key: recordKey(input['streamId'] as string),
    update: {
      // The terminal chunk also marks the record (see StreamRecordItem.terminalSeq).
      expression: ctx.stash['terminal']
        ? 'SET lastSeq = :seq, terminalSeq = :seq, updatedAt = :now'
        : 'SET lastSeq = :seq, updatedAt = :now',
      expressionValues: util.dynamodb.toMapValues({
        ':seq': input['seq'],
        ':now': util.time.nowISO8601(),
      }),
    },
    condition: {
      expression: 'lastSeq < :seq AND attempt = :attempt',
      expressionValues: util.dynamodb.toMapValues({
        ':seq': input['seq'],
        ':attempt': input['attempt'],
      }),
    },
  };
}

export function response(ctx: Context) {
  if (ctx.error && ctx.error.type !== 'DynamoDB:ConditionalCheckFailedException') {
    util.error(ctx.error.message, ctx.error.type);
  }
  // The owner rides along for the subscription filter (see onStreamChunk).
  const chunk = ctx.stash['chunk'] as Record<string, unknown>;
  chunk['owner'] = (ctx.stash['record'] as Record<string, unknown>)['owner'];
  return chunk;
}
