// Reads of the quota counters and the usage ledger, for the quota cases: the counters
// straight from the store (nothing else exposes them), the ledger over GraphQL as its
// owner reads it.
import { DynamoDBClient, GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { TABLE, ownerPartitionKey } from '@org/bedrock-stream-contracts';
import type { LocalStack } from '@org/bedrock-stream-stack';
import { gql } from './harness.js';

/** One stored item, read consistently from the stack's table. */
export async function storedItem(
  stack: LocalStack,
  pk: string,
  sk: string,
): Promise<Record<string, AttributeValue> | null> {
  const ddb = new DynamoDBClient({
    region: stack.config.region,
    endpoint: stack.dynamo.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const res = await ddb.send(
      new GetItemCommand({
        TableName: stack.config.tableName,
        ConsistentRead: true,
        Key: { [TABLE.partitionKey]: { S: pk }, [TABLE.sortKey]: { S: sk } },
      }),
    );
    return res.Item ?? null;
  } finally {
    ddb.destroy();
  }
}

/** The running-streams counter of an owner key (or the global one for null). */
export async function activeStreams(stack: LocalStack, owner: string | null): Promise<number> {
  const item = await storedItem(
    stack,
    owner === null ? TABLE.globalPartitionKey : ownerPartitionKey(owner),
    TABLE.activeSortKey,
  );
  return Number(item?.['active']?.N ?? 0);
}

const MY_USAGE = `query MyUsage($from: AWSDate!, $to: AWSDate!) {
  myUsage(from: $from, to: $to) {
    owner
    total { streams estimatedStreams inputTokens outputTokens cacheReadInputTokens cacheWriteInputTokens }
  }
}`;

/** Ledger totals as one owner reads them for today (UTC). */
export interface LedgerTotals {
  streams: number;
  estimatedStreams: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens: number;
  cacheWriteInputTokens: number;
}

/** The caller's own ledger for today (UTC): its owner key and totals. */
export async function myUsageToday(
  stack: LocalStack,
  headers: Record<string, string>,
): Promise<{ owner: string; total: LedgerTotals }> {
  const day = new Date().toISOString().slice(0, 10);
  const res = await gql(stack.config.graphqlUrl, headers, MY_USAGE, { from: day, to: day });
  if (res.errors?.length) throw new Error(`myUsage: ${res.errors[0]!.message}`);
  return res.data!['myUsage'] as { owner: string; total: LedgerTotals };
}
