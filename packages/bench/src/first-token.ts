// First text through a 100 ms RTT link (issue 18): the client's time to its first text,
// minus the model's own time to first token, in round trips. The default order (the
// mutation sent at once, catch-up filling what the subscription missed) beside the
// subscribe-first order, cold clients (new connections) and warm ones (connected before),
// interleaved in one run.
import { createStreamClient, type StreamClient } from '@org/bedrock-stream-client';
import { startLocalStack } from '@org/bedrock-stream-stack';
import { startLatencyProxy } from './latency-proxy.js';
import type { ScenarioResult } from './scenarios.js';
import { summary } from './stats.js';

const RTT_MS = 100;
/**
 * The model's own time to first token: a few hundred ms for Claude on Bedrock. The
 * figure does not depend on it once it exceeds the subscription's set-up.
 */
const MODEL_TTFT_MS = 400;

type Order = 'mutation at once' | 'subscribe first';
type Warmth = 'cold' | 'warm';

/** First text minus the model's TTFT, in RTTs: mutation at once vs subscribe-first, cold and warm. */
export async function firstToken(quick: boolean): Promise<ScenarioResult> {
  const rounds = quick ? 2 : 10;
  const stack = await startLocalStack({
    stateFile: false,
    model: { timeToFirstTokenMs: MODEL_TTFT_MS, tokensPerSecond: 1000, outputTokens: 8 },
  });
  const proxy = await startLatencyProxy(stack.config.graphqlUrl, RTT_MS);
  const url = proxy.urlFor(stack.config.graphqlUrl);
  const clientFor = (order: Order): StreamClient =>
    createStreamClient({
      url,
      region: stack.config.region,
      auth: { type: 'API_KEY', apiKey: stack.config.apiKey },
      subscribeFirst: order === 'subscribe first',
    });
  const orders: Order[] = ['mutation at once', 'subscribe first'];
  const warm = new Map(orders.map((o) => [o, clientFor(o)] as const));
  const samples = new Map<string, number[]>();
  /** New TCP connections each stream opened, per mode (a warm client should open none). */
  const opened = new Map<string, number[]>();
  let lost = 0;
  try {
    // Warm clients connect ahead (as the React hook does on first render) and stay warm.
    await Promise.all([...warm.values()].map((c) => c.connect()));
    // One unmeasured stream each: the worker's first run is Lambda's cold start, not the path's.
    for (const c of warm.values()) {
      await c.stream({ modelId: stack.config.defaultModelId, prompt: 'first token warm-up' }).done;
    }
    for (let round = 0; round < rounds; round += 1) {
      for (const order of orders) {
        for (const warmth of ['cold', 'warm'] as Warmth[]) {
          const client = warmth === 'warm' ? warm.get(order)! : clientFor(order);
          const connectionsBefore = proxy.connections();
          try {
            const started = performance.now();
            const handle = client.stream({
              modelId: stack.config.defaultModelId,
              prompt: `first token ${order} ${warmth} ${round}`,
            });
            let firstTextAt: number | null = null;
            for await (const update of handle) {
              if (update.type === 'text') {
                firstTextAt = performance.now();
                break;
              }
            }
            const result = await handle.done;
            if (result.status !== 'done' || firstTextAt === null) {
              lost += 1;
              continue;
            }
            const key = `${order}, ${warmth}`;
            const rtts = (firstTextAt - started - MODEL_TTFT_MS) / RTT_MS;
            samples.set(key, [...(samples.get(key) ?? []), Math.round(rtts * 100) / 100]);
            opened.set(key, [...(opened.get(key) ?? []), proxy.connections() - connectionsBefore]);
          } finally {
            if (warmth === 'cold') client.close();
          }
        }
      }
    }
  } finally {
    for (const c of warm.values()) c.close();
    await proxy.close();
    await stack.stop();
  }
  return {
    name: 'first text through a 100 ms RTT link',
    settings: {
      rttMs: RTT_MS,
      modelTtftMs: MODEL_TTFT_MS,
      rounds,
      order: 'interleaved: each round runs every order x warmth once',
      target: 'mutation at once: cold <= +2.5 RTT, warm <= +1.5 RTT (p50)',
      measure: "(client's first text - stream() call - model TTFT) / RTT",
    },
    figures: {
      rows: [...samples].map(([mode, rtts]) => ({
        mode,
        extraRtts: summary(rtts),
        newConnectionsPerStream: summary(opened.get(mode) ?? []).p50,
      })),
    },
    lost,
    duplicated: 0,
  };
}
