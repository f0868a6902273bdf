import { randomUUID } from 'node:crypto';
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BedrockRuntimeClient, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { createStreamClient, type StreamClient } from '@org/bedrock-stream-client';
import { deterministicAnswer } from '@org/bedrock-stream-local';
import {
  startLocalStack,
  type LocalStack,
  type LocalStackOptions,
} from '@org/bedrock-stream-stack';
import { connect } from './realtime.js';
import { machineCpuSeconds, summary } from './stats.js';

export interface ScenarioResult {
  name: string;
  settings: Record<string, unknown>;
  figures: Record<string, unknown>;
  /** Tokens lost or duplicated at clients (must be 0). */
  lost: number;
  duplicated: number;
}

const TTFT = 50;

async function withStack<T>(
  options: LocalStackOptions,
  run: (stack: LocalStack, client: StreamClient) => Promise<T>,
): Promise<T> {
  const stack = await startLocalStack(options);
  const client = createStreamClient({
    url: stack.config.graphqlUrl,
    region: stack.config.region,
    auth: { type: 'API_KEY', apiKey: stack.config.apiKey },
  });
  try {
    return await run(stack, client);
  } finally {
    client.close();
    await stack.stop();
  }
}

function expectedText(stack: LocalStack, prompt: string, outputTokens: number): string {
  return deterministicAnswer(prompt, { modelId: stack.config.defaultModelId, outputTokens }).text;
}

/** Time to first text at the client, minus the model's TTFT; and the SDK-direct floor. */
export async function overhead(quick: boolean): Promise<ScenarioResult> {
  const streams = quick ? 10 : 200;
  return withStack(
    { model: { timeToFirstTokenMs: TTFT, tokensPerSecond: 1000, outputTokens: 8 } },
    async (stack, client) => {
      const overheads: number[] = [];
      let lost = 0;
      // One warm-up stream: the worker's first (cold) start is Lambda's cold start, not pipeline overhead.
      await client.stream({ modelId: stack.config.defaultModelId, prompt: 'warm up' }).done;
      for (let i = 0; i < streams; i += 1) {
        const prompt = `overhead ${i}`;
        const t0 = performance.now();
        const handle = client.stream({ modelId: stack.config.defaultModelId, prompt });
        let first = 0;
        for await (const u of handle) {
          if (u.type === 'text' && !first) first = performance.now();
        }
        const result = await handle.done;
        if (result.text !== expectedText(stack, prompt, 8)) lost += 1;
        overheads.push(first - t0 - TTFT);
      }
      const bedrock = new BedrockRuntimeClient({
        region: 'us-east-1',
        endpoint: stack.bedrock!.url,
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      });
      const floor: number[] = [];
      for (let i = 0; i < streams; i += 1) {
        const t0 = performance.now();
        const res = await bedrock.send(
          new ConverseStreamCommand({
            modelId: stack.config.defaultModelId,
            messages: [{ role: 'user', content: [{ text: `floor ${i}` }] }],
          }),
        );
        let first = 0;
        for await (const e of res.stream ?? [])
          if (e.contentBlockDelta && !first) first = performance.now();
        floor.push(first - t0 - TTFT);
      }
      bedrock.destroy();
      const o = summary(overheads);
      const f = summary(floor);
      return {
        name: 'overhead to first token',
        settings: { streams, modelTtftMs: TTFT, target: 'p50 <= 10 ms, p99 <= 40 ms' },
        figures: {
          overheadMs: o,
          floorMs: f,
          ratioP50: Math.round((o.p50 / Math.max(0.1, f.p50)) * 10) / 10,
        },
        lost,
        duplicated: 0,
      };
    },
  );
}

