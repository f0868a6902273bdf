// Quota enforcement of startStream, in APPSYNC_JS: the counter writes that go into the start's
// transaction, and reading a cancelled transaction back into a typed refusal.
import { util } from '@aws-appsync/utils';
import {
  CONCURRENCY_RETRY_AFTER_SECONDS,
  quotasFromEnvironment,
  secondsToNextMinute,
  secondsToNextUtcDay,
  utcDay,
  utcMinute,
  type QuotaName,
  type QuotaSettings,
} from '@org/bedrock-stream-contracts/quotas';
import {
  TABLE,
  ownerPartitionKey,
  rateSortKey,
  usageDaySortKey,
  type StreamSlot,
} from '@org/bedrock-stream-contracts/table';

/** The AppSync environment variable naming the streams table (transactions name their table). */
export const TABLE_NAME_ENV = 'STREAMS_TABLE_NAME';

/** Seconds a refusal caused by a busy counter (TransactionConflict) asks the caller to wait. */
const CONFLICT_RETRY_AFTER_SECONDS = 1;
/** Per-minute counter items outlive their minute by this much (DynamoDB TTL cleans them up). */
const RATE_ITEM_TTL_SECONDS = 120;

type Env = Record<string, string | undefined>;

export function envOf(ctx: unknown): Env {
  return ((ctx as { env?: Env }).env ?? {}) as Env;
}

export function quotasOf(ctx: unknown): QuotaSettings {
  return quotasFromEnvironment(envOf(ctx));
}

/** Which item of a start transaction enforces which limit, and on which attribute. */
export interface QuotaCheck {
  quota: QuotaName;
  limit: number;
  /** The counted attribute of the item (its old value is the refusal's `current`). */
  field: string;
}

/** The key of an owner's (or the global) running-streams counter. */
export function slotKey(slot: StreamSlot, owner: string): Record<string, unknown> {
  return util.dynamodb.toMapValues({
    pk: slot === 'owner' ? ownerPartitionKey(owner) : TABLE.globalPartitionKey,
    sk: TABLE.activeSortKey,
  });
}

/**
 * The transaction items that take a start's place under each configured limit, after the
 * record's own PutItem (index 0): checks[i] belongs to items[i] (index i + 1). A counter's
 * condition compares its value before this start's increment, so exactly `limit` starts
 * pass however many race.
 */
export function quotaItems(
  table: string,
  owner: string,
  quotas: QuotaSettings,
): { items: Array<Record<string, unknown>>; checks: QuotaCheck[]; slots: StreamSlot[] } {
  const items: Array<Record<string, unknown>> = [];
  const checks: QuotaCheck[] = [];
  const slots: StreamSlot[] = [];
  const now = util.time.nowISO8601();
  const counter = (
    key: Record<string, unknown>,
    field: string,
    limit: number,
    extra: string,
    extraValues: Record<string, unknown>,
  ) => ({
    table,
    operation: 'UpdateItem',
    key,
    update: {
      expression: `ADD ${field} :one${extra}`,
      expressionValues: util.dynamodb.toMapValues({ ':one': 1, ...extraValues }),
    },
    condition: {
      expression: `attribute_not_exists(${field}) OR ${field} < :limit`,
      expressionValues: util.dynamodb.toMapValues({ ':limit': limit }),
    },
  });
  const perOwner = quotas.concurrentStreamsPerOwner;
  if (perOwner) {
    items.push(counter(slotKey('owner', owner), 'active', perOwner, '', {}));
    checks.push({ quota: 'concurrentStreamsPerOwner', limit: perOwner, field: 'active' });
    slots.push('owner');
  }
  const perMinute = quotas.streamsPerMinutePerOwner;
  if (perMinute) {
    const key = util.dynamodb.toMapValues({
      pk: ownerPartitionKey(owner),
      sk: rateSortKey(utcMinute(now)),
    });
    items.push(
      counter(key, 'n', perMinute, ` SET ${TABLE.ttlAttribute} = :ttl`, {
        ':ttl': util.time.nowEpochSeconds() + RATE_ITEM_TTL_SECONDS,
      }),
    );
    checks.push({ quota: 'streamsPerMinutePerOwner', limit: perMinute, field: 'n' });
  }
  const global = quotas.concurrentStreamsGlobal;
  if (global) {
    items.push(counter(slotKey('global', owner), 'active', global, '', {}));
    checks.push({ quota: 'concurrentStreamsGlobal', limit: global, field: 'active' });
    slots.push('global');
  }
  const perDay = quotas.outputTokensPerDayPerOwner;
  if (perDay) {
    // Read-only: the ledger day item gains tokens when streams end, not here.
    items.push({
      table,
      operation: 'ConditionCheck',
      key: util.dynamodb.toMapValues({
        pk: ownerPartitionKey(owner),
        sk: usageDaySortKey(utcDay(now)),
      }),
      condition: {
        expression: 'attribute_not_exists(outputTokens) OR outputTokens < :limit',
        expressionValues: util.dynamodb.toMapValues({ ':limit': perDay }),
      },
    });
    checks.push({ quota: 'outputTokensPerDayPerOwner', limit: perDay, field: 'outputTokens' });
  }
  return { items, checks, slots };
}

