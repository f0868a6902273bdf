import { randomUUID } from 'node:crypto';
import { DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { TABLE, streamPartitionKey } from '@org/bedrock-stream-contracts';
import { ensureStreamsTable, startDynamoDB, type LocalDynamoDB } from '@org/bedrock-stream-local';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LeaseWatch } from '../src/lease-watch.js';
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

/** A stream claimed as attempt 1 (real DynamoDB API, dynalite). */
async function claimedStream(leaseMs: number): Promise<string> {
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
  await store.claim(streamId, leaseMs);
  return streamId;
}

const aborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));

describe('LeaseWatch', () => {
  it('keeps the lease alive while the run lasts', async () => {
    const id = await claimedStream(300);
    const watch = new LeaseWatch({ store, streamId: id, attempt: 1, leaseMs: 300, pollMs: 20 });
    watch.start();
    try {
      const first = (await store.get(id))?.leaseExpiresAt ?? 0;
      // Renewals push the lease out (a lapsed one would let a duplicate take over).
      for (;;) {
        const now = (await store.get(id))?.leaseExpiresAt ?? 0;
        if (now > first) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(watch.signal.aborted).toBe(false);
    } finally {
      watch.stop();
    }
  });

  it('notices a cancel request', async () => {
    const id = await claimedStream(60_000);
    const watch = new LeaseWatch({ store, streamId: id, attempt: 1, leaseMs: 60_000, pollMs: 20 });
    watch.start();
    await client.send(
      new UpdateItemCommand({
        TableName: 'streams',
        Key: marshall({ pk: streamPartitionKey(id), sk: 'META' }),
        UpdateExpression: 'SET cancelRequested = :t',
        ExpressionAttributeValues: marshall({ ':t': true }),
      }),
    );
    await aborted(watch.signal);
    watch.stop();
    expect({ cancelled: watch.cancelled, superseded: watch.superseded }).toEqual({
      cancelled: true,
      superseded: false,
    });
  });

  it('reports a lease lost to a newer attempt as superseded, not as a cancel', async () => {
    const id = await claimedStream(60_000);
    // Attempt 2 took over (as after a lapsed lease).
    await store.claim(id, 60_000, Date.now() + 120_000);
    const watch = new LeaseWatch({ store, streamId: id, attempt: 1, leaseMs: 60, pollMs: 20 });
    watch.start();
    await aborted(watch.signal);
    watch.stop();
    expect({ cancelled: watch.cancelled, superseded: watch.superseded }).toEqual({
      cancelled: false,
      superseded: true,
    });
  });

  it('stops at once when a publish answers that the owner cancelled', async () => {
    const id = await claimedStream(60_000);
    const watch = new LeaseWatch({
      store,
      streamId: id,
      attempt: 1,
      leaseMs: 60_000,
      pollMs: 60_000,
    });
    watch.start();
    watch.acknowledge({ cancelRequested: false });
    expect(watch.signal.aborted).toBe(false);
    watch.acknowledge({ cancelRequested: true });
    watch.stop();
    expect({ cancelled: watch.cancelled, superseded: watch.superseded }).toEqual({
      cancelled: true,
      superseded: false,
    });
  });

  it('reads the record only while no publish answered the flag within a poll interval', async () => {
    const id = await claimedStream(600_000);
    // The real store, counted: each read is a DynamoDB GetItem the stream pays for.
    let reads = 0;
    const counted = {
      get: (streamId: string) => {
        reads += 1;
        return store.get(streamId);
      },
      renewLease: store.renewLease.bind(store),
    };
    // Only the watch's clock is faked; dynalite's own timers stay real.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const watch = new LeaseWatch({
      store: counted,
      streamId: id,
      attempt: 1,
      leaseMs: 600_000,
      pollMs: 200,
    });
    try {
      watch.start();
      // Publishing: an answer every 100 ms, so every poll finds the flag fresh.
      for (let i = 0; i < 10; i += 1) {
        watch.acknowledge({ cancelRequested: false });
        await vi.advanceTimersByTimeAsync(100);
      }
      expect(reads).toBe(0);
      // Idle (a tool runs): the poll reads again.
      await vi.advanceTimersByTimeAsync(600);
      expect(reads).toBeGreaterThan(0);
    } finally {
      watch.stop();
      vi.useRealTimers();
    }
  });
});
