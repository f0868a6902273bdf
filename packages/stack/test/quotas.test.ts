/**
 * Quotas and the usage ledger end to end: the resolvers and the worker as deployed, on the
 * local stack with quotas on. A refused start is a typed error that records nothing and
 * runs no worker; an ended stream adds its usage to its owner's ledger exactly once; a
 * stream that passes the daily output limit mid-answer is stopped with QuotaExceeded.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../src/index.js';
import { assemble, CHUNKS, eventually, GET, gql, sigv4Headers, START } from './helpers.js';

const MY_USAGE = `query MyUsage($from: AWSDate!, $to: AWSDate!) {
  myUsage(from: $from, to: $to) {
    owner total { streams estimatedStreams inputTokens outputTokens cacheReadInputTokens cacheWriteInputTokens }
    days { period total { streams outputTokens } byModel { modelId usage { streams inputTokens outputTokens } } }
    months { period total { streams outputTokens } }
    quotas { concurrentStreamsPerOwner outputTokensPerDayPerOwner streamsPerMinutePerOwner concurrentStreamsGlobal }
  }
}`;
const USAGE_OF = `query UsageOf($owner: String!, $from: AWSDate!, $to: AWSDate!) {
  usageOf(owner: $owner, from: $from, to: $to) { owner total { streams inputTokens outputTokens } }
}`;

const CONCURRENT = 2;
const TOKENS_PER_DAY = 1_000;
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({
    stateFile: false,
    model: { timeToFirstTokenMs: 10, tokensPerSecond: 200, outputTokens: 40 },
    quotas: { concurrentStreamsPerOwner: CONCURRENT, outputTokensPerDayPerOwner: TOKENS_PER_DAY },
  });
});
afterAll(async () => {
  await stack?.stop();
});

const url = () => stack.config.graphqlUrl;
const today = () => new Date().toISOString().slice(0, 10);
type Err = { errorType?: string; message?: string; errorInfo?: Record<string, unknown> | null };
type Usage = Record<string, unknown> & {
  owner: string;
  total: Record<string, number>;
  days: Array<{ period: string; total: Record<string, number>; byModel: unknown[] }>;
};

async function as(sub: string) {
  return { authorization: await stack.issueJwt(sub) };
}

async function start(headers: Record<string, string>, prompt: string, streamId = randomUUID()) {
  const res = await gql(url(), headers, START, {
    input: { streamId, modelId: stack.config.defaultModelId, prompt },
  });
  return { streamId, error: (res.errors?.[0] ?? null) as Err | null };
}

async function finished(headers: Record<string, string>, streamId: string) {
  return eventually(
    async () => {
      const r = (await gql(url(), headers, GET, { streamId })).data?.['getStream'] as Record<
        string,
        unknown
      > | null;
      return r && ['COMPLETED', 'CANCELLED', 'FAILED'].includes(r['status'] as string) ? r : null;
    },
    30_000,
    `stream ${streamId} to end`,
  );
}

async function myUsage(headers: Record<string, string>): Promise<Usage> {
  const res = await gql(url(), headers, MY_USAGE, { from: today(), to: today() });
  expect(res.errors).toBeUndefined();
  return res.data!['myUsage'] as Usage;
}

describe('quotas', () => {
  it('refuses a start past the concurrent limit: typed, nothing recorded, no worker run; another user is unaffected', async () => {
    const alice = await as('alice');
    const invocations = stack.invoker.stats().invocations;
    const running = [
      await start(alice, 'long one [[tokens:300]]'),
      await start(alice, 'long two [[tokens:300]]'),
    ];
    expect(running.map((r) => r.error)).toEqual([null, null]);
    const refused = await start(alice, 'one too many');
    expect(refused.error).toMatchObject({
      errorType: 'QuotaExceeded',
      errorInfo: {
        quota: 'concurrentStreamsPerOwner',
        limit: CONCURRENT,
        current: CONCURRENT,
        retryAfterSeconds: 5,
      },
    });
    const stored = await gql(url(), alice, GET, { streamId: refused.streamId });
    expect(stored.data?.['getStream'] ?? null).toBeNull();
    expect(stored.errors?.[0]).toMatchObject({ errorType: 'NotFound' });
    expect((await start(await as('bob'), 'bob is fine')).error).toBeNull();
    expect(stack.invoker.stats().invocations - invocations).toBe(3);
    // The slots come back when the streams end.
    for (const r of running) await finished(alice, r.streamId);
    expect((await start(alice, 'room again')).error).toBeNull();
  });

  it('adds every ended stream to its owner’s ledger exactly once, readable by the owner and by IAM', async () => {
    const carol = await as('carol');
    const streams = [];
    for (const prompt of ['ledger a [[tokens:30]]', 'ledger b [[tokens:50]]', 'ledger c']) {
      const s = await start(carol, prompt);
      expect(s.error).toBeNull();
      streams.push(s.streamId);
      await finished(carol, s.streamId);
    }
    // A duplicate delivery of a finished stream's event changes nothing.
    await stack.invoker.invoke({ streamId: streams[0] }, 'Event', { duplicate: 2 });
    await stack.invoker.idle();
    const records = await Promise.all(streams.map((id) => finished(carol, id)));
    const usages = records.map(
      (r) => JSON.parse(r['usage'] as string) as { inputTokens: number; outputTokens: number },
    );
    const sum = (f: 'inputTokens' | 'outputTokens') => usages.reduce((n, u) => n + u[f], 0);
    expect(sum('outputTokens')).toBe(30 + 50 + 40);
    const usage = await myUsage(carol);
    expect(usage.total).toEqual({
      streams: 3,
      estimatedStreams: 0,
      inputTokens: sum('inputTokens'),
      outputTokens: sum('outputTokens'),
      cacheReadInputTokens: 0,
      cacheWriteInputTokens: 0,
    });
    expect(usage.days).toEqual([
      {
        period: today(),
        total: { streams: 3, outputTokens: sum('outputTokens') },
        byModel: [
          {
            modelId: stack.config.defaultModelId,
            usage: {
              streams: 3,
              inputTokens: sum('inputTokens'),
              outputTokens: sum('outputTokens'),
            },
          },
        ],
      },
    ]);
    expect(usage['months']).toEqual([
      { period: today().slice(0, 7), total: { streams: 3, outputTokens: sum('outputTokens') } },
    ]);
    expect(usage['quotas']).toEqual({
      concurrentStreamsPerOwner: CONCURRENT,
      outputTokensPerDayPerOwner: TOKENS_PER_DAY,
      streamsPerMinutePerOwner: null,
      concurrentStreamsGlobal: null,
    });
    // The app's backend (IAM) reads anyone's; an end user cannot call usageOf.
    const body = JSON.stringify({
      query: USAGE_OF,
      variables: { owner: usage.owner, from: today(), to: today() },
    });
    const res = await fetch(url(), {
      method: 'POST',
      headers: await sigv4Headers(url(), body, stack.workerCredentials, stack.config.region),
      body,
    });
    const json = (await res.json()) as { data?: { usageOf: { total: unknown } }; errors?: unknown };
    expect(json.errors).toBeUndefined();
    expect(json.data?.usageOf.total).toEqual({
      streams: 3,
      inputTokens: sum('inputTokens'),
      outputTokens: sum('outputTokens'),
    });
    const denied = await gql(url(), carol, USAGE_OF, {
      owner: usage.owner,
      from: today(),
      to: today(),
    });
    expect(denied.errors?.[0]?.errorType).toMatch(/Unauthorized/);
  });

  it('stops a stream that passes the daily output limit mid-answer, and refuses the next start', async () => {
    const dana = await as('dana');
    const s = await start(dana, `very long ${randomUUID()} [[tokens:3000]]`);
    expect(s.error).toBeNull();
    const record = await finished(dana, s.streamId);
    expect(record['status']).toBe('FAILED');
    const error = JSON.parse(record['error'] as string) as Record<string, unknown>;
    expect(error).toMatchObject({ code: 'QuotaExceeded', retryable: false });
    expect(error['retryAfterSeconds']).toBeGreaterThan(0);
    // Clients got the terminal error event, with part of the answer before it.
    const chunks = (await gql(url(), dana, CHUNKS, { streamId: s.streamId })).data?.[
      'streamChunks'
    ] as { items: Array<{ attempt: number; seq: number; payload: string }> };
    const assembled = assemble(chunks.items);
    expect(assembled.events.at(-1)).toMatchObject({ type: 'error', code: 'QuotaExceeded' });
    expect(assembled.text.length).toBeGreaterThan(0);
    // What the ledger counted is an estimate from the streamed text, at least the limit.
    const usage = await myUsage(dana);
    expect(usage.total['streams']).toBe(1);
    expect(usage.total['estimatedStreams']).toBe(1);
    expect(usage.total['outputTokens']).toBeGreaterThanOrEqual(TOKENS_PER_DAY);
    const next = await start(dana, 'more please');
    expect(next.error).toMatchObject({
      errorType: 'QuotaExceeded',
      errorInfo: { quota: 'outputTokensPerDayPerOwner', limit: TOKENS_PER_DAY },
    });
  });
});
