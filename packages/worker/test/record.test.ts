import { randomUUID } from 'node:crypto';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { TABLE, streamPartitionKey } from '@org/bedrock-stream-contracts';
import { ensureStreamsTable, startDynamoDB, type LocalDynamoDB } from '@org/bedrock-stream-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamRecordStore } from '../src/record.js';

let dynamo: LocalDynamoDB;
let client: DynamoDBClient;
let store: StreamRecordStore;

beforeAll(async () => {
  dynamo = await startDynamoDB();
  client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: dynamo.endpoint,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  await ensureStreamsTable(client, 'streams', TABLE);
  store = new StreamRecordStore(client, 'streams');
});
afterAll(async () => {
  client.destroy();
  await dynamo.close();
});

async function accepted(): Promise<string> {
  const streamId = randomUUID();
  await client.send(
    new PutItemCommand({
      TableName: 'streams',
      Item: marshall({
        pk: streamPartitionKey(streamId),
        sk: 'META',
        streamId,
        owner: 'apikey',
        status: 'ACCEPTED',
        input: { prompt: 'x' },
        modelId: 'm',
        attempt: 0,
        lastSeq: -1,
        cancelRequested: false,
      }),
    }),
  );
  return streamId;
}

describe('claiming a stream (real DynamoDB API, dynalite)', () => {
  it('claims once; a duplicate sees a live lease; a lapsed lease becomes the next attempt', async () => {
    const id = await accepted();
    const first = await store.claim(id, 60_000);
    expect(first).toMatchObject({
      kind: 'claimed',
      record: { attempt: 1, status: 'RUNNING', lastSeq: -1 },
    });
    expect(await store.claim(id, 60_000)).toMatchObject({ kind: 'held' });
    expect(await store.claim(id, 60_000, Date.now() + 120_000)).toMatchObject({
      kind: 'claimed',
      record: { attempt: 2 },
    });
  });

  it('lets a retry take over at once after the failed run released its lease', async () => {
    const id = await accepted();
    await store.claim(id, 60_000);
    await store.releaseLease(id, 1);
    expect(await store.claim(id, 60_000)).toMatchObject({
      kind: 'claimed',
      record: { attempt: 2 },
    });
    expect(await store.renewLease(id, 1, 60_000)).toBe(false); // attempt 1 no longer holds it
  });

  it('treats a finished stream as a duplicate and ignores a stale attempt’s finish', async () => {
    const id = await accepted();
    await store.claim(id, 60_000);
    await store.finish(id, 1, {
      status: 'COMPLETED',
      stopReason: 'end_turn',
      usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 },
    });
    expect(await store.claim(id, 60_000)).toMatchObject({
      kind: 'finished',
      record: { status: 'COMPLETED', usage: { totalTokens: 3 } },
    });
    await store.finish(id, 7, { status: 'FAILED' });
    expect((await store.get(id))?.status).toBe('COMPLETED');
  });

  it('reports a missing record', async () => {
    expect(await store.claim(randomUUID(), 1_000)).toEqual({ kind: 'missing' });
  });
});
