/**
 * Abuse of the Bedrock budget: one user bursting 500 starts gets exactly the configured
 * number of streams while another user is unaffected; and the usage ledger stays exact
 * (each stream counted once, with its recorded usage) under duplicate deliveries and
 * worker kills.
 */
import { randomUUID } from 'node:crypto';
import type { LocalStack } from '@org/bedrock-stream-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activeStreams,
  eventually,
  finishedRecord,
  gql,
  inBatches,
  myUsageToday,
  readRecord,
  reportCase,
  startSuiteStack,
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
    const BURST = 500;
    const alice = { authorization: await stack.issueJwt('burst-alice') };
    const bob = { authorization: await stack.issueJwt('burst-bob') };
    const invocationsBefore = stack.invoker.stats().invocations;
    const started = Date.now();
    const [aliceResults, bobResults] = await Promise.all([
      Promise.all(
        Array.from({ length: BURST }, (_, i) => start(alice, `burst ${i} [[tokens:1000]]`)),
      ),
      Promise.all(
        Array.from({ length: PER_OWNER }, (_, i) => start(bob, `bob ${i} [[tokens:1000]]`)),
      ),
    ]);
    const burstMs = Date.now() - started;
    const admitted = aliceResults.filter((r) => r.error === null);
    const refused = aliceResults.filter((r) => r.error !== null);
    // Nothing admitted has ended yet, so no slot could have been reused during the burst.
    for (const r of admitted) {
      const record = await readRecord(stack, r.streamId);
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
    const sample = await inBatches(refused.slice(0, 50), 10, (r) => readRecord(stack, r.streamId));
    expect(sample.every((record) => record === null)).toBe(true);

    // Every slot is given back when the streams end; the ledger counts each stream once.
    await inBatches([...admitted, ...bobResults], 10, (r) =>
      finishedRecord(stack, r.streamId, 60_000),
    );
    const aliceUsage = await myUsageToday(stack, alice);
    const bobUsage = await myUsageToday(stack, bob);
    await eventually(
      async () =>
        (await activeStreams(stack, aliceUsage.owner)) === 0 &&
        (await activeStreams(stack, bobUsage.owner)) === 0,
      10_000,
      'the slots to be given back',
    );
    expect(aliceUsage.total).toMatchObject({ streams: PER_OWNER, outputTokens: PER_OWNER * 1000 });
    expect(bobUsage.total).toMatchObject({ streams: PER_OWNER, outputTokens: PER_OWNER * 1000 });
    expect((await start(alice, 'after the burst')).error).toBeNull();
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
            async () => ((await readRecord(stack, s.streamId))?.lastSeq ?? -1) >= 0,
            15_000,
            'text to be stored',
          );
          killed = stack.invoker.killRunning(isStream(s.streamId));
        }
        await finishedRecord(stack, s.streamId, 30_000);
        // And once more after the end: a late duplicate must not count it again.
        if (fault !== 'none') await stack.invoker.invoke({ streamId: s.streamId }, 'Event');
        return { ...s, fault, killed };
      },
    );
    await stack.invoker.idle();
    const GET_USAGE = `query GetStream($streamId: ID!) { getStream(streamId: $streamId) { status attempt usage } }`;
    const records = await inBatches(results, 10, async (r) => {
      const res = await gql(stack.config.graphqlUrl, erin, GET_USAGE, { streamId: r.streamId });
      return res.data!['getStream'] as { status: string; attempt: number; usage: string };
    });
    const usages = records.map((r) => JSON.parse(r.usage) as Record<string, number>);
    const sum = (field: string) => usages.reduce((n, u) => n + (u[field] ?? 0), 0);
    const ledger = await myUsageToday(stack, erin);
    const kills = results.filter((r) => r.killed).length;
    const duplicates = results.filter((r) => r.fault === 'duplicate').length;
    reportCase({
      name: 'ledger under duplicates and kills',
      trials: STREAMS,
      faults: kills + 2 * duplicates + (STREAMS - results.filter((r) => r.fault === 'none').length),
      lost: Math.abs(ledger.total.outputTokens - sum('outputTokens')),
      duplicated: Math.max(0, ledger.total.streams - STREAMS),
      notes: `${kills} kills, ${duplicates * 2} duplicate deliveries, ${stack.invoker.stats().runs - runsBefore} runs; ledger ${ledger.total.streams} streams, ${ledger.total.outputTokens} = ${sum('outputTokens')} output tokens`,
    });
    expect(records.every((r) => r.status === 'COMPLETED')).toBe(true);
    expect(stack.invoker.stats().crashes - crashesBefore).toBe(kills);
    expect(kills).toBeGreaterThan(0);
    expect(ledger.total).toEqual({
      streams: STREAMS,
      estimatedStreams: 0,
      inputTokens: sum('inputTokens'),
      outputTokens: sum('outputTokens'),
      cacheReadInputTokens: 0,
      cacheWriteInputTokens: 0,
    });
    expect(sum('outputTokens')).toBe(results.reduce((n, _r, i) => n + 60 + i, 0));
    expect(await activeStreams(stack, ledger.owner)).toBe(0);
  });
});