/** Publishes and real-time messages per 1,000 tokens; added per-token delay of coalescing. */
export async function publishCost(quick: boolean): Promise<ScenarioResult> {
  const tokens = quick ? 100 : 1000;
  const speeds = quick ? [200, 1000] : [50, 200, 1000];
  const rows: Array<Record<string, unknown>> = [];
  let lost = 0;
  for (const windowMs of [100, 0]) {
    await withStack(
      {
        model: { timeToFirstTokenMs: TTFT, tokensPerSecond: 200, outputTokens: tokens },
        worker: { flushWindowMs: windowMs },
      },
      async (stack, client) => {
        for (const tps of speeds) {
          stack.bedrock!.setTiming({ tokensPerSecond: tps });
          const before = stack.emulator.stats();
          const prompt = `cost ${tps} ${windowMs}`;
          const answer = deterministicAnswer(prompt, {
            modelId: stack.config.defaultModelId,
            outputTokens: tokens,
          });
          // Where each token's text ends, to tell when the client has it.
          const ends: number[] = [];
          let length = 0;
          for (const t of answer.tokens) ends.push((length += t.length));
          const arrivals: number[] = [];
          const handle = client.stream({ modelId: stack.config.defaultModelId, prompt });
          for await (const u of handle) {
            if (u.type !== 'text') continue;
            const now = performance.timeOrigin + performance.now();
            while (arrivals.length < ends.length && ends[arrivals.length]! <= u.text.length)
              arrivals.push(now);
          }
          const result = await handle.done;
          if (result.text !== answer.text) lost += 1;
          // The model's own write times (first and last token; paced evenly in between),
          // so the figure is what happens after the model, not the model's timer drift.
          const call = stack.bedrock!.stats().recent.find((r) => r.prompt.includes(prompt));
          const first = call?.firstTokenAt ?? 0;
          const step =
            call?.lastTokenAt && ends.length > 1
              ? (call.lastTokenAt - first) / (ends.length - 1)
              : 0;
          const delays = arrivals.map((at, k) => Math.max(0, at - (first + k * step)));
          const after = stack.emulator.stats();
          const publishes =
            (after.mutations['publishChunk'] ?? 0) - (before.mutations['publishChunk'] ?? 0);
          rows.push({
            mode: windowMs
              ? `coalesced (${windowMs} ms window)`
              : 'no window (publish as fast as possible, 1 in flight)',
            tokensPerSecond: tps,
            publishesPer1000Tokens: Math.round((publishes / tokens) * 1000),
            realtimeMessagesPer1000Tokens: Math.round(
              ((after.dataMessages - before.dataMessages) / tokens) * 1000,
            ),
            perTokenPublishing: 1000,
            modelToClientDelayMs: summary(delays),
          });
        }
      },
    );
  }
  return {
    name: 'publish cost',
    settings: {
      tokens,
      speeds,
      target: '>= 10x fewer than per-token at 200 tok/s; p99 delay <= window + 20 ms',
      delay:
        "model's write of token k to the client's text holding it (whole pipeline, so an upper bound of what coalescing adds)",
    },
    figures: { rows },
    lost,
    duplicated: 0,
  };
}

/** Many concurrent streams through one stack. */
export async function concurrency(quick: boolean): Promise<ScenarioResult> {
  const streams = quick ? 20 : 200;
  const tokens = quick ? 50 : 300;
  return withStack(
    {
      model: { timeToFirstTokenMs: TTFT, tokensPerSecond: 100, outputTokens: tokens },
      worker: { concurrency: quick ? 10 : 40 },
    },
    async (stack) => {
      // 100 subscriptions per connection is AppSync's default limit: one client per 50 streams.
      const clients = Array.from({ length: Math.ceil(streams / 50) }, () =>
        createStreamClient({
          url: stack.config.graphqlUrl,
          region: stack.config.region,
          auth: { type: 'API_KEY', apiKey: stack.config.apiKey },
          stallTimeoutMs: 30_000,
        }),
      );
      const cpu0 = machineCpuSeconds();
      const overheads: number[] = [];
      let lost = 0;
      let duplicated = 0;
      let completed = 0;
      await Promise.all(
        Array.from({ length: streams }, async (_, i) => {
          const prompt = `concurrent ${i}`;
          const t0 = performance.now();
          const handle = clients[i % clients.length]!.stream({
            modelId: stack.config.defaultModelId,
            prompt,
          });
          let first = 0;
          for await (const u of handle) if (u.type === 'text' && !first) first = performance.now();
          const result = await handle.done;
          const expected = expectedText(stack, prompt, tokens);
          if (result.status === 'done') completed += 1;
          if (result.text.length < expected.length || !expected.startsWith(result.text)) lost += 1;
          if (result.text.length > expected.length) duplicated += 1;
          overheads.push(first - t0 - TTFT);
        }),
      );
      const cpu = machineCpuSeconds() - cpu0;
      for (const c of clients) c.close();
      return {
        name: 'concurrency',
        settings: {
          streams,
          tokensPerStream: tokens,
          tokensPerSecond: 100,
          workerConcurrency: quick ? 10 : 40,
        },
        figures: {
          completed,
          overheadToFirstTokenMs: summary(overheads),
          cpuSecondsPer1000Tokens: Math.round((cpu / ((streams * tokens) / 1000)) * 1000) / 1000,
          note: 'overhead includes queueing for a worker slot (Lambda concurrency)',
        },
        lost,
        duplicated,
      };
    },
  );
}