interface CancellationReason {
  type?: string | null;
  message?: string | null;
  item?: Record<string, unknown> | null;
}

/**
 * Whether a cancellation reason is a failed condition. AppSync documents the type as
 * `ConditionCheckFailed`; DynamoDB's own code is `ConditionalCheckFailed`: both are accepted.
 */
export function conditionFailed(reason: CancellationReason | null | undefined): boolean {
  const type = reason ? reason.type : null;
  return type === 'ConditionCheckFailed' || type === 'ConditionalCheckFailed';
}

const UNITS: Record<string, string> = {
  concurrentStreamsPerOwner: 'streams running',
  streamsPerMinutePerOwner: 'streams started this minute',
  outputTokensPerDayPerOwner: 'output tokens used today (UTC)',
  concurrentStreamsGlobal: 'streams running for all users',
};

function retryAfter(quota: QuotaName): number {
  const now = util.time.nowEpochSeconds();
  if (quota === 'streamsPerMinutePerOwner') return secondsToNextMinute(now);
  if (quota === 'outputTokensPerDayPerOwner') return secondsToNextUtcDay(now);
  return CONCURRENCY_RETRY_AFTER_SECONDS;
}

/**
 * Raises the typed refusal for the first limit whose item failed its condition (reasons
 * 1..n of a cancelled start transaction), or a `Throttled` error when the transaction met
 * another one on the same counter. Returns only when neither is the case.
 */
export function refuseFromReasons(reasons: CancellationReason[], checks: QuotaCheck[]): void {
  let index = 0;
  for (const check of checks) {
    index += 1;
    const reason = reasons[index];
    if (conditionFailed(reason)) {
      const item = (reason as CancellationReason).item;
      const stored = item ? (item[check.field] as number | undefined) : undefined;
      // The old value when AppSync returned the item; at least the limit otherwise.
      const current = typeof stored === 'number' ? stored : check.limit;
      const retryAfterSeconds = retryAfter(check.quota);
      util.error(
        `quota ${check.quota} exceeded: ${current} of ${check.limit} ${UNITS[check.quota] ?? ''}; retry in ${retryAfterSeconds} s`,
        'QuotaExceeded',
        null,
        { quota: check.quota, limit: check.limit, current, retryAfterSeconds },
      );
    }
  }
  for (const reason of reasons) {
    if (reason && reason.type === 'TransactionConflict') {
      util.error('too many concurrent starts for this owner; retry shortly', 'Throttled', null, {
        retryAfterSeconds: CONFLICT_RETRY_AFTER_SECONDS,
      });
    }
  }
}
