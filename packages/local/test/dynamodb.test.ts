import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
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
