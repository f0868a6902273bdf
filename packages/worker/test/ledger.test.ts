import { randomUUID } from 'node:crypto';
import {
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import {
  TABLE,
  chunkSortKey,
  encodeChunkPayload,
  ownerPartitionKey,
  streamPartitionKey,
  usageDaySortKey,
  usageMonthSortKey,
  type StreamSlot,
} from '@org/bedrock-stream-contracts';
import { ensureStreamsTable, startDynamoDB, type LocalDynamoDB } from '@org/bedrock-stream-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DailyOutputQuota } from '../src/daily-quota.js';
import { QuotaExceededError } from '../src/errors.js';
import { ledgerUsage } from '../src/ledger.js';
import { StreamRecordStore, type StreamRecord } from '../src/record.js';

// The end of a stream as one transaction (record, slots, ledger) against the local store's
// TransactWriteItems, and the daily output quota a running answer checks.
let dynamo: LocalDynamoDB;
let client: DynamoDBClient;
let store: StreamRecordStore;
const TABLE_NAME = 'ledger-streams';

beforeAll(async () => {
  dynamo = await startDynamoDB();
  client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: dynamo.endpoint,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  await ensureStreamsTable(client, TABLE_NAME, TABLE);
  store = new StreamRecordStore(client, TABLE_NAME);
});
afterAll(async () => {
  client.destroy();
  await dynamo.close();
});

async function item(pk: string, sk: string) {
  const out = await client.send(
    new GetItemCommand({ TableName: TABLE_NAME, Key: marshall({ pk, sk }), ConsistentRead: true }),
  );
  return out.Item ? unmarshall(out.Item) : null;
}

/** A claimed stream of `owner` holding `slots`, with the counters taken as startStream does. */
async function running(owner: string, slots: StreamSlot[] = []): Promise<StreamRecord> {
  const streamId = randomUUID();
  await client.send(
    new PutItemCommand({
      TableName: TABLE_NAME,
      Item: marshall({
        pk: streamPartitionKey(streamId),
        sk: TABLE.recordSortKey,
        streamId,
        owner,
        status: 'ACCEPTED',
        input: { modelId: 'model.a', prompt: 'x'.repeat(40) },
        modelId: 'model.a',
        attempt: 0,
        lastSeq: -1,
        cancelRequested: false,
        ...(slots.length ? { slots } : {}),
      }),
    }),
  );
  for (const slot of slots) {
    const pk = slot === 'owner' ? ownerPartitionKey(owner) : TABLE.globalPartitionKey;
    await client.send(
      new UpdateItemCommand({
        TableName: TABLE_NAME,
        Key: marshall({ pk, sk: TABLE.activeSortKey }),
        UpdateExpression: 'ADD active :one',
        ExpressionAttributeValues: marshall({ ':one': 1 }),
      }),
    );
  }
  const claimed = await store.claim(streamId, 60_000);
  if (claimed.kind !== 'claimed') throw new Error('not claimed');
  return claimed.record;
}

const today = () => new Date().toISOString().slice(0, 10);
const usage = { inputTokens: 10, outputTokens: 20, totalTokens: 30, cacheReadInputTokens: 4 };

describe('a stream’s end (one transaction)', () => {
  it('ends the record, gives the slots back and adds its usage to the ledger, exactly once', async () => {
    const owner = `owner-${randomUUID()}`;
    const record = await running(owner, ['owner', 'global']);
    const globalBefore = (await item(TABLE.globalPartitionKey, TABLE.activeSortKey))?.['active'];
    const outcome = { status: 'COMPLETED' as const, stopReason: 'end_turn', usage };
    // The run and two late duplicates end it at once: one wins, the others change nothing.
    const results = await Promise.all([
      store.finish(record, outcome),
      store.finish(record, outcome),
      store.finish(record, outcome),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const stored = await store.get(record.streamId);
    expect(stored).toMatchObject({
      status: 'COMPLETED',
      ledger: {
        inputTokens: 10,
        outputTokens: 20,
        cacheReadInputTokens: 4,
        cacheWriteInputTokens: 0,
        estimated: false,
      },
    });
    expect(stored?.slots).toBeUndefined();
    expect((await item(ownerPartitionKey(owner), TABLE.activeSortKey))?.['active']).toBe(0);
    expect((await item(TABLE.globalPartitionKey, TABLE.activeSortKey))?.['active']).toBe(
      (globalBefore as number) - 1,
    );
    const totals = {
      streams: 1,
      estimatedStreams: 0,
      inputTokens: 10,
      outputTokens: 20,
      cacheReadInputTokens: 4,
      cacheWriteInputTokens: 0,
    };
    const month = today().slice(0, 7);
    expect(await item(ownerPartitionKey(owner), usageDaySortKey(today()))).toMatchObject({
      ...totals,
      owner,
      period: today(),
    });
    expect(await item(ownerPartitionKey(owner), usageDaySortKey(today(), 'model.a'))).toMatchObject(
      { ...totals, modelId: 'model.a' },
    );
    expect(await item(ownerPartitionKey(owner), usageMonthSortKey(month))).toMatchObject(totals);
    expect(await item(ownerPartitionKey(owner), usageMonthSortKey(month, 'model.a'))).toMatchObject(
      totals,
    );
  });

  it('adds up concurrent ends of many streams of one owner', async () => {
    const owner = `owner-${randomUUID()}`;
    const records = await Promise.all(Array.from({ length: 12 }, () => running(owner, ['owner'])));
    await Promise.all(
      records.map((r, i) =>
        store.finish(r, {
          status: 'COMPLETED',
          usage: { inputTokens: i, outputTokens: 2 * i, totalTokens: 3 * i },
        }),
      ),
    );
    const day = await item(ownerPartitionKey(owner), usageDaySortKey(today()));
    expect(day).toMatchObject({ streams: 12, inputTokens: 66, outputTokens: 132 });
    expect((await item(ownerPartitionKey(owner), TABLE.activeSortKey))?.['active']).toBe(0);
  });

  it('ignores a superseded attempt', async () => {
    const record = await running(`owner-${randomUUID()}`, ['owner']);
    expect(await store.finish({ ...record, attempt: 7 }, { status: 'FAILED' })).toBe(false);
    expect((await store.get(record.streamId))?.status).toBe('RUNNING');
  });

  it('ends a stream whose slots were given back meanwhile without giving them back twice', async () => {
    const owner = `owner-${randomUUID()}`;
    const record = await running(owner, ['owner']);
    // What the resolvers' releaseStartSlots did after a failed invoke (with a late run).
    await client.send(
      new PutItemCommand({
        TableName: TABLE_NAME,
        Item: marshall(
          { ...(await item(streamPartitionKey(record.streamId), 'META')), slots: undefined },
          { removeUndefinedValues: true },
        ),
      }),
    );
    await client.send(
      new PutItemCommand({
        TableName: TABLE_NAME,
        Item: marshall({ pk: ownerPartitionKey(owner), sk: TABLE.activeSortKey, active: 0 }),
      }),
    );
    expect(await store.finish(record, { status: 'COMPLETED', usage })).toBe(true);
    expect((await item(ownerPartitionKey(owner), TABLE.activeSortKey))?.['active']).toBe(0);
    expect((await store.get(record.streamId))?.status).toBe('COMPLETED');
  });

  it('estimates what Bedrock did not report: from the run, or from the stored chunks', async () => {
    expect(
      ledgerUsage(null, { prompt: 'x'.repeat(100) }, { outputChars: 41, modelCalled: true }),
    ).toEqual({
      inputTokens: Math.ceil(JSON.stringify({ prompt: 'x'.repeat(100) }).length / 4),
      outputTokens: 11,
      cacheReadInputTokens: 0,
      cacheWriteInputTokens: 0,
      estimated: true,
    });
    // A conversation's answer: the input the model got (its history), not the stored one.
    expect(
      ledgerUsage(null, { modelId: 'm' }, { outputChars: 0, modelCalled: true, inputChars: 400 }),
    ).toMatchObject({ inputTokens: 100, estimated: true });
    expect(ledgerUsage(null, {}, { outputChars: 0, modelCalled: false })).toMatchObject({
      inputTokens: 0,
      outputTokens: 0,
      estimated: false,
    });
    const owner = `owner-${randomUUID()}`;
    const record = await running(owner);
    for (const [seq, text] of ['a'.repeat(30), 'b'.repeat(50)].entries()) {
      await client.send(
        new PutItemCommand({
          TableName: TABLE_NAME,
          Item: marshall({
            pk: streamPartitionKey(record.streamId),
            sk: chunkSortKey(1, seq),
            payload: encodeChunkPayload({ v: 1, events: [{ type: 'text', text }] }),
          }),
        }),
      );
    }
    await store.finish({ ...record, lastSeq: 1 }, { status: 'FAILED' });
    expect((await store.get(record.streamId))?.ledger).toMatchObject({
      outputTokens: 20,
      estimated: true,
    });
    expect(await item(ownerPartitionKey(owner), usageDaySortKey(today()))).toMatchObject({
      streams: 1,
      estimatedStreams: 1,
      outputTokens: 20,
    });
  });
});

describe('DailyOutputQuota', () => {
  it('counts the ledger today plus this answer, and names when to retry', async () => {
    const owner = `owner-${randomUUID()}`;
    const record = await running(owner);
    await store.finish(record, {
      status: 'COMPLETED',
      usage: { inputTokens: 1, outputTokens: 900, totalTokens: 901 },
    });
    const quota = await DailyOutputQuota.open({ store, owner, limit: 1_000, refreshMs: 60_000 });
    try {
      expect(quota.exhausted).toBe(false);
      expect(() => quota.check(100)).not.toThrow();
      const error = (() => {
        try {
          quota.check(101);
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(error).toBeInstanceOf(QuotaExceededError);
      expect((error as QuotaExceededError).name).toBe('QuotaExceeded');
      expect((error as QuotaExceededError).retryAfterSeconds).toBeGreaterThan(0);
      expect((error as QuotaExceededError).retryAfterSeconds).toBeLessThanOrEqual(86_400);
    } finally {
      quota.stop();
    }
  });
});
