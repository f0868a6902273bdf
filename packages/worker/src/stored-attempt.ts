import { QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import {
  PartsBuilder,
  chunkSortKey,
  safeDecodeChunkPayload,
  streamPartitionKey,
  type StreamPart,
} from '@org/bedrock-stream-contracts';
import type { SpentEstimate } from './ledger.js';
import type { StreamRecord } from './record.js';

/** What an attempt streamed, read back from its stored chunks. */
export interface StoredAttempt {
  /** For the ledger's estimate when Bedrock reported no usage. */
  spent: SpentEstimate;
  /** The answer's parts, folded as clients fold them (contracts PartsBuilder). */
  parts: readonly StreamPart[];
}

/**
 * What `record`'s current attempt streamed, from its stored chunks: for the ledger's
 * estimate and a conversation's answer when the run that streamed it is gone (the
 * on-failure consumer, an outcome settled from a stored terminal chunk).
 */
export async function readStoredAttempt(
  client: DynamoDBClient,
  tableName: string,
  record: StreamRecord,
): Promise<StoredAttempt> {
  if (record.attempt < 1 || record.lastSeq < 0)
    return { spent: { outputChars: 0, modelCalled: false }, parts: [] };
  let outputChars = 0;
  const parts = new PartsBuilder();
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const out = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: marshall({
          ':pk': streamPartitionKey(record.streamId),
          ':prefix': chunkSortKey(record.attempt, 0).slice(0, -9),
        }),
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of out.Items ?? []) {
      const decoded = safeDecodeChunkPayload(unmarshall(item)['payload']);
      if (!decoded.ok) continue;
      for (const event of decoded.value.events) {
        if (event.type === 'text') outputChars += event.text.length;
        parts.apply(event);
      }
    }
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return { spent: { outputChars, modelCalled: true }, parts: parts.parts };
}
