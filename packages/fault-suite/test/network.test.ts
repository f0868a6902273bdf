/**
 * The client's side of failure: a bad mobile network between the client and AppSync, made
 * by a fault-injecting TCP proxy (src/proxy.ts). WebSockets cut about a second after they
 * open, HTTP responses lost after the request reached AppSync, HTTP requests lost on the
 * way, the network fully gone for seconds, and a page reloaded mid-answer. Every stream
 * must end `done` with exactly the stored text, nothing may hang, and a retried start must
 * not make a second Bedrock call.
 */
import { randomUUID } from 'node:crypto';
import type { StreamClient, StreamHandle, StreamResult } from '@org/bedrock-stream-client';
import type { LocalStack } from '@org/bedrock-stream-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FaultProxy,
  OUTPUT_TOKENS,
  answerFor,
  eventually,
  readRecord,
  readStored,
  reportCase,
  sleep,
  startSuiteStack,
  suiteClient,
  totalDiff,
  type RequestFate,
} from '../src/index.js';

/**
 * Once the store says a stream ended, its client must end within this, however bad the
 * network: the client may not hang. (How long the worker takes is the machine's business;
 * on a busy one it is slow, so that wait is bounded separately, by BACKEND_MS.)
 */
const HANG_MS = 30_000;
const BACKEND_MS = 240_000;
/** A case's own timeout: generous for a busy machine; an idle one needs 10-50 s. */
const CASE_MS = 300_000;
/** The client's budgets for this network: quick first retries, many of them. */
const OPERATION_BUDGET = { maxTries: 10, initialDelayMs: 100, maxDelayMs: 2_000 };

let stack: LocalStack;
let proxy: FaultProxy;
const clients: StreamClient[] = [];
beforeAll(async () => {
  stack = await startSuiteStack({
    model: { timeToFirstTokenMs: 5, tokensPerSecond: 100, outputTokens: OUTPUT_TOKENS },
    // Room for every stream at once, a generous timeout and a lease no busy machine lets
    // expire: the faults here are the network's, and a worker taking over an expired lease
    // (a new attempt, a new Bedrock call) would only blur the counts.
    worker: { leaseMs: 5_000, concurrency: 24, timeoutMs: 60_000, retryDelaysMs: [200, 400] },
  });
  proxy = await FaultProxy.start(stack.config.graphqlUrl);
});
afterAll(async () => {
  for (const c of clients) c.close();
  await proxy?.close();
  await stack?.stop();
});

/** A real client that reaches AppSync only through the proxy. */
function mobileClient(): StreamClient {
  const client = suiteClient(stack, {
    url: proxy.urlFor(stack.config.graphqlUrl),
    requestTimeoutMs: 5_000,
    retry: {
      startStream: OPERATION_BUDGET,
      cancelStream: OPERATION_BUDGET,
      getStream: OPERATION_BUDGET,
      streamChunks: OPERATION_BUDGET,
    },
  });
  clients.push(client);
  return client;
}

/** Loses the answer (or the request) of every `every`-th startStream, for sure. */
function everyNthStart(every: number, fate: RequestFate) {
  let starts = 0;
  return (request: { operation: string | null }): RequestFate | undefined =>
    request.operation === 'StartStream' && starts++ % every === 0 ? fate : undefined;
}

interface Followed {
  prompt: string;
  handle: StreamHandle;
  /** When each text update arrived (ms since epoch). */
  textAt: number[];
}

function follow(prompt: string, handle: StreamHandle): Followed {
  const followed: Followed = { prompt, handle, textAt: [] };
  handle.subscribe((u) => {
    if (u.type === 'text') followed.textAt.push(Date.now());
  });
  return followed;
}

/** Starts `count` answers of `tokens` tokens spread over `pool`. */
function startStreams(pool: StreamClient[], count: number, label: string, tokens: number) {
  return Array.from({ length: count }, (_, i) => {
    const prompt = `${label} ${i} ${randomUUID()} [[tokens:${tokens}]]`;
    const client = pool[i % pool.length]!;
    return follow(prompt, client.stream({ modelId: stack.config.defaultModelId, prompt }));
  });
}

/** Resolves with `promise`, or fails naming `what` (and its state) after `ms`: nothing may hang. */
async function within<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
  state: () => Promise<unknown> | unknown = () => null,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      void Promise.resolve(state()).then((s) =>
        reject(new Error(`${what} still running after ${ms} ms: ${JSON.stringify(s)}`)),
      );
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The stream's record once it ended (it may not exist yet: its start may still be retried). */
function endedRecord(streamId: string) {
  return eventually(
    async () => {
      const record = await readRecord(stack, streamId).catch(() => null);
      return record && ['COMPLETED', 'CANCELLED', 'FAILED'].includes(record.status) ? record : null;
    },
    BACKEND_MS,
    `stream ${streamId} to end in the store`,
  );
}

