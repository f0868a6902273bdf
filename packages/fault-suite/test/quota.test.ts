/**
 * Abuse of the Bedrock budget: one user bursting 500 starts gets exactly the configured
 * number of streams while another user is unaffected; and the usage ledger stays exact
 * (each stream counted once, with its recorded usage) under duplicate deliveries and
 * worker kills.
 */
import { randomUUID } from 'node:crypto';
import { TABLE, isTerminalStatus, streamPartitionKey } from '@org/bedrock-stream-contracts';
import type { LocalStack } from '@org/bedrock-stream-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activeStreams,
  eventually,
  gql,
  inBatches,
  myUsageToday,
  reportCase,
  startSuiteStack,
  storedItem,
  type LedgerTotals,
} from '../src/index.js';
import { START } from '../src/abuse.js';

const PER_OWNER = 10;
let stack: LocalStack;
beforeAll(async () => {
  // 100 tokens/s: a 1,000-token answer runs 10 s, far longer than the burst takes, so no
  // slot frees while it lasts. Workers for every admitted stream at once.
  stack = await startSuiteStack({
    model: { timeToFirstTokenMs: 5, tokensPerSecond: 100, outputTokens: 40 },
    worker: {
      leaseMs: 600,
      concurrency: 2 * PER_OWNER,
      timeoutMs: 60_000,
      retryDelaysMs: [200, 400],
    },
    quotas: { concurrentStreamsPerOwner: PER_OWNER },
  });
});
afterAll(async () => {
  await stack?.stop();
});

type StartResult = {
  streamId: string;
  error: { errorType?: string; errorInfo?: Record<string, unknown> | null } | null;
};

const GET_STREAM = `query GetStream($streamId: ID!) {
  getStream(streamId: $streamId) { status attempt lastSeq usage }
}`;
type OwnedRecord = { status: string; attempt: number; lastSeq: number; usage: string | null };

/** The record as its owner reads it; null when there is none. */
async function recordAs(
  headers: Record<string, string>,
  streamId: string,
): Promise<OwnedRecord | null> {
  const res = await gql(stack.config.graphqlUrl, headers, GET_STREAM, { streamId });
  if (res.errors?.[0]?.errorType === 'NotFound') return null;
  if (res.errors?.length) throw new Error(`getStream: ${res.errors[0]!.message}`);
  return res.data!['getStream'] as OwnedRecord;
}

