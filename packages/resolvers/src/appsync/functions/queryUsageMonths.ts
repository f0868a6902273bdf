// myUsage / usageOf step 2: the owner's ledger month items of the months the range touches.
import { type Context } from '@aws-appsync/utils';
import { failOnError } from '../lib/common.js';
import { ledgerQuery, monthRange } from '../lib/usage.js';

export function request(ctx: Context) {
  const [from, to] = monthRange(ctx.stash['usageFrom'] as string, ctx.stash['usageTo'] as string);
  return ledgerQuery(ctx.stash['usageOwner'] as string, from, to);
}

export function response(ctx: Context) {
  failOnError(ctx.error);
  ctx.stash['usageMonths'] = (ctx.result as { items: unknown[] }).items;
  return null;
}
