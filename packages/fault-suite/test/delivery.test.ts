/**
 * AppSync's side of failure: subscription messages dropped, duplicated and reordered,
 * client sockets closed mid-stream, and the emulator restarted mid-stream from its data
 * dir. Clients must end with exactly the stored text of the last attempt.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StreamClient, StreamHandle } from '@org/bedrock-stream-client';
import type { LocalStack } from '@org/bedrock-stream-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  OUTPUT_TOKENS,
  answerFor,
  eventually,
  finishedRecord,
  readChunks,
  readStored,
  reportCase,
  sleep,
  startSuiteStack,
  suiteClient,
  totalDiff,
} from '../src/index.js';

let dataDir: string;
let stack: LocalStack;
const clients: StreamClient[] = [];
beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'fault-suite-'));
  stack = await startSuiteStack({
    dataDir,
    model: { timeToFirstTokenMs: 5, tokensPerSecond: 100, outputTokens: OUTPUT_TOKENS },
    worker: { leaseMs: 1_000, concurrency: 24, timeoutMs: 60_000, retryDelaysMs: [200, 400] },
  });
});
afterAll(async () => {
  for (const c of clients) c.close();
  await stack?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** A new client; a connection holds at most 100 subscriptions, so big cases use several. */
function newClient(): StreamClient {
  const client = suiteClient(stack);
  clients.push(client);
  return client;
}

/** Starts `count` streams spread over `clientCount` clients. */
function startStreams(count: number, clientCount: number, label: string, tokens: number) {
  const pool = Array.from({ length: clientCount }, newClient);
  return Array.from({ length: count }, (_, i) => {
    const prompt = `${label} ${i} ${randomUUID()} [[tokens:${tokens}]]`;
    const handle = pool[i % clientCount]!.stream({ modelId: stack.config.defaultModelId, prompt });
    return { prompt, handle };
  });
}

/** Waits for every stream and checks client text = stored text = the complete answer. */
async function settle(streams: Array<{ prompt: string; handle: StreamHandle }>) {
  const outcomes = await Promise.all(
    streams.map(async ({ prompt, handle }) => {
      const result = await handle.done;
      await finishedRecord(stack, handle.streamId, 60_000);
      const stored = await readStored(stack, handle.streamId);
      return { result, stored, expected: answerFor(stack, prompt) };
    }),
  );
  for (const o of outcomes) {
    expect(o.result.error?.message ?? null).toBeNull();
    expect(o.result.status).toBe('done');
    expect(o.result.text).toBe(o.expected);
    expect(o.stored.text).toBe(o.expected);
  }
  const figures = totalDiff(outcomes.map((o) => ({ expected: o.expected, actual: o.result.text })));
  expect(figures).toEqual({ lost: 0, duplicated: 0 });
  return { outcomes, figures };
}

describe('subscription delivery faults', () => {
  it('5% of messages dropped, 5% duplicated, 5% reordered, 100 concurrent streams: every text complete', async () => {
    stack.emulator.resetStats();
    stack.emulator.setFaults({ dropRate: 0.05, duplicateRate: 0.05, reorderRate: 0.05, seed: 42 });
    let figures;
    let outcomes;
    try {
      ({ outcomes, figures } = await settle(startStreams(100, 4, 'lossy', 80)));
    } finally {
      stack.emulator.setFaults({});
    }
    const s = stack.emulator.stats();
    const faults = s.dropped + s.duplicated + s.reordered;
    expect(s.dropped).toBeGreaterThan(0);
    expect(s.duplicated).toBeGreaterThan(0);
    expect(s.reordered).toBeGreaterThan(0);
    reportCase({
      name: 'subscription 5% drop/dup/reorder',
      trials: outcomes.length,
      faults,
      ...figures,
      notes: `${s.dropped} dropped, ${s.duplicated} dup, ${s.reordered} reordered of ${s.dataMessages} messages; ${outcomes.reduce((n, o) => n + o.result.metrics.catchUpQueries, 0)} catch-up queries`,
    });
  });

  it('client WebSockets closed 3 times mid-stream: resubscribe and catch up, every text complete', async () => {
    // 6 s answers: room for three closes, each once every stream has resubscribed.
    const streams = startStreams(20, 2, 'reconnect', 600);
    await eventually(
      () => streams.every((s) => s.handle.text.length > 0),
      60_000,
      'every stream to stream',
    );
    for (let i = 1; i <= 3; i += 1) {
      stack.emulator.closeAllConnections();
      await eventually(
        () => {
          const running = streams.filter((s) =>
            ['submitted', 'streaming'].includes(s.handle.status),
          );
          return (
            running.every((s) => s.handle.metrics.reconnects >= i) &&
            stack.emulator.stats().subscriptions >= running.length
          );
        },
        30_000,
        `every stream to resubscribe (${i})`,
      );
      await sleep(200);
    }
    const { outcomes, figures } = await settle(streams);
    for (const o of outcomes) expect(o.result.metrics.reconnects).toBeGreaterThanOrEqual(3);
    reportCase({
      name: 'client WebSocket closed 3x per stream',
      trials: outcomes.length,
      faults: outcomes.length * 3,
      ...figures,
      notes: `${outcomes.reduce((n, o) => n + o.result.metrics.reconnects, 0)} reconnects, ${outcomes.reduce((n, o) => n + o.result.metrics.catchUpChunks, 0)} chunks caught up`,
    });
  });

  it('emulator restarted mid-stream with a persistent data dir: clients reconnect and finish, no stored chunk lost', async () => {
    const streams = startStreams(10, 1, 'restart', 200);
    await eventually(
      () => streams.every((s) => s.handle.text.length > 0),
      60_000,
      'every stream to stream',
    );
    await sleep(300);
    const before = await Promise.all(streams.map((s) => readChunks(stack, s.handle.streamId)));
    await stack.restartAppSync({ downMs: 300 });
    const { outcomes, figures } = await settle(streams);
    const after = await Promise.all(streams.map((s) => readChunks(stack, s.handle.streamId)));
    let kept = 0;
    for (const [i, chunks] of before.entries()) {
      for (const chunk of chunks) {
        expect(after[i]).toContainEqual(chunk);
        kept += 1;
      }
    }
    reportCase({
      name: 'emulator restarted mid-stream (data dir)',
      trials: outcomes.length,
      faults: 1,
      ...figures,
      notes: `${kept} chunks stored before the restart all kept; ${outcomes.reduce((n, o) => n + o.result.metrics.reconnects, 0)} reconnects`,
    });
  });
});
