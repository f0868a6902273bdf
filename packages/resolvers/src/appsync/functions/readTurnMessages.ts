// Conversation turn step 3: the stored messages the turn depends on, in one Query:
//   - a retried turn: its own messages (the answer, and for sendMessage the user message);
//   - regenerateMessage / submitToolResults: the last visible message;
//   - sendMessage with replaceMessageId: that message, searched newest first among the
//     visible ones (one Query reads up to 1 MB, so very old messages of a long conversation
//     with large attachments may be out of reach: then the edit is refused as not found);
//   - a plain sendMessage reads nothing.
import { runtime, util, type Context } from '@aws-appsync/utils';
import { failOnError } from '../lib/common.js';
import { conversationPartitionKey, messageSortKeyOf } from '../lib/conversations.js';

export function request(ctx: Context) {
  const conversation = ctx.stash['conversation'] as Record<string, unknown>;
  const count = conversation['messageCount'] as number;
  const kind = ctx.stash['turn'] as string;
  let from = count - 1;
  let to = count - 1;
  let filter: Record<string, unknown> | null = null;
  if (ctx.stash['existing']) {
    const record = ctx.stash['streamRecord'] as Record<string, unknown>;
    const index = (record['conversation'] as Record<string, unknown>)['messageIndex'] as number;
    from = kind === 'send' ? index - 1 : index;
    to = index;
  } else if (kind === 'send') {
    const replace = ctx.stash['replaceMessageId'] as string | undefined;
    if (!replace) runtime.earlyReturn([]);
    from = 0;
    filter = {
      expression: 'messageId = :id',
      expressionValues: util.dynamodb.toMapValues({ ':id': replace }),
    };
  }
  if (to < 0 || from < 0) {
    ctx.stash['turnMessages'] = [];
    runtime.earlyReturn([]);
  }
  const query: Record<string, unknown> = {
    operation: 'Query',
    query: {
      expression: 'pk = :pk AND sk BETWEEN :first AND :last',
      expressionValues: util.dynamodb.toMapValues({
        ':pk': conversationPartitionKey(conversation['conversationId'] as string),
        ':first': messageSortKeyOf(from),
        ':last': messageSortKeyOf(to),
      }),
    },
    consistentRead: true,
    scanIndexForward: false,
  };
  if (filter) query['filter'] = filter;
  return query;
}

export function response(ctx: Context) {
  failOnError(ctx.error);
  const items = (ctx.result as { items: Array<Record<string, unknown>> }).items;
  ctx.stash['turnMessages'] = items;
  return items;
}
