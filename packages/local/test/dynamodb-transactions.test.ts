import {
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  TransactionCanceledException,
  UpdateItemCommand,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureStreamsTable, startDynamoDB, type LocalDynamoDB } from '../src/index.js';

// TransactWriteItems, which dynalite lacks, through the real @aws-sdk/client-dynamodb.
let db: LocalDynamoDB;
let client: DynamoDBClient;
const TableName = 'transactions';
const key = (pk: string, sk = 'X') => marshall({ pk, sk });

beforeAll(async () => {
  db = await startDynamoDB();
  client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: db.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await ensureStreamsTable(client, TableName);
});
afterAll(async () => {
  client.destroy();
  await db.close();
});

async function get(pk: string, sk = 'X') {
  const out = await client.send(
    new GetItemCommand({ TableName, Key: key(pk, sk), ConsistentRead: true }),
  );
  return out.Item ? unmarshall(out.Item) : null;
}

async function transact(items: TransactWriteItem[]) {
  try {
    await client.send(new TransactWriteItemsCommand({ TransactItems: items }));
    return { ok: true as const };
  } catch (error) {
    if (error instanceof TransactionCanceledException) {
      return { ok: false as const, reasons: error.CancellationReasons ?? [] };
    }
    throw error;
  }
}

const addOne = (pk: string, limit: number): TransactWriteItem => ({
  Update: {
    TableName,
    Key: key(pk, 'ACTIVE'),
    UpdateExpression: 'ADD active :one',
    ConditionExpression: 'attribute_not_exists(active) OR active < :limit',
    ExpressionAttributeValues: marshall({ ':one': 1, ':limit': limit }),
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  },
});

describe('TransactWriteItems (local store)', () => {
  it('applies every action when every condition holds', async () => {
    const out = await transact([
      {
        Put: {
          TableName,
          Item: marshall({ pk: 'a', sk: 'X', v: 1 }),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      addOne('owner-a', 3),
      {
        ConditionCheck: {
          TableName,
          Key: key('owner-a', 'DAY'),
          ConditionExpression: 'attribute_not_exists(n) OR n < :max',
          ExpressionAttributeValues: marshall({ ':max': 10 }),
        },
      },
    ]);
    expect(out).toEqual({ ok: true });
    expect(await get('a')).toEqual({ pk: 'a', sk: 'X', v: 1 });
    expect(await get('owner-a', 'ACTIVE')).toEqual({ pk: 'owner-a', sk: 'ACTIVE', active: 1 });
    expect(await get('owner-a', 'DAY')).toBeNull();
  });

  it('writes nothing when one condition fails, and says which (old item on ALL_OLD)', async () => {
    await client.send(
      new PutItemCommand({ TableName, Item: marshall({ pk: 'full', sk: 'ACTIVE', active: 2 }) }),
    );
    const out = await transact([
      { Put: { TableName, Item: marshall({ pk: 'b', sk: 'X' }) } },
      addOne('full', 2),
      {
        Delete: {
          TableName,
          Key: key('gone'),
          ConditionExpression: 'attribute_exists(pk)',
        },
      },
    ]);
    expect(out.ok).toBe(false);
    expect(out.ok ? [] : out.reasons).toEqual([
      { Code: 'None' },
      {
        Code: 'ConditionalCheckFailed',
        Message: 'The conditional request failed',
        Item: marshall({ pk: 'full', sk: 'ACTIVE', active: 2 }),
      },
      { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' },
    ]);
    expect(await get('b')).toBeNull();
    expect(await get('full', 'ACTIVE')).toMatchObject({ active: 2 });
  });

  it('lets exactly the limit through when many transactions race for one counter', async () => {
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        transact([
          { Put: { TableName, Item: marshall({ pk: `race-${i}`, sk: 'X' }) } },
          addOne('racer', 7),
        ]),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(7);
    expect(await get('racer', 'ACTIVE')).toMatchObject({ active: 7 });
    const stored = await Promise.all(Array.from({ length: 60 }, (_, i) => get(`race-${i}`)));
    expect(stored.filter(Boolean)).toHaveLength(7);
  });

  it('serializes with single-item writes to the same item', async () => {
    await Promise.all([
      ...Array.from({ length: 20 }, () => transact([addOne('mixed', 1_000)])),
      ...Array.from({ length: 20 }, () =>
        client.send(
          new UpdateItemCommand({
            TableName,
            Key: key('mixed', 'ACTIVE'),
            UpdateExpression: 'ADD active :one',
            ExpressionAttributeValues: marshall({ ':one': 1 }),
          }),
        ),
      ),
    ]);
    expect(await get('mixed', 'ACTIVE')).toMatchObject({ active: 40 });
  });

  it('undoes earlier writes when a later update fails, and reports a ValidationError', async () => {
    await client.send(
      new PutItemCommand({ TableName, Item: marshall({ pk: 'text', sk: 'X', n: 'not a number' }) }),
    );
    const out = await transact([
      { Put: { TableName, Item: marshall({ pk: 'c', sk: 'X' }) } },
      {
        Update: {
          TableName,
          Key: key('text'),
          UpdateExpression: 'ADD n :one',
          ExpressionAttributeValues: marshall({ ':one': 1 }),
        },
      },
    ]);
    expect(out.ok).toBe(false);
    expect(out.ok ? [] : out.reasons.map((r) => r.Code)).toEqual(['None', 'ValidationError']);
    expect(await get('c')).toBeNull();
  });

  it('refuses two actions on one item and malformed requests like DynamoDB', async () => {
    await expect(
      client.send(
        new TransactWriteItemsCommand({
          TransactItems: [addOne('dup', 5), addOne('dup', 5)],
        }),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Transaction request cannot include multiple operations on one item',
    });
    await expect(
      client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Update: {
                TableName,
                Key: key('unused'),
                UpdateExpression: 'SET a = :a',
                ExpressionAttributeValues: marshall({ ':a': 1, ':b': 2 }),
              },
            },
          ],
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(
      client.send(
        new TransactWriteItemsCommand({
          TransactItems: [{ Put: { TableName: 'no-such-table', Item: marshall({ pk: 'x' }) } }],
        }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});
