// Reading the usage ledger (Query.myUsage, Query.usageOf): range checks, the ledger queries,
// and folding ledger items into the GraphQL Usage shape.
import { util } from '@aws-appsync/utils';
import { QUOTA_NAMES } from '@org/bedrock-stream-contracts/quotas';
import {
  TABLE,
  ownerPartitionKey,
  usageDaySortKey,
  usageMonthSortKey,
} from '@org/bedrock-stream-contracts/table';
import { quotasOf } from './quotas.js';

/** Longest range one query may ask for (about a quarter), which bounds the items read. */
export const MAX_USAGE_DAYS = 92;
const DAY = '[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])';
const TOTAL_FIELDS = [
  'streams',
  'estimatedStreams',
  'inputTokens',
  'outputTokens',
  'cacheReadInputTokens',
  'cacheWriteInputTokens',
];

/** Validates `from`..`to` and stashes the owner and range for the ledger queries. */
export function prepareUsage(
  ctx: { stash: Record<string, unknown> },
  owner: string,
  from: unknown,
  to: unknown,
): void {
  if (typeof from !== 'string' || !util.matches(DAY, from)) {
    util.error('from must be a UTC day, YYYY-MM-DD', 'ValidationError');
  }
  if (typeof to !== 'string' || !util.matches(DAY, to)) {
    util.error('to must be a UTC day, YYYY-MM-DD', 'ValidationError');
  }
  const fromMs = util.time.parseISO8601ToEpochMilliSeconds(`${from as string}T00:00:00Z`);
  const toMs = util.time.parseISO8601ToEpochMilliSeconds(`${to as string}T00:00:00Z`);
  if (toMs < fromMs) util.error('to must not be before from', 'ValidationError');
  if ((toMs - fromMs) / 86_400_000 + 1 > MAX_USAGE_DAYS) {
    util.error(`a usage range spans at most ${MAX_USAGE_DAYS} days`, 'ValidationError');
  }
  ctx.stash['usageOwner'] = owner;
  ctx.stash['usageFrom'] = from;
  ctx.stash['usageTo'] = to;
}

/** A Query of one owner's ledger items with `sk` between two keys (inclusive). */
export function ledgerQuery(
  owner: string,
  fromKey: string,
  toKey: string,
): Record<string, unknown> {
  return {
    operation: 'Query',
    query: {
      expression: 'pk = :pk AND sk BETWEEN :from AND :to',
      expressionValues: util.dynamodb.toMapValues({
        ':pk': ownerPartitionKey(owner),
        ':from': fromKey,
        ':to': `${toKey}${TABLE.rangeEnd}`,
      }),
    },
    consistentRead: true,
    scanIndexForward: true,
  };
}

export function dayRange(from: string, to: string): [string, string] {
  return [usageDaySortKey(from), usageDaySortKey(to)];
}

export function monthRange(from: string, to: string): [string, string] {
  return [usageMonthSortKey(from.slice(0, 7)), usageMonthSortKey(to.slice(0, 7))];
}

function totalsOf(item: Record<string, unknown> | null): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const field of TOTAL_FIELDS) {
    const value = item ? item[field] : undefined;
    totals[field] = typeof value === 'number' ? value : 0;
  }
  return totals;
}

/**
 * Ledger items (sorted by `sk`: a period's total first, then its per-model items) as
 * UsagePeriod objects, oldest first.
 */
export function toPeriods(items: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  const periods: Array<Record<string, unknown>> = [];
  let current: Record<string, unknown> | null = null;
  for (const item of items) {
    const period = item['period'] as string;
    if (!current || current['period'] !== period) {
      current = { period, total: totalsOf(null), byModel: [] };
      periods.push(current);
    }
    const modelId = item['modelId'];
    if (typeof modelId === 'string') {
      (current['byModel'] as Array<Record<string, unknown>>).push({
        modelId,
        usage: totalsOf(item),
      });
    } else {
      current['total'] = totalsOf(item);
    }
  }
  return periods;
}

/** The Usage object from the stashed query results. */
export function toUsage(ctx: {
  stash: Record<string, unknown>;
  env?: unknown;
}): Record<string, unknown> {
  const days = toPeriods((ctx.stash['usageDays'] as Array<Record<string, unknown>>) ?? []);
  const total = totalsOf(null);
  for (const day of days) {
    const dayTotal = day['total'] as Record<string, number>;
    for (const field of TOTAL_FIELDS) total[field] = (total[field] ?? 0) + (dayTotal[field] ?? 0);
  }
  const quotas = quotasOf(ctx);
  const limits: Record<string, number | null> = {};
  for (const name of QUOTA_NAMES) limits[name] = quotas[name] ?? null;
  return {
    owner: ctx.stash['usageOwner'],
    from: ctx.stash['usageFrom'],
    to: ctx.stash['usageTo'],
    days,
    months: toPeriods((ctx.stash['usageMonths'] as Array<Record<string, unknown>>) ?? []),
    total,
    quotas: limits,
  };
}
