// Query.myUsage (pipeline: queryUsageDays -> queryUsageMonths): the caller's own ledger.
import { type Context } from '@aws-appsync/utils';
import { ownerOf } from '../lib/common.js';
import { prepareUsage, toUsage } from '../lib/usage.js';

export function request(ctx: Context) {
  const owner = ownerOf(ctx.identity as Record<string, unknown> | null);
  prepareUsage(ctx, owner, ctx.args['from'], ctx.args['to']);
  return {};
}

export function response(ctx: Context) {
  return toUsage(ctx);
}
