// myUsage / usageOf step 1: the owner's ledger day items in the range (totals and per model).
import { type Context } from '@aws-appsync/utils';
import { failOnError } from '../lib/common.js';
import { dayRange, ledgerQuery } from '../lib/usage.js';

export function request(ctx: Context) {
  const [from, to] = dayRange(ctx.stash['usageFrom'] as string, ctx.stash['usageTo'] as string);
  return ledgerQuery(ctx.stash['usageOwner'] as string, from, to);
}

export function response(ctx: Context) {
  failOnError(ctx.error);
  ctx.stash['usageDays'] = (ctx.result as { items: unknown[] }).items;
  return null;
}
