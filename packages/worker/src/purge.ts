// Deleting a conversation's data once deleteConversation removed its record: every item of
// its partition (messages, and the record should it still be there) and every stream its
// answers used (record + chunks). Idempotent: a purge run again, or of a conversation
// already gone, deletes what is left and succeeds.
import {
  BatchWriteItemCommand,
  QueryCommand,
  UpdateItemCommand,
  ConditionalCheckFailedException,
  type AttributeValue,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import {
  DEFAULT_RETRY_POLICY,
  TABLE,
  backoffDelayMs,
  conversationPartitionKey,
  isTerminalStatus,
  sleep,
  streamPartitionKey,
} from '@org/bedrock-stream-contracts';
import type { ProcessDeps } from './deps.js';

/** What {@link purgeConversation} did. */
export interface PurgeResult {
  /** Items deleted (conversation partition and streams). */
  deletedItems: number;
  /** Streams whose record and chunks were deleted. */
  streams: number;
  /** Streams still running when the wait ran out: left to their TTL (see the README). */
  leftRunning: string[];
}

/** DynamoDB's BatchWriteItem bound. */
const BATCH = 25;
/** Tries of a batch whose items DynamoDB left unprocessed (throttled). */
const BATCH_TRIES = 8;

/** Options of {@link purgeConversation}. */
export interface PurgeOptions {
  /** How long to wait for a cancelled stream to end before leaving it (default 30 s). */
  waitMs?: number;
  pollMs?: number;
}

/**
 * Purges conversation `conversationId`: cancels a stream still answering (and waits for it
 * to end, so its quota slots and ledger entry are settled by its own worker), then deletes
 * every item of the conversation's partition and the record and chunks of every stream
 * named in its messages (`streamId`, `streamIds`) and its `activeStreamId`, in batches.
 * Never throws for a conversation already gone.
 */
export async function purgeConversation(
  deps: Pick<ProcessDeps, 'config' | 'logger' | 'store'>,
  conversationId: string,
  options: PurgeOptions = {},
): Promise<PurgeResult> {
  const dynamo = deps.store.client;
  const table = deps.config.tableName;
  const conversationItems = await queryAll(dynamo, table, conversationPartitionKey(conversationId));
  const streamIds = new Set<string>();
  for (const raw of conversationItems) {
    const item = unmarshall(raw);
    for (const key of ['streamId', 'activeStreamId'] as const)
      if (typeof item[key] === 'string') streamIds.add(item[key]);
    if (Array.isArray(item['streamIds']))
      for (const id of item['streamIds']) if (typeof id === 'string') streamIds.add(id);
  }
  const running = await cancelRunning(deps, [...streamIds]);
  const leftRunning = await waitForEnd(deps, running, options);
  let deletedItems = await deleteKeys(dynamo, table, conversationItems);
  let streams = 0;
  for (const streamId of streamIds) {
    if (leftRunning.includes(streamId)) continue;
    const items = await queryAll(dynamo, table, streamPartitionKey(streamId));
    deletedItems += await deleteKeys(dynamo, table, items);
    if (items.length) streams += 1;
  }
  deps.logger.info('conversation purged', {
    conversationId,
    deletedItems,
    streams,
    leftRunning: leftRunning.length,
  });
  return { deletedItems, streams, leftRunning };
}

/** Asks every stream not yet ended to stop; returns those. */
async function cancelRunning(
  deps: Pick<ProcessDeps, 'config' | 'store'>,
  streamIds: string[],
): Promise<string[]> {
  const running: string[] = [];
  for (const streamId of streamIds) {
    try {
      await deps.store.client.send(
        new UpdateItemCommand({
          TableName: deps.config.tableName,
          Key: marshall({
            [TABLE.partitionKey]: streamPartitionKey(streamId),
            [TABLE.sortKey]: TABLE.recordSortKey,
          }),
          UpdateExpression: 'SET cancelRequested = :yes',
          ConditionExpression: 'attribute_exists(pk) AND NOT (#status IN (:c, :x, :f))',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: marshall({
            ':yes': true,
            ':c': 'COMPLETED',
            ':x': 'CANCELLED',
            ':f': 'FAILED',
          }),
        }),
      );
      running.push(streamId);
    } catch (error) {
      // Gone or already ended.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
  return running;
}

/** Waits for cancelled streams to end; returns those still running when time ran out. */
async function waitForEnd(
  deps: Pick<ProcessDeps, 'config' | 'store'>,
  streamIds: string[],
  options: PurgeOptions,
): Promise<string[]> {
  const deadline = Date.now() + (options.waitMs ?? 30_000);
  let left = streamIds;
  while (left.length) {
    const still: string[] = [];
    for (const streamId of left) {
      const items = await deps.store.client.send(
        new QueryCommand({
          TableName: deps.config.tableName,
          KeyConditionExpression: 'pk = :pk AND sk = :sk',
          ExpressionAttributeValues: marshall({
            ':pk': streamPartitionKey(streamId),
            ':sk': TABLE.recordSortKey,
          }),
          ConsistentRead: true,
        }),
      );
      const record = items.Items?.[0] ? unmarshall(items.Items[0]) : null;
      if (record && !isTerminalStatus(record['status'] as string)) still.push(streamId);
    }
    left = still;
    if (!left.length || Date.now() >= deadline) break;
    await sleep(options.pollMs ?? 250);
  }
  return left;
}

/** Every item of partition `pk` (keys only). */
async function queryAll(
  dynamo: DynamoDBClient,
  table: string,
  pk: string,
): Promise<Array<Record<string, AttributeValue>>> {
  const items: Array<Record<string, AttributeValue>> = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const out = await dynamo.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: marshall({ ':pk': pk }),
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...(out.Items ?? []));
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** Deletes `items` by key in batches of 25, retrying what DynamoDB left unprocessed. */
async function deleteKeys(
  dynamo: DynamoDBClient,
  table: string,
  items: Array<Record<string, AttributeValue>>,
): Promise<number> {
  for (let i = 0; i < items.length; i += BATCH) {
    let requests: WriteRequest[] = items.slice(i, i + BATCH).map((item) => ({
      DeleteRequest: { Key: { pk: item['pk']!, sk: item['sk']! } },
    }));
    for (let tries = 1; requests.length; tries += 1) {
      const out = await dynamo.send(
        new BatchWriteItemCommand({ RequestItems: { [table]: requests } }),
      );
      requests = out.UnprocessedItems?.[table] ?? [];
      if (requests.length && tries >= BATCH_TRIES)
        throw new Error(`could not delete ${requests.length} items of a conversation`);
      if (requests.length) await sleep(backoffDelayMs(DEFAULT_RETRY_POLICY, tries + 1));
    }
  }
  return items.length;
}
