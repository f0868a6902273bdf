import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { CONVERSATIONS_BY_OWNER } from '@org/bedrock-stream-contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureStreamsTable, startDynamoDB, type LocalDynamoDB } from '../src/index.js';

const running: LocalDynamoDB[] = [];
const clients: DynamoDBClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const d of running.splice(0)) await d.close();
});

async function start(dataDir?: string) {
  const db = await startDynamoDB({ port: 0, ...(dataDir ? { dataDir } : {}) });
  running.push(db);
  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: db.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  clients.push(client);
  return { db, client };
}

const item = { pk: { S: 'STREAM#s1' }, sk: { S: 'META' }, status: { S: 'ACCEPTED' } };
const key = { pk: item.pk, sk: item.sk };

describe('startDynamoDB + ensureStreamsTable (real @aws-sdk/client-dynamodb)', () => {
  it('creates the streams table per the contracts design, idempotently', async () => {
    const { db, client } = await start();
    expect(db.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const first = await ensureStreamsTable(client, 'streams');
    // dynalite 4 has no UpdateTimeToLive: local items never expire (documented).
    expect(first).toEqual({ created: true, ttl: 'unsupported' });
    expect(await ensureStreamsTable(client, 'streams')).toMatchObject({ created: false });
    const { Table } = await client.send(new DescribeTableCommand({ TableName: 'streams' }));
    expect(Table).toMatchObject({
      TableStatus: 'ACTIVE',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
    });
    await client.send(new PutItemCommand({ TableName: 'streams', Item: item }));
    const { Item } = await client.send(new GetItemCommand({ TableName: 'streams', Key: key }));
    expect(Item).toEqual(item);
  });

  it("adds contracts' conversationsByOwner index, listing an owner's conversations newest first", async () => {
    const { client } = await start();
    await ensureStreamsTable(client, 'streams');
    const { Table } = await client.send(new DescribeTableCommand({ TableName: 'streams' }));
    expect(Table?.GlobalSecondaryIndexes).toEqual([
      expect.objectContaining({
        IndexName: CONVERSATIONS_BY_OWNER.indexName,
        KeySchema: [
          { AttributeName: CONVERSATIONS_BY_OWNER.partitionKey, KeyType: 'HASH' },
          { AttributeName: CONVERSATIONS_BY_OWNER.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      }),
    ]);
    const put = (id: string, owner: string, at: string) =>
      client.send(
        new PutItemCommand({
          TableName: 'streams',
          Item: marshall({
            pk: `CONV#${id}`,
            sk: 'META',
            title: id,
            convOwner: owner,
            convUpdatedAt: at,
          }),
        }),
      );
    await put('a', 'alice', '2026-01-01T00:00:00.000Z');
    await put('b', 'alice', '2026-01-03T00:00:00.000Z');
    await put('c', 'bob', '2026-01-02T00:00:00.000Z');
    // Not a conversation record: no index keys, so never in the index.
    await client.send(new PutItemCommand({ TableName: 'streams', Item: item }));
    const { Items } = await client.send(
      new QueryCommand({
        TableName: 'streams',
        IndexName: CONVERSATIONS_BY_OWNER.indexName,
        KeyConditionExpression: 'convOwner = :owner',
        ExpressionAttributeValues: marshall({ ':owner': 'alice' }),
        ScanIndexForward: false,
      }),
    );
    expect((Items ?? []).map((i) => unmarshall(i)['title'])).toEqual(['b', 'a']);
  });

  it('refuses an existing table without the index, saying how to recreate it', async () => {
    const { client } = await start();
    await ensureStreamsTable(client, 'old', undefined, []);
    await expect(ensureStreamsTable(client, 'old')).rejects.toThrow(
      'table old has no index conversationsByOwner (made by an older version); remove its data directory to recreate it',
    );
  });

  it('keeps data across restarts only with a dataDir', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'dynamo-test-')), 'data');
    {
      const { db, client } = await start(dataDir);
      await ensureStreamsTable(client, 'streams');
      await client.send(new PutItemCommand({ TableName: 'streams', Item: item }));
      await db.close();
    }
    {
      const { client } = await start(dataDir);
      const { Item } = await client.send(new GetItemCommand({ TableName: 'streams', Key: key }));
      expect(Item).toEqual(item);
    }
    const { client } = await start();
    await expect(
      client.send(new GetItemCommand({ TableName: 'streams', Key: key })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});
