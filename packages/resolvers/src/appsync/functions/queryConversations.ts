// listConversations: the caller's conversations from the sparse conversationsByOwner index,
// most recently updated first (GSI reads are eventually consistent).
import { util, type Context } from '@aws-appsync/utils';
import { failOnError, ownerOf } from '../lib/common.js';
import { CONVERSATIONS_BY_OWNER, pageLimit, toConversation } from '../lib/conversations.js';

export function request(ctx: Context) {
  const args = ctx.args as Record<string, unknown>;
  const request: Record<string, unknown> = {
    operation: 'Query',
    index: CONVERSATIONS_BY_OWNER.indexName,
    query: {
      expression: '#convOwner = :owner',
      expressionNames: { '#convOwner': CONVERSATIONS_BY_OWNER.partitionKey },
      expressionValues: util.dynamodb.toMapValues({
        ':owner': ownerOf(ctx.identity as Record<string, unknown> | null),
      }),
    },
    limit: pageLimit(args['limit']),
    scanIndexForward: false,
  };
  if (args['nextToken']) request['nextToken'] = args['nextToken'];
  return request;
}

export function response(ctx: Context) {
  failOnError(ctx.error);
  const result = ctx.result as { items: Array<Record<string, unknown>>; nextToken?: string | null };
  return { items: result.items.map(toConversation), nextToken: result.nextToken ?? null };
}
