// Conversation turn step 4: the turn's one transaction (lib/turns.ts). A retried turn writes
// nothing and answers from what is stored.
import { runtime, util, type Context } from '@aws-appsync/utils';
import { ownerOf } from '../lib/common.js';
import { TABLE_NAME_ENV, envOf, quotasOf } from '../lib/quotas.js';
import { planTurn, refuseTurn, type TurnKind, type TurnPlan } from '../lib/turns.js';

export function request(ctx: Context) {
  const messages = (ctx.stash['turnMessages'] as Array<Record<string, unknown>> | undefined) ?? [];
  if (ctx.stash['existing']) {
    const record = ctx.stash['streamRecord'] as Record<string, unknown>;
    const index = (record['conversation'] as Record<string, unknown>)['messageIndex'] as number;
    const assistant = messages.find((m) => m['index'] === index);
    const user = messages.find((m) => m['index'] === index - 1);
    const streamIds = assistant ? (assistant['streamIds'] as string[] | undefined) : undefined;
    // The turn's answer may have been replaced since (an edit or a regenerate overwrote it).
    if (!streamIds || streamIds.indexOf(record['streamId'] as string) === -1)
      util.error(
        'the turn of this streamId was replaced since; use a new streamId',
        'ConflictError',
      );
    const isSend = ctx.stash['turn'] === 'send';
    if (isSend && (!user || user['parts'] !== JSON.stringify(ctx.stash['userParts'])))
      util.error(
        'a turn with this streamId exists with a different message; use a new streamId',
        'ConflictError',
      );
    ctx.stash['turnConversation'] = ctx.stash['conversation'];
    ctx.stash['assistantMessage'] = assistant;
    ctx.stash['userMessage'] = isSend ? user : null;
    runtime.earlyReturn(record);
  }
  const table = envOf(ctx)[TABLE_NAME_ENV];
  if (!table) {
    util.error(
      `conversations need the ${TABLE_NAME_ENV} environment variable (ApiSettings.tableName)`,
      'InternalFailure',
    );
  }
  const plan = planTurn({
    kind: ctx.stash['turn'] as TurnKind,
    streamId: ctx.stash['streamId'] as string,
    owner: ownerOf(ctx.identity as Record<string, unknown> | null),
    input: ctx.stash['input'] as Record<string, unknown>,
    conversation: ctx.stash['conversation'] as Record<string, unknown>,
    messages,
    userParts: ctx.stash['userParts'] as Array<Record<string, unknown>> | undefined,
    replaceMessageId: ctx.stash['replaceMessageId'] as string | undefined,
    messageId: ctx.stash['messageId'] as string | undefined,
    results: ctx.stash['results'] as Array<Record<string, unknown>> | undefined,
    table: table as string,
    quotas: quotasOf(ctx),
  });
  ctx.stash['plan'] = plan;
  ctx.stash['turnConversation'] = plan.conversation;
  ctx.stash['userMessage'] = plan.userMessage;
  ctx.stash['assistantMessage'] = plan.assistantMessage;
  return { operation: 'TransactWriteItems', transactItems: plan.transactItems };
}

export function response(ctx: Context) {
  const plan = ctx.stash['plan'] as TurnPlan;
  const error = ctx.error;
  if (error && error.type === 'DynamoDB:TransactionCanceledException') {
    const result = ctx.result as { cancellationReasons?: Array<Record<string, unknown>> } | null;
    refuseTurn((result && result.cancellationReasons) || [], plan.recordIndex, plan.checks);
  }
  if (error) util.error(error.message, error.type);
  return plan.record;
}