/** Waits until the owner sees the stream ended. */
async function endedAs(headers: Record<string, string>, streamId: string): Promise<OwnedRecord> {
  let last: OwnedRecord | null = null;
  try {
    return await eventually(
      async () => {
        last = await recordAs(headers, streamId);
        return last && isTerminalStatus(last.status) ? last : null;
      },
      90_000,
      `stream ${streamId} to end`,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last seen ${JSON.stringify(last)}`);
  }
}

const CANCEL = `mutation Cancel($streamId: ID!) { cancelStream(streamId: $streamId) { streamId } }`;

async function start(headers: Record<string, string>, prompt: string): Promise<StartResult> {
  const streamId = randomUUID();
  const res = await gql(stack.config.graphqlUrl, headers, START, {
    input: { streamId, modelId: stack.config.defaultModelId, prompt },
  });
  return { streamId, error: (res.errors?.[0] as StartResult['error']) ?? null };
}

const isStream = (streamId: string) => (payload: unknown) =>
  (payload as { streamId?: string } | null)?.streamId === streamId;

describe('quotas under abuse', () => {
  it('one owner bursting 500 starts gets exactly the limit through; a second owner is unaffected', async () => {
    // The admitted streams wait 2 min for their first token (under the worker's stall
    // timeout), so none ends, and none publishes, while the burst lasts however slow the
    // machine; then they are cancelled, which gives their slots back.
    stack = await startSuiteStack({
      model: { timeToFirstTokenMs: 120_000, tokensPerSecond: 400, outputTokens: 40 },
      worker: {
        leaseMs: 3_000,
        concurrency: 2 * PER_OWNER,
        timeoutMs: 300_000,
        stallTimeoutMs: 200_000,
      },
      quotas: { concurrentStreamsPerOwner: PER_OWNER },
    });
    const BURST = 500;
    const alice = { authorization: await stack.issueJwt('burst-alice') };
    const bob = { authorization: await stack.issueJwt('burst-bob') };
    const invocationsBefore = stack.invoker.stats().invocations;
    const started = Date.now();
    const [aliceResults, bobResults] = await Promise.all([
      Promise.all(Array.from({ length: BURST }, (_, i) => start(alice, `burst ${i}`))),
      Promise.all(Array.from({ length: PER_OWNER }, (_, i) => start(bob, `bob ${i}`))),
    ]);
    const burstMs = Date.now() - started;
    const admitted = aliceResults.filter((r) => r.error === null);
    const refused = aliceResults.filter((r) => r.error !== null);
    // Nothing admitted has ended yet, so no slot could have been reused during the burst.
    for (const r of admitted) {
      const record = await recordAs(alice, r.streamId);
      expect(['ACCEPTED', 'RUNNING']).toContain(record?.status);
    }
    expect(admitted).toHaveLength(PER_OWNER);
    expect(bobResults.every((r) => r.error === null)).toBe(true);
    for (const r of refused) {
      expect(r.error).toMatchObject({
        errorType: 'QuotaExceeded',
        errorInfo: {
          quota: 'concurrentStreamsPerOwner',
          limit: PER_OWNER,
          current: PER_OWNER,
          retryAfterSeconds: 5,
        },
      });
    }
    // Refusals record nothing and run nothing.
    expect(stack.invoker.stats().invocations - invocationsBefore).toBe(2 * PER_OWNER);
    const sample = await inBatches(refused.slice(0, 50), 10, (r) => recordAs(alice, r.streamId));
    expect(sample.every((record) => record === null)).toBe(true);

    // Every slot is given back when the streams end; the ledger counts each stream once.
    for (const [headers, results] of [
      [alice, admitted],
      [bob, bobResults],
    ] as const) {
      await inBatches(results, 10, async (r) => {
        await gql(stack.config.graphqlUrl, headers, CANCEL, { streamId: r.streamId });
        return endedAs(headers, r.streamId);
      });
    }
    const aliceUsage = await myUsageToday(stack, alice);
    const bobUsage = await myUsageToday(stack, bob);
    await eventually(
      async () =>
        (await activeStreams(stack, aliceUsage.owner)) === 0 &&
        (await activeStreams(stack, bobUsage.owner)) === 0,
      10_000,
      'the slots to be given back',
    );
    // Each admitted stream counted once.
    for (const usage of [aliceUsage, bobUsage]) expect(usage.total.streams).toBe(PER_OWNER);
    expect((await start(alice, 'after the burst')).error).toBeNull();
    await stack.stop();
    reportCase({
      name: '1 owner bursts 500 starts, limit 10',
      trials: BURST + PER_OWNER,
      faults: BURST,
      lost: 0,
      duplicated: 0,
      notes: `${admitted.length} admitted, ${refused.length} QuotaExceeded in ${(burstMs / 1000).toFixed(1)} s; 2nd owner ${bobResults.filter((r) => !r.error).length}/${PER_OWNER}; slots back to 0`,
    });
  });

  it('the ledger stays exact under duplicate deliveries and worker kills', async () => {
    // 100 tokens/s so an answer of 60+ tokens takes 0.6 s: room to kill it mid-stream.
    stack = await startSuiteStack({
      model: { timeToFirstTokenMs: 5, tokensPerSecond: 100, outputTokens: 40 },
      quotas: { concurrentStreamsPerOwner: PER_OWNER },
    });
    const STREAMS = 24;
    const erin = { authorization: await stack.issueJwt('ledger-erin') };
    const crashesBefore = stack.invoker.stats().crashes;
    const runsBefore = stack.invoker.stats().runs;
    const results = await inBatches(
      Array.from({ length: STREAMS }, (_, i) => i),
      PER_OWNER,
      async (i) => {
        const fault = (['none', 'duplicate', 'kill'] as const)[i % 3]!;
        const s = await start(erin, `ledger ${i} ${randomUUID()} [[tokens:${60 + i}]]`);
        expect(s.error).toBeNull();
        let killed = false;
        if (fault === 'duplicate') {
          await stack.invoker.invoke({ streamId: s.streamId }, 'Event', { duplicate: 1 });
        } else if (fault === 'kill') {
          // Kill once text is stored: attempt 2 replaces the partial answer.
          await eventually(
            async () => {
              const r = await recordAs(erin, s.streamId);
              return r && (r.lastSeq >= 0 || isTerminalStatus(r.status));
            },
            60_000,
            'text to be stored',
          );
          killed = stack.invoker.killRunning(isStream(s.streamId));
        }
        await endedAs(erin, s.streamId);
        // And once more after the end: a late duplicate must not count it again.
        if (fault !== 'none') await stack.invoker.invoke({ streamId: s.streamId }, 'Event');
        return { ...s, fault, killed };
      },
    );
    await stack.invoker.idle();
    const records = await inBatches(results, 10, (r) => endedAs(erin, r.streamId));
    // What each stream's end added to the ledger, as its record keeps it.
    const added = await inBatches(results, 10, async (r) => {
      const item = await storedItem(stack, streamPartitionKey(r.streamId), TABLE.recordSortKey);
      const ledger = item?.['ledger']?.M ?? {};
      const n = (field: string) => Number(ledger[field]?.N ?? 0);
      return {
        inputTokens: n('inputTokens'),
        outputTokens: n('outputTokens'),
        cacheReadInputTokens: n('cacheReadInputTokens'),
        cacheWriteInputTokens: n('cacheWriteInputTokens'),
        estimated: ledger['estimated']?.BOOL === true,
      };
    });
    const sum = (field: keyof LedgerTotals) =>
      added.reduce((n, a) => n + ((a as unknown as Record<string, number>)[field] ?? 0), 0);
    const ledger = await myUsageToday(stack, erin);
    const kills = results.filter((r) => r.killed).length;
    const duplicates = results.filter((r) => r.fault === 'duplicate').length;
    // One extra delivery while it ran (duplicates), one after it ended (duplicates and kills).
    const deliveries = duplicates + results.filter((r) => r.fault !== 'none').length;
    const completed = records.filter((r) => r.status === 'COMPLETED').length;
    reportCase({
      name: 'ledger under duplicates and kills',
      trials: STREAMS,
      faults: kills + deliveries,
      lost: Math.abs(ledger.total.outputTokens - sum('outputTokens')),
      duplicated: Math.max(0, ledger.total.streams - STREAMS),
      notes: `${kills} kills, ${deliveries} duplicate deliveries, ${stack.invoker.stats().runs - runsBefore} runs; ledger ${ledger.total.streams} streams, ${ledger.total.outputTokens} = ${sum('outputTokens')} output tokens`,
    });
    expect(stack.invoker.stats().crashes - crashesBefore).toBe(kills);
    expect(kills).toBeGreaterThan(0);
    // Exactly once: the ledger is the sum of what the streams' ends added, one each.
    expect(ledger.total).toEqual({
      streams: STREAMS,
      estimatedStreams: added.filter((a) => a.estimated).length,
      inputTokens: sum('inputTokens'),
      outputTokens: sum('outputTokens'),
      cacheReadInputTokens: sum('cacheReadInputTokens'),
      cacheWriteInputTokens: sum('cacheWriteInputTokens'),
    });
    // A completed stream adds exactly what Bedrock reported (its record's usage).
    for (const [i, record] of records.entries()) {
      if (record.status !== 'COMPLETED') continue;
      const usage = JSON.parse(record.usage!) as { inputTokens: number; outputTokens: number };
      expect(added[i]).toMatchObject({
        inputTokens: usage.inputTokens,
        outputTokens: usage.outputTokens,
        estimated: false,
      });
      expect(usage.outputTokens).toBe(60 + i);
    }
    // Under a heavily loaded machine a run may outlive its time; most complete.
    expect(completed).toBeGreaterThanOrEqual(STREAMS - 2);
    expect(await activeStreams(stack, ledger.owner)).toBe(0);
  });
});
