// conversationMessages step 2: the visible messages (indexes below messageCount), oldest
// first. Items past the count (left by an edit-and-resend) are never read.
import { runtime, util, type Context } from '@aws-appsync/utils';
import { failOnError } from '../lib/common.js';
import {
  conversationPartitionKey,
  messageSortKeyOf,
  pageLimit,
  toMessage,
} from '../lib/conversations.js';

export function request(ctx: Context) {
  const args = ctx.args as Record<string, unknown>;
  const limit = pageLimit(args['limit']);
  const record = ctx.stash['conversation'] as Record<string, unknown>;
  const count = record['messageCount'] as number;
  if (count === 0) runtime.earlyReturn({ items: [], nextToken: null });
  const request: Record<string, unknown> = {
    operation: 'Query',
    query: {
      expression: 'pk = :pk AND sk BETWEEN :first AND :last',
      expressionValues: util.dynamodb.toMapValues({
        ':pk': conversationPartitionKey(record['conversationId'] as string),
        ':first': messageSortKeyOf(0),
        ':last': messageSortKeyOf(count - 1),
      }),
    },
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
  return { items: result.items.map(toMessage), nextToken: result.nextToken ?? null };
}