/** One stream watched by many WebSocket subscribers. */
export async function fanOut(quick: boolean): Promise<ScenarioResult> {
  const subscribers = quick ? 50 : 1000;
  return withStack(
    { model: { timeToFirstTokenMs: TTFT, tokensPerSecond: 200, outputTokens: 200 } },
    async (stack, client) => {
      const streamId = randomUUID();
      const subs = [];
      for (let i = 0; i < subscribers; i += 1) {
        const s = await connect(
          stack.config.realtimeUrl,
          stack.config.graphqlUrl,
          stack.config.apiKey,
        );
        await s.subscribe(streamId);
        subs.push(s);
      }
      const res = await fetch(stack.config.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': stack.config.apiKey },
        body: JSON.stringify({
          query: 'mutation($i: StartStreamInput!){ startStream(input: $i){ streamId } }',
          variables: { i: { streamId, modelId: stack.config.defaultModelId, prompt: 'fan out' } },
        }),
      });
      await res.json();
      const deadline = Date.now() + 60_000;
      let stored = -1;
      while (Date.now() < deadline) {
        const rec = (await client.getStream(streamId)) as {
          status: string;
          lastSeq: number;
        } | null;
        if (rec && rec.status !== 'RUNNING' && rec.status !== 'ACCEPTED') {
          stored = rec.lastSeq + 1;
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 500));
      const delays = subs.flatMap((s) => s.received.map((m) => m.at - Date.parse(m.createdAt)));
      const incomplete = subs.filter(
        (s) => new Set(s.received.map((m) => m.seq)).size !== stored,
      ).length;
      const dup = subs.filter(
        (s) => s.received.length !== new Set(s.received.map((m) => m.seq)).size,
      ).length;
      for (const s of subs) s.close();
      return {
        name: 'fan-out',
        settings: { subscribers, subscriptionsPerConnection: 1 },
        figures: {
          chunks: stored,
          subscribersMissingChunks: incomplete,
          publishToDeliveryMs: summary(delays),
        },
        lost: incomplete,
        duplicated: dup,
      };
    },
  );
}

/** Emulator RSS per idle subscription connection, measured in a child process. */
export async function memory(quick: boolean): Promise<ScenarioResult> {
  const connections = quick ? 100 : 1000;
  // From src (tests) the compiled child lives in dist/.
  const here = fileURLToPath(new URL('./memory-child.js', import.meta.url));
  const childPath = existsSync(here)
    ? here
    : fileURLToPath(new URL('../dist/memory-child.js', import.meta.url));
  const child = fork(childPath, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const ask = (type: string) =>
    new Promise<{
      rss: number;
      config?: { graphqlUrl: string; realtimeUrl: string; apiKey: string };
    }>((resolve) => {
      child.once('message', (m) => resolve(m as never));
      child.send({ type });
    });
  const ready = await new Promise<{
    config: { graphqlUrl: string; realtimeUrl: string; apiKey: string };
  }>((r) => child.once('message', (m) => r(m as never)));
  const { graphqlUrl, realtimeUrl, apiKey } = ready.config;
  const base = await ask('rss');
  const subs = [];
  for (let i = 0; i < connections; i += 1) {
    const s = await connect(realtimeUrl, graphqlUrl, apiKey);
    await s.subscribe(randomUUID());
    subs.push(s);
  }
  const loaded = await ask('rss');
  for (const s of subs) s.close();
  child.kill();
  const perConnectionKb = Math.round(((loaded.rss - base.rss) / connections / 1024) * 10) / 10;
  return {
    name: 'memory',
    settings: { connections, target: '<= 64 KB per idle subscription connection' },
    figures: {
      baseRssMb: Math.round(base.rss / 1048576),
      loadedRssMb: Math.round(loaded.rss / 1048576),
      perConnectionKb,
    },
    lost: 0,
    duplicated: 0,
  };
}
