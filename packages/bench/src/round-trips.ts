// Round trips on the server path (issue 18): DynamoDB and AppSync requests per stream start
// and per published chunk, read from the local servers' own counters, and what the
// per-chunk path costs per 1,000 tokens at today's list prices.
import { createStreamClient } from '@org/bedrock-stream-client';
import { startLocalStack } from '@org/bedrock-stream-stack';
import type { ScenarioResult } from './scenarios.js';

/**
 * List prices, us-east-1, on-demand (AWS pricing pages, read 2026-12): DynamoDB per million
 * write / read request units, AppSync per million query+mutation operations and per million
 * real-time updates delivered.
 */
const PRICES_USD_PER_MILLION = {
  dynamoWriteUnit: 0.625,
  dynamoReadUnit: 0.125,
  appsyncOperation: 4,
  appsyncRealtimeUpdate: 2,
} as const;

type Counts = Record<string, number>;

function minus(after: Counts, before: Counts): Counts {
  const out: Counts = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d) out[k] = d;
  }
  return out;
}

function scale(counts: Counts, by: number): Counts {
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v * by]));
}

function round(counts: Counts, digits = 2): Counts {
  const f = 10 ** digits;
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, Math.round(v * f) / f]));
}

/** Linear fit by two points: requests = perStart + perChunk * chunks, per operation. */
function fit(short: { counts: Counts; chunks: number }, long: { counts: Counts; chunks: number }) {
  const ops = new Set([...Object.keys(short.counts), ...Object.keys(long.counts)]);
  const perChunk: Counts = {};
  const perStart: Counts = {};
  const dChunks = long.chunks - short.chunks;
  for (const op of ops) {
    const a = short.counts[op] ?? 0;
    const b = long.counts[op] ?? 0;
    const slope = dChunks > 0 ? (b - a) / dChunks : 0;
    perChunk[op] = Math.max(0, slope);
    perStart[op] = Math.max(0, a - slope * short.chunks);
  }
  return { perStart: round(perStart), perChunk: round(perChunk) };
}

/** DynamoDB and AppSync requests per stream start and per chunk, at 200 tok/s. */
export async function roundTrips(quick: boolean): Promise<ScenarioResult> {
  const lengths = quick ? [50, 200] : [200, 1000];
  const perLength = quick ? 1 : 3;
  const stack = await startLocalStack({
    stateFile: false,
    model: { timeToFirstTokenMs: 50, tokensPerSecond: 200, outputTokens: lengths[0]! },
  });
  const client = createStreamClient({
    url: stack.config.graphqlUrl,
    region: stack.config.region,
    auth: { type: 'API_KEY', apiKey: stack.config.apiKey },
  });
  const runs: Array<{ tokens: number; chunks: number; dynamo: Counts; appsync: Counts }> = [];
  let lost = 0;
  try {
    for (const tokens of lengths) {
      stack.bedrock!.setTiming({
        timeToFirstTokenMs: 50,
        tokensPerSecond: 200,
        outputTokens: tokens,
      });
      for (let i = 0; i < perLength; i += 1) {
        const dynamoBefore = stack.dynamo.requests();
        const statsBefore = stack.emulator.stats();
        const handle = client.stream({
          modelId: stack.config.defaultModelId,
          prompt: `round trips ${tokens} ${i}`,
        });
        const result = await handle.done;
        if (result.status !== 'done') lost += 1;
        // The worker records the end after the terminal chunk went out: wait for its run to
        // finish (the invoker's count, so no request of the bench's own is counted).
        for (let t = 0; t < 200 && stack.invoker.stats().inFlight > 0; t += 1) {
          await new Promise((r) => setTimeout(r, 10));
        }
        await new Promise((r) => setTimeout(r, 100));
        const stats = stack.emulator.stats();
        const appsync = {
          ...minus(stats.mutations, statsBefore.mutations),
          ...minus(stats.queries, statsBefore.queries),
        };
        const dynamo = minus(stack.dynamo.requests(), dynamoBefore);
        runs.push({ tokens, chunks: appsync['publishChunk'] ?? 0, dynamo, appsync });
      }
    }
  } finally {
    client.close();
    await stack.stop();
  }
  const mean = (tokens: number) => {
    const rows = runs.filter((r) => r.tokens === tokens);
    const sum = (pick: (r: (typeof rows)[number]) => Counts) => {
      const out: Counts = {};
      for (const r of rows)
        for (const [k, v] of Object.entries(pick(r))) out[k] = (out[k] ?? 0) + v;
      return scale(out, 1 / rows.length);
    };
    return {
      tokens,
      chunks: rows.reduce((n, r) => n + r.chunks, 0) / rows.length,
      dynamo: sum((r) => r.dynamo),
      appsync: sum((r) => r.appsync),
    };
  };
  const [short, long] = lengths.map(mean) as [ReturnType<typeof mean>, ReturnType<typeof mean>];
  const dynamo = fit(
    { counts: short.dynamo, chunks: short.chunks },
    { counts: long.dynamo, chunks: long.chunks },
  );
  const appsync = fit(
    { counts: short.appsync, chunks: short.chunks },
    { counts: long.appsync, chunks: long.chunks },
  );
  // The per-chunk path priced for 1,000 tokens, items within 1 KB (a chunk item, and the
  // record's update: see the README on large inputs): reads strongly consistent (1 unit per
  // 4 KB), writes 1 unit per 1 KB, one real-time update per chunk per subscriber.
  const chunksPer1000 = (long.chunks / long.tokens) * 1000;
  const reads = dynamo.perChunk['GetItem'] ?? 0;
  const writes = (dynamo.perChunk['PutItem'] ?? 0) + (dynamo.perChunk['UpdateItem'] ?? 0);
  const p = PRICES_USD_PER_MILLION;
  const usdPer1000Tokens =
    (chunksPer1000 *
      (reads * p.dynamoReadUnit +
        writes * p.dynamoWriteUnit +
        (appsync.perChunk['publishChunk'] ?? 0) * p.appsyncOperation +
        p.appsyncRealtimeUpdate)) /
    1e6;
  return {
    name: 'round trips on the server path',
    settings: {
      lengths,
      streamsPerLength: perLength,
      tokensPerSecond: 200,
      method:
        'requests per stream counted by the local DynamoDB and AppSync servers; per start and per chunk from a two-length linear fit',
      prices: PRICES_USD_PER_MILLION,
    },
    figures: {
      runs: [short, long].map((r) => ({
        ...r,
        dynamo: round(r.dynamo),
        appsync: round(r.appsync),
      })),
      dynamoPerStreamStart: dynamo.perStart,
      dynamoPerChunk: dynamo.perChunk,
      appsyncPerStreamStart: appsync.perStart,
      appsyncPerChunk: appsync.perChunk,
      chunksPer1000Tokens: Math.round(chunksPer1000 * 10) / 10,
      chunkPathUsdPer1000Tokens: Number(usdPer1000Tokens.toPrecision(3)),
    },
    lost,
    duplicated: 0,
  };
}
