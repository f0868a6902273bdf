// The usage ledger's side of a stream's end: what the stream adds (Bedrock's usage, or an
// estimate when Bedrock reported none), and the transaction items that add it to the
// owner's day and month totals (all models and per model) and give back the stream's
// quota slots. StreamRecordStore.finish writes them in one transaction with the record.
import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import {
  LEDGER_DAY_TTL_SECONDS,
  LEDGER_TOKEN_FIELDS,
  TABLE,
  estimateTokens,
  ownerPartitionKey,
  usageDaySortKey,
  usageMonthSortKey,
  utcDay,
  utcMonth,
  type LedgerUsage,
  type StreamRecordItem,
  type Usage,
} from '@org/bedrock-stream-contracts';

/** What a run spent when Bedrock did not say (the basis of an estimate). */
export interface SpentEstimate {
  /** Characters of answer text this attempt streamed. */
  outputChars: number;
  /** Whether the model was called at all (no call: nothing was spent). */
  modelCalled: boolean;
  /**
   * Characters of the input the model got, when the stored input is not it (a
   * conversation's answer: the history is read, not stored). Default: the stored input's JSON.
   */
  inputChars?: number;
}

/**
 * The ledger entry of an ended stream: Bedrock's reported usage when there is one;
 * otherwise an estimate (4 characters a token) of the stored input's JSON and of the text
 * streamed, so a cancelled or stopped stream still counts against its owner.
 */
export function ledgerUsage(
  usage: Usage | null | undefined,
  input: unknown,
  spent: SpentEstimate,
): LedgerUsage {
  if (usage) {
    return {
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      cacheReadInputTokens: usage.cacheReadInputTokens ?? 0,
      cacheWriteInputTokens: usage.cacheWriteInputTokens ?? 0,
      estimated: false,
    };
  }
  return {
    inputTokens: spent.modelCalled
      ? estimateTokens(spent.inputChars ?? JSON.stringify(input ?? {}).length)
      : 0,
    outputTokens: estimateTokens(spent.outputChars),
    cacheReadInputTokens: 0,
    cacheWriteInputTokens: 0,
    estimated: spent.modelCalled,
  };
}

type LedgerOwner = Pick<StreamRecordItem, 'owner' | 'modelId' | 'slots'>;

/**
 * `ADD`s of `ledger` to the owner's day and month totals, for all models and for the
 * stream's model (4 items), on the UTC day and month of `endedAt`.
 */
export function ledgerItems(
  tableName: string,
  record: LedgerOwner,
  ledger: LedgerUsage,
  endedAt: Date,
): TransactWriteItem[] {
  const iso = endedAt.toISOString();
  const day = utcDay(iso);
  const month = utcMonth(iso);
  const dayTtl = Math.floor(endedAt.getTime() / 1000) + LEDGER_DAY_TTL_SECONDS;
  const periods: Array<{ sk: string; period: string; modelId?: string; ttl?: number }> = [
    { sk: usageDaySortKey(day), period: day, ttl: dayTtl },
    { sk: usageDaySortKey(day, record.modelId), period: day, modelId: record.modelId, ttl: dayTtl },
    { sk: usageMonthSortKey(month), period: month },
    { sk: usageMonthSortKey(month, record.modelId), period: month, modelId: record.modelId },
  ];
  const adds = ['streams', 'estimatedStreams', ...LEDGER_TOKEN_FIELDS];
  return periods.map(({ sk, period, modelId, ttl }) => {
    const names: Record<string, string> = { '#owner': 'owner', '#period': 'period' };
    const values: Record<string, unknown> = {
      ':owner': record.owner,
      ':period': period,
      ':streams': 1,
      ':estimatedStreams': ledger.estimated ? 1 : 0,
    };
    for (const field of LEDGER_TOKEN_FIELDS) values[`:${field}`] = ledger[field];
    const sets = ['#owner = :owner', '#period = :period'];
    if (modelId) {
      names['#modelId'] = 'modelId';
      values[':modelId'] = modelId;
      sets.push('#modelId = :modelId');
    }
    if (ttl) {
      names['#ttl'] = TABLE.ttlAttribute;
      values[':ttl'] = ttl;
      sets.push('#ttl = :ttl');
    }
    for (const field of adds) names[`#${field}`] = field;
    return {
      Update: {
        TableName: tableName,
        Key: marshall({
          [TABLE.partitionKey]: ownerPartitionKey(record.owner),
          [TABLE.sortKey]: sk,
        }),
        UpdateExpression: `SET ${sets.join(', ')} ADD ${adds.map((f) => `#${f} :${f}`).join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: marshall(values),
      },
    };
  });
}

/** `ADD active -1` on each counter the stream holds a slot in (contracts' StreamSlot). */
export function slotReleaseItems(tableName: string, record: LedgerOwner): TransactWriteItem[] {
  return (record.slots ?? []).map((slot) => ({
    Update: {
      TableName: tableName,
      Key: marshall({
        [TABLE.partitionKey]:
          slot === 'owner' ? ownerPartitionKey(record.owner) : TABLE.globalPartitionKey,
        [TABLE.sortKey]: TABLE.activeSortKey,
      }),
      UpdateExpression: 'ADD active :minusOne',
      ExpressionAttributeValues: marshall({ ':minusOne': -1 }),
    },
  }));
}