/** The Bedrock calls made for `prompt` (each prompt carries a UUID of its own). */
function bedrockCallsFor(prompt: string): number {
  const marker = prompt.split(' ')[2]!;
  return stack.bedrock!.stats().recent.filter((r) => r.prompt.includes(marker)).length;
}

/**
 * Waits for every stream and checks: status done; client text = stored text = the answer;
 * one Bedrock call per worker attempt, so a retried (or resumed) start made none.
 */
async function settle(streams: Array<{ prompt: string; handle: StreamHandle }>) {
  const outcomes = await Promise.all(
    streams.map(async ({ prompt, handle }) => {
      const record = await endedRecord(handle.streamId);
      const result = await within(handle.done, HANG_MS, `stream ${handle.streamId}`, async () => ({
        status: handle.status,
        text: handle.text.length,
        metrics: handle.metrics,
        record: await readRecord(stack, handle.streamId).catch(String),
        stored: (await readStored(stack, handle.streamId).catch(() => ({ text: '' }))).text.length,
      }));
      const stored = await readStored(stack, handle.streamId);
      return { result, record, stored, expected: answerFor(stack, prompt), prompt };
    }),
  );
  for (const o of outcomes) {
    expect(o.result.error?.message ?? null).toBeNull();
    expect(o.result.status).toBe('done');
    expect(o.result.text).toBe(o.stored.text);
    expect(o.stored.text).toBe(o.expected);
    expect(bedrockCallsFor(o.prompt)).toBe(o.record.attempt);
  }
  const figures = totalDiff(outcomes.map((o) => ({ expected: o.expected, actual: o.result.text })));
  expect(figures).toEqual({ lost: 0, duplicated: 0 });
  return { outcomes, figures };
}

const sum = (results: StreamResult[], pick: (r: StreamResult) => number) =>
  results.reduce((n, r) => n + pick(r), 0);

