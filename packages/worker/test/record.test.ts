import { randomUUID } from 'node:crypto';
import { DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import {
  TABLE,
  chunkSortKey,
  encodeChunkPayload,
  streamPartitionKey,
  type ChunkEvent,
} from '@org/bedrock-stream-contracts';
import { ensureStreamsTable, startDynamoDB, type LocalDynamoDB } from '@org/bedrock-stream-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endAbandonedStream } from '../src/abandon.js';
import { settleFromStoredChunks } from '../src/process-stream.js';
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

/** Stores chunk (attempt, seq) as publishChunk would (and moves lastSeq). */
async function storeChunk(streamId: string, attempt: number, seq: number, events: ChunkEvent[]) {
  await client.send(
    new PutItemCommand({
      TableName: 'streams',
      Item: marshall({
        pk: streamPartitionKey(streamId),
        sk: chunkSortKey(attempt, seq),
        streamId,
        attempt,
        seq,
        payload: encodeChunkPayload({ v: 1, events }),
      }),
    }),
  );
}

describe('a run that published its end but died before recording it', () => {
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const noPublish = () => Promise.reject(new Error('must not publish'));

  it('storedTerminal finds the end event of the last stored chunk, and only that', async () => {
    const id = await accepted();
    const claimed = await store.claim(id, 60_000);
    if (claimed.kind !== 'claimed') throw new Error('not claimed');
    expect(await store.storedTerminal(claimed.record)).toBeNull();
    await storeChunk(id, 1, 0, [{ type: 'text', text: 'hi' }]);
    expect(await store.storedTerminal({ ...claimed.record, lastSeq: 0 })).toBeNull();
    const end: ChunkEvent = {
      type: 'end',
      stopReason: 'end_turn',
      usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
      timings: { timeToFirstTokenMs: 5, totalMs: 9, modelLatencyMs: null },
    };
    await storeChunk(id, 1, 1, [{ type: 'text', text: '!' }, end]);
    expect(await store.storedTerminal({ ...claimed.record, lastSeq: 1 })).toEqual(end);
  });

  it('a stored terminal chunk (terminalSeq) blocks a takeover; the outcome is recorded instead', async () => {
    const id = await accepted();
    const claimed = await store.claim(id, 1_000);
    if (claimed.kind !== 'claimed') throw new Error('not claimed');
    const end: ChunkEvent = {
      type: 'end',
      stopReason: 'end_turn',
      usage: null,
      timings: { timeToFirstTokenMs: 1, totalMs: 2, modelLatencyMs: null },
    };
    await storeChunk(id, 1, 0, [{ type: 'text', text: 'all of it' }, end]);
    // What publishChunk's advanceLastSeq does for a terminal chunk.
    await client.send(
      new UpdateItemCommand({
        TableName: 'streams',
        Key: marshall({ pk: streamPartitionKey(id), sk: 'META' }),
        UpdateExpression: 'SET lastSeq = :s, terminalSeq = :s',
        ExpressionAttributeValues: marshall({ ':s': 0 }),
      }),
    );
    // Long after the lease lapsed (Lambda retries after minutes), still no takeover.
    const retry = await store.claim(id, 1_000, Date.now() + 600_000);
    expect(retry).toMatchObject({ kind: 'published', record: { attempt: 1, terminalSeq: 0 } });
    if (retry.kind !== 'published') throw new Error('not published');
    expect(await settleFromStoredChunks({ store, logger: quiet }, retry.record)).toBe(true);
    expect(await store.get(id)).toMatchObject({ status: 'COMPLETED', attempt: 1 });
    expect(await store.claim(id, 1_000)).toMatchObject({ kind: 'finished' });
  });

  it('a stored error chunk is recorded as the stored error clients saw', async () => {
    const id = await accepted();
    const claimed = await store.claim(id, 60_000);
    if (claimed.kind !== 'claimed') throw new Error('not claimed');
    await storeChunk(id, 1, 0, [
      { type: 'error', code: 'ValidationException', message: 'bad request', retryable: false },
    ]);
    expect(
      await settleFromStoredChunks({ store, logger: quiet }, { ...claimed.record, lastSeq: 0 }),
    ).toBe(true);
    const record = await store.get(id);
    expect(record).toMatchObject({ status: 'FAILED', attempt: 1 });
    expect(record?.error).toEqual({
      code: 'ValidationException',
      message: 'bad request',
      retryable: false,
    });
  });

  it('the on-failure consumer records the published outcome instead of a WorkerFailed error', async () => {
    const id = await accepted();
    const claimed = await store.claim(id, 60_000);
    if (claimed.kind !== 'claimed') throw new Error('not claimed');
    await storeChunk(id, 1, 0, [
      { type: 'text', text: 'done' },
      {
        type: 'end',
        stopReason: 'max_tokens',
        usage: null,
        timings: { timeToFirstTokenMs: 1, totalMs: 2, modelLatencyMs: null },
      },
    ]);
    await client.send(
      new UpdateItemCommand({
        TableName: 'streams',
        Key: marshall({ pk: streamPartitionKey(id), sk: 'META' }),
        UpdateExpression: 'SET lastSeq = :s',
        ExpressionAttributeValues: marshall({ ':s': 0 }),
      }),
    );
    const outcome = await endAbandonedStream(
      { store, publish: noPublish, logger: quiet },
      id,
      'RetriesExhausted',
    );
    expect(outcome).toBe('finished');
    expect(await store.get(id)).toMatchObject({
      status: 'COMPLETED',
      stopReason: 'max_tokens',
      attempt: 1,
    });
  });
});