/** The longest wait between two text updates of one stream, over all streams. */
function longestPauseMs(streams: Followed[]): number {
  let longest = 0;
  for (const { textAt } of streams) {
    for (let i = 1; i < textAt.length; i += 1)
      longest = Math.max(longest, textAt[i]! - textAt[i - 1]!);
  }
  return longest;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

/** Bedrock calls and worker invocations made while `run` runs. */
async function countingBedrockCalls<T>(run: () => Promise<T>) {
  const before = stack.bedrock!.stats().requests;
  const invocations = stack.invoker.stats().invocations;
  const value = await run();
  return {
    value,
    bedrockCalls: stack.bedrock!.stats().requests - before,
    invocations: stack.invoker.stats().invocations - invocations,
  };
}

/** Worker attempts over all streams (1 each unless a worker run was retried). */
const attempts = (outcomes: Array<{ record: { attempt: number } }>) =>
  outcomes.reduce((n, o) => n + o.record.attempt, 0);

describe('a mobile network between client and AppSync', () => {
  it(
    'WebSockets cut ~1 s after opening, 1 in 7 responses lost (and every 3rd start answer): all done, one Bedrock call each',
    async () => {
      proxy.resetStats();
      proxy.setFaults({
        cutWebSocketsAfterMs: [800, 1_500],
        dropResponseRate: 1 / 7,
        decide: everyNthStart(3, 'drop-response'),
        seed: 7,
      });
      const pool = [mobileClient(), mobileClient()];
      const streams = startStreams(pool, 8, 'mobile', 200);
      const { value, bedrockCalls, invocations } = await countingBedrockCalls(() =>
        settle(streams),
      );
      proxy.setFaults({});
      const s = proxy.stats();
      const results = value.outcomes.map((o) => o.result);
      expect(s.webSocketsCut).toBeGreaterThan(0);
      expect(s.responsesDropped).toBeGreaterThan(0);
      expect(s.dropsByOperation['StartStream']).toBeGreaterThanOrEqual(3);
      expect(bedrockCalls).toBe(attempts(value.outcomes));
      reportCase({
        name: 'mobile: WS cut ~1 s, 1/7 answers lost',
        trials: streams.length,
        faults: s.webSocketsCut + s.responsesDropped,
        ...value.figures,
        notes: `${s.webSocketsCut} WS cuts, ${s.responsesDropped} answers lost (${s.dropsByOperation['StartStream'] ?? 0} startStream); ${sum(results, (r) => r.metrics.retries)} ops retried, ${sum(results, (r) => r.metrics.reconnects)} resubscriptions; ${bedrockCalls} Bedrock calls for ${attempts(value.outcomes)} worker attempts (${invocations} invocations); longest text pause ${longestPauseMs(streams)} ms`,
      });
    },
    CASE_MS,
  );

  it(
    '1 in 7 requests lost before reaching AppSync (and every 3rd start): all done, one Bedrock call each',
    async () => {
      proxy.resetStats();
      proxy.setFaults({
        dropRequestRate: 1 / 7,
        decide: everyNthStart(3, 'drop-request'),
        seed: 11,
      });
      const pool = [mobileClient(), mobileClient()];
      const streams = startStreams(pool, 10, 'lost-requests', 200);
      const { value, bedrockCalls } = await countingBedrockCalls(() => settle(streams));
      proxy.setFaults({});
      const s = proxy.stats();
      const results = value.outcomes.map((o) => o.result);
      expect(s.requestsDropped).toBeGreaterThan(0);
      expect(s.dropsByOperation['StartStream']).toBeGreaterThanOrEqual(3);
      expect(bedrockCalls).toBe(attempts(value.outcomes));
      reportCase({
        name: 'mobile: 1/7 requests lost',
        trials: streams.length,
        faults: s.requestsDropped,
        ...value.figures,
        notes: `${s.requestsDropped} of ${s.httpRequests} requests lost (${s.dropsByOperation['StartStream'] ?? 0} startStream); ${sum(results, (r) => r.metrics.retries)} ops retried; ${bedrockCalls} Bedrock calls for ${attempts(value.outcomes)} worker attempts`,
      });
    },
    CASE_MS,
  );

  it(
    'fully offline for 3 s mid-answer: every stream recovers and ends done',
    async () => {
      proxy.resetStats();
      const streams = startStreams([mobileClient(), mobileClient()], 8, 'offline', 500);
      await eventually(
        () => streams.every((s) => s.handle.text.length > 0),
        BACKEND_MS,
        'every stream to stream',
      );
      proxy.goOffline();
      await sleep(3_000);
      const backAt = Date.now();
      proxy.goOnline();
      const { outcomes, figures } = await settle(streams);
      // Recovered: the first text (or the end) after the network came back.
      const recoveryMs = streams.map((s, i) => {
        const next = s.textAt.find((t) => t >= backAt);
        return (next ?? backAt + (outcomes[i]!.result.metrics.totalMs ?? 0)) - backAt;
      });
      const results = outcomes.map((o) => o.result);
      const s = proxy.stats();
      expect(s.offlineResets).toBeGreaterThan(0);
      reportCase({
        name: 'mobile: offline 3 s mid-answer',
        trials: streams.length,
        faults: 1,
        ...figures,
        notes: `${s.offlineResets} connections cut; recovered in p50 ${percentile(recoveryMs, 50)} ms, max ${Math.max(...recoveryMs)} ms after the network returned; ${sum(results, (r) => r.metrics.reconnects)} resubscriptions, ${sum(results, (r) => r.metrics.retries)} ops retried`,
      });
    },
    CASE_MS,
  );

  it(
    'page reloaded mid-answer: resume() through the lossy network ends as if it never left',
    async () => {
      proxy.resetStats();
      const faults = {
        cutWebSocketsAfterMs: [800, 1_500] as const,
        dropResponseRate: 1 / 7,
        seed: 21,
      };
      proxy.setFaults(faults);
      const { value, bedrockCalls } = await countingBedrockCalls(async () => {
        const before = mobileClient();
        const streams = startStreams([before], 8, 'reload', 400);
        await eventually(
          () => streams.every((s) => s.handle.text.length > 0),
          BACKEND_MS,
          'every stream to stream',
        );
        before.close(); // the page went away; its streams go on without it
        const after = mobileClient();
        const resumedAt = Date.now();
        const resumed = streams.map((s) => follow(s.prompt, after.resume(s.handle.streamId)));
        const settled = await settle(resumed);
        // Resumed again once finished (another tab, later): the same end.
        const again = await Promise.all(
          resumed.map((s) =>
            within(mobileClient().resume(s.handle.streamId).done, HANG_MS, 'resume'),
          ),
        );
        for (const [i, r] of again.entries()) {
          const first = settled.outcomes[i]!.result;
          expect({ ...r, metrics: null }).toEqual({ ...first, metrics: null });
        }
        const firstTextMs = resumed.map((s) => (s.textAt[0] ?? resumedAt) - resumedAt);
        return { settled, resumed: resumed.length + again.length, firstTextMs };
      });
      proxy.setFaults({});
      const s = proxy.stats();
      const results = value.settled.outcomes.map((o) => o.result);
      expect(bedrockCalls).toBe(attempts(value.settled.outcomes));
      reportCase({
        name: 'page reloaded mid-answer, resume()',
        trials: value.settled.outcomes.length,
        faults: 8 + s.webSocketsCut + s.responsesDropped,
        ...value.settled.figures,
        notes: `${value.resumed} resumes (8 running, 8 finished); stored text back in p50 ${percentile(value.firstTextMs, 50)} ms, max ${Math.max(...value.firstTextMs)} ms; ${sum(results, (r) => r.metrics.retries)} ops retried; ${bedrockCalls} Bedrock calls for ${attempts(value.settled.outcomes)} worker attempts`,
      });
    },
    CASE_MS,
  );
});
