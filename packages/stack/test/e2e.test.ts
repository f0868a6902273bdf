/**
 * End to end on the real local stack: AppSync emulator running the deployed resolver
 * files, async invoker running the built worker in child processes, the Bedrock-compatible
 * endpoint, dynalite. Clients are raw AppSync real-time sockets (to see every message)
 * and the real Apollo 4 + aws-appsync links.
 */
import { randomUUID } from 'node:crypto';
import { ApolloClient, ApolloLink, InMemoryCache, gql as tag } from '@apollo/client';
import { DEFAULT_MODEL_IDS, deterministicAnswer } from '@org/bedrock-stream-local';
import { createAuthLink } from 'aws-appsync-auth-link';
import { createSubscriptionHandshakeLink } from 'aws-appsync-subscription-link';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startLocalStack, type LocalStack } from '../src/index.js';
import {
  assemble,
  CANCEL,
  CHUNKS,
  eventually,
  GET,
  gql,
  PUBLISH,
  sigv4Headers,
  START,
} from './helpers.js';
import { rawSubscribe, SUBSCRIPTION, type RawSubscription } from './realtime.js';

const OUTPUT_TOKENS = 40;
const UNKNOWN_MODEL = 'anthropic.claude-unknown-v9:0';
let stack: LocalStack;
let apiKeyHeaders: Record<string, string>;

beforeAll(async () => {
  stack = await startLocalStack({
    stateFile: false,
    model: { timeToFirstTokenMs: 10, tokensPerSecond: 400, outputTokens: OUTPUT_TOKENS },
    allowedModelIds: [...DEFAULT_MODEL_IDS, UNKNOWN_MODEL],
    bedrockModelIds: [...DEFAULT_MODEL_IDS],
    worker: { leaseMs: 1_500, concurrency: 4 },
  });
  apiKeyHeaders = { 'x-api-key': stack.config.apiKey };
});
afterAll(async () => {
  await stack?.stop();
});

const modelId = () => stack.config.defaultModelId;

function subscribeWithApiKey(streamId: string, legacy = false): Promise<RawSubscription> {
  const host = new URL(stack.config.graphqlUrl).host;
  const header = { host, 'x-api-key': stack.config.apiKey };
  return rawSubscribe({
    realtimeUrl: stack.config.realtimeUrl,
    connectHeader: header,
    startAuthorization: () => header,
    streamId,
    legacy,
  });
}

async function record(streamId: string, headers = apiKeyHeaders) {
  const res = await gql(stack.config.graphqlUrl, headers, GET, { streamId });
  return res.data?.['getStream'] as {
    status: string;
    attempt: number;
    lastSeq: number;
    stopReason: string | null;
    error: string | null;
  } | null;
}

async function finished(streamId: string) {
  return eventually(
    async () => {
      const r = await record(streamId);
      return r && ['COMPLETED', 'CANCELLED', 'FAILED'].includes(r.status) ? r : null;
    },
    20_000,
    `stream ${streamId} to finish`,
  );
}

async function stored(streamId: string) {
  const res = await gql(stack.config.graphqlUrl, apiKeyHeaders, CHUNKS, { streamId });
  return (
    res.data?.['streamChunks'] as {
      items: Array<{ attempt: number; seq: number; payload: string }>;
    }
  ).items;
}

function received(sub: RawSubscription) {
  return sub.data.map(
    (m) =>
      (
        m['payload'] as {
          data: { onStreamChunk: { attempt: number; seq: number; payload: string } };
        }
      ).data.onStreamChunk,
  );
}

async function start(prompt: string, extra: Record<string, unknown> = {}) {
  const streamId = randomUUID();
  const sub = await subscribeWithApiKey(streamId);
  expect((await sub.started)['type']).toBe('start_ack');
  const res = await gql(stack.config.graphqlUrl, apiKeyHeaders, START, {
    input: { streamId, modelId: modelId(), prompt, ...extra },
  });
  expect(res.errors).toBeUndefined();
  return { streamId, sub };
}

/** The subscriber's assembled text, once its end event has arrived. */
async function receivedText(sub: RawSubscription): Promise<string> {
  await eventually(
    async () => assemble(received(sub)).events.some((e) => e.type === 'end'),
    5_000,
    'end event',
  );
  return assemble(received(sub)).text;
}

describe('streaming through the stack', () => {
  it('delivers the deterministic answer exactly, and stores what it delivers', async () => {
    const prompt = 'Explain event streams.';
    const { streamId, sub } = await start(prompt);
    const rec = await finished(streamId);
    const deliveredText = await receivedText(sub);
    const expected = deterministicAnswer(prompt, {
      modelId: modelId(),
      outputTokens: OUTPUT_TOKENS,
    }).text;
    expect(deliveredText).toBe(expected);
    expect(assemble(await stored(streamId)).text).toBe(expected);
    expect(rec).toMatchObject({ status: 'COMPLETED', attempt: 1, stopReason: 'end_turn' });
    const first = assemble(received(sub)).events[0];
    expect(first).toMatchObject({ type: 'start', attempt: 1 });
    sub.close();
  });

  it('serves the legacy query-string handshake', async () => {
    const streamId = randomUUID();
    const sub = await subscribeWithApiKey(streamId, true);
    expect((await sub.started)['type']).toBe('start_ack');
    expect(sub.socket.protocol).toBe('graphql-ws');
    expect(sub.messages.find((m) => m['type'] === 'connection_ack')).toMatchObject({
      payload: { connectionTimeoutMs: expect.any(Number) },
    });
    expect(sub.messages.some((m) => m['type'] === 'ka')).toBe(true);
    sub.close();
  });

  it('lets an IAM caller follow its own stream with the real aws-appsync-subscription-link', async () => {
    const { graphqlUrl, region } = stack.config;
    const auth = { type: 'AWS_IAM' as const, credentials: stack.workerCredentials };
    (globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;
    const apollo = new ApolloClient({
      cache: new InMemoryCache(),
      // The links are typed against Apollo's CJS build; the runtime objects are the same.
      link: ApolloLink.from([
        createAuthLink({ url: graphqlUrl, region, auth }) as unknown as ApolloLink,
        createSubscriptionHandshakeLink({ url: graphqlUrl, region, auth }) as unknown as ApolloLink,
      ]),
    });
    const streamId = randomUUID();
    const chunks: unknown[] = [];
    let acked!: () => void;
    const ack = new Promise<void>((r) => (acked = r));
    const sub = apollo
      .subscribe({
        query: tag(SUBSCRIPTION),
        variables: { streamId },
        context: { controlMessages: { keepAlive: true } } as never,
      })
      .subscribe({
        next: (result) => {
          if (
            (result.extensions as Record<string, unknown> | undefined)?.['controlMsgType'] ===
            'CONNECTED'
          )
            acked();
          const chunk = (result.data as { onStreamChunk?: unknown } | undefined)?.onStreamChunk;
          if (chunk) chunks.push(chunk);
        },
      });
    await Promise.race([ack, new Promise((r) => setTimeout(r, 3_000))]);
    // Started by the same IAM identity: only a stream's owner receives its chunks.
    const body = JSON.stringify({
      query: START,
      variables: { input: { streamId, modelId: modelId(), prompt: 'iam subscriber' } },
    });
    const started = await fetch(graphqlUrl, {
      method: 'POST',
      headers: await sigv4Headers(graphqlUrl, body, stack.workerCredentials, region),
      body,
    });
    expect(((await started.json()) as { errors?: unknown }).errors).toBeUndefined();
    await eventually(
      async () => assemble(chunks as never).events.some((e) => e.type === 'end'),
      5_000,
      'IAM subscriber end event',
    );
    expect(assemble(chunks as never).text).toBe(
      deterministicAnswer('iam subscriber', { modelId: modelId(), outputTokens: OUTPUT_TOKENS })
        .text,
    );
    sub.unsubscribe();
    apollo.stop();
  });
});

describe('worker semantics', () => {
  it('does nothing more for duplicate deliveries of the same event', async () => {
    const prompt = 'duplicate delivery [[tokens:60]]';
    const before = stack.emulator.stats().mutations['publishChunk'] ?? 0;
    const { streamId, sub } = await start(prompt);
    await stack.invoker.invoke({ streamId }, 'Event', { duplicate: 2 });
    await finished(streamId);
    await stack.invoker.idle();
    const chunks = await stored(streamId);
    expect(new Set(chunks.map((c) => c.attempt))).toEqual(new Set([1]));
    expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, i) => i));
    expect((stack.emulator.stats().mutations['publishChunk'] ?? 0) - before).toBe(chunks.length);
    expect(assemble(chunks).text).toBe(
      deterministicAnswer(prompt, { modelId: modelId(), outputTokens: OUTPUT_TOKENS }).text,
    );
    sub.close();
  });

  it('turns a model failure after K tokens into attempt 2 with the complete text', async () => {
    const prompt = `mid-stream failure ${randomUUID()} [[tokens:80]] [[fault:mid-stream-error:after=10:times=1]]`;
    const { streamId, sub } = await start(prompt);
    const rec = await finished(streamId);
    expect(rec).toMatchObject({ status: 'COMPLETED', attempt: 2 });
    const expected = deterministicAnswer(prompt, {
      modelId: modelId(),
      outputTokens: OUTPUT_TOKENS,
    }).text;
    const chunks = await stored(streamId);
    expect(chunks.some((c) => c.attempt === 1)).toBe(true);
    expect(assemble(chunks)).toMatchObject({ attempt: 2, text: expected });
    expect(await receivedText(sub)).toBe(expected);
    sub.close();
  });

  it('cancels: the Bedrock call is aborted and the stream ends cancelled', async () => {
    stack.bedrock!.setTiming({ tokensPerSecond: 50 });
    try {
      const abortedBefore = stack.bedrock!.stats().aborted;
      const { streamId, sub } = await start('cancel me [[tokens:500]]');
      await eventually(async () => sub.data.length > 0, 10_000, 'first chunk');
      const res = await gql(stack.config.graphqlUrl, apiKeyHeaders, CANCEL, { streamId });
      expect(res.data?.['cancelStream']).toMatchObject({ cancelRequested: true });
      const rec = await finished(streamId);
      expect(rec).toMatchObject({ status: 'CANCELLED', stopReason: 'cancelled' });
      await eventually(
        async () => stack.bedrock!.stats().aborted > abortedBefore,
        5_000,
        'the endpoint to see the connection closed',
      );
      const events = assemble(await stored(streamId)).events;
      expect(events.at(-1)).toMatchObject({ type: 'end', stopReason: 'cancelled' });
      sub.close();
    } finally {
      stack.bedrock!.setTiming({ tokensPerSecond: 400 });
    }
  });

  it('recovers from a worker process killed mid-stream: the invoker retries, attempt 2 completes', async () => {
    stack.bedrock!.setTiming({ tokensPerSecond: 100 });
    try {
      const prompt = `killed worker ${randomUUID()} [[tokens:300]]`;
      const crashesBefore = stack.invoker.stats().crashes;
      const { streamId, sub } = await start(prompt);
      await eventually(async () => sub.data.length > 0, 10_000, 'first chunk');
      expect(stack.invoker.killRunning()).toBe(true);
      stack.bedrock!.setTiming({ tokensPerSecond: 400 });
      const rec = await finished(streamId);
      expect(rec).toMatchObject({ status: 'COMPLETED' });
      expect(rec.attempt).toBeGreaterThanOrEqual(2);
      expect(stack.invoker.stats().crashes).toBe(crashesBefore + 1);
      const expected = deterministicAnswer(prompt, {
        modelId: modelId(),
        outputTokens: OUTPUT_TOKENS,
      }).text;
      expect(assemble(await stored(streamId))).toMatchObject({
        attempt: rec.attempt,
        text: expected,
      });
      expect(await receivedText(sub)).toBe(expected);
      sub.close();
    } finally {
      stack.bedrock!.setTiming({ tokensPerSecond: 400 });
    }
  });

  it('ends a stream for a model Bedrock does not know with a non-retryable error event', async () => {
    const streamId = randomUUID();
    const sub = await subscribeWithApiKey(streamId);
    await sub.started;
    await gql(stack.config.graphqlUrl, apiKeyHeaders, START, {
      input: { streamId, modelId: UNKNOWN_MODEL, prompt: 'hello' },
    });
    const rec = await finished(streamId);
    expect(rec?.status).toBe('FAILED');
    const events = assemble(await stored(streamId)).events;
    expect(events.at(-1)).toMatchObject({
      type: 'error',
      code: 'ValidationException',
      retryable: false,
    });
    sub.close();
  });

  it('publishes a 1,000-token answer at 200 tokens/s in at most ~60 chunks (vs 1,000 per token)', async () => {
    stack.bedrock!.setTiming({ tokensPerSecond: 200 });
    try {
      const before = stack.emulator.stats().mutations['publishChunk'] ?? 0;
      const prompt = 'a long answer [[tokens:1000]]';
      const { streamId, sub } = await start(prompt);
      await finished(streamId);
      const publishes = (stack.emulator.stats().mutations['publishChunk'] ?? 0) - before;
      const { events, text } = assemble(await stored(streamId));
      const end = events.find((e) => e.type === 'end');
      const generationMs = end?.type === 'end' ? end.timings.totalMs : 5_000;
      console.log(
        `publish count for 1,000 tokens at 200 tokens/s, 100 ms window: ${publishes} over ${generationMs} ms`,
      );
      // One publish per 100 ms window plus the first text and the end: ~52 at the nominal
      // 5 s. A loaded machine paces the model slower, so the bound follows the run's length.
      expect(publishes).toBeLessThanOrEqual(Math.max(60, Math.ceil(generationMs / 100) + 3));
      expect(publishes).toBeLessThan(100); // 10x fewer than per-token publishing
      expect(text).toBe(
        deterministicAnswer(prompt, { modelId: modelId(), outputTokens: OUTPUT_TOKENS }).text,
      );
      sub.close();
    } finally {
      stack.bedrock!.setTiming({ tokensPerSecond: 400 });
    }
  }, 30_000);
});

describe('auth and bad input', () => {
  it('rejects an API-key caller of the IAM-only publishChunk', async () => {
    const res = await gql(stack.config.graphqlUrl, apiKeyHeaders, PUBLISH, {
      input: {
        streamId: randomUUID(),
        attempt: 1,
        seq: 0,
        payload: '{"v":1,"events":[{"type":"text","text":"x"}]}',
      },
    });
    expect(res.data?.['publishChunk']).toBeNull();
    expect(res.errors?.[0]).toMatchObject({
      errorType: 'Unauthorized',
      message: 'Not Authorized to access publishChunk on type Mutation',
    });
  });

  it('rejects forged, stale and tampered SigV4 signatures', async () => {
    const { graphqlUrl, region } = stack.config;
    const body = JSON.stringify({ query: GET, variables: { streamId: randomUUID() } });
    const good = await sigv4Headers(graphqlUrl, body, stack.workerCredentials, region);
    expect((await fetch(graphqlUrl, { method: 'POST', headers: good, body })).status).toBe(200);
    const wrongSecret = await sigv4Headers(
      graphqlUrl,
      body,
      { ...stack.workerCredentials, secretAccessKey: 'wrong' },
      region,
    );
    const stale = await sigv4Headers(
      graphqlUrl,
      body,
      stack.workerCredentials,
      region,
      new Date(Date.now() - 10 * 60_000),
    );
    for (const headers of [wrongSecret, stale]) {
      const res = await fetch(graphqlUrl, { method: 'POST', headers, body });
      expect(res.status).toBe(401);
      expect(
        ((await res.json()) as { errors: Array<{ errorType: string }> }).errors[0]!.errorType,
      ).toBe('InvalidSignatureException');
    }
    const tampered = await fetch(graphqlUrl, {
      method: 'POST',
      headers: good,
      body: body.replace('GetStream', 'GetStreaM'),
    });
    expect(tampered.status).toBe(401);
  });

  it('keeps one JWT user out of another user’s stream', async () => {
    const alice = await stack.issueJwt('alice');
    const mallory = await stack.issueJwt('mallory');
    const streamId = randomUUID();
    const started = await gql(stack.config.graphqlUrl, { authorization: alice }, START, {
      input: { streamId, modelId: modelId(), prompt: 'private' },
    });
    expect(started.errors).toBeUndefined();
    const host = new URL(stack.config.graphqlUrl).host;
    const sub = await rawSubscribe({
      realtimeUrl: stack.config.realtimeUrl,
      connectHeader: { host, Authorization: mallory },
      startAuthorization: () => ({ host, Authorization: mallory }),
      streamId,
    });
    const answer = await sub.started;
    expect(answer).toMatchObject({
      type: 'error',
      payload: { errors: [{ errorType: 'Unauthorized' }] },
    });
    sub.close();
    for (const [query, vars] of [
      [GET, { streamId }],
      [CHUNKS, { streamId }],
      [CANCEL, { streamId }],
    ] as const) {
      const res = await gql(stack.config.graphqlUrl, { authorization: mallory }, query, vars);
      expect(res.errors?.[0]?.errorType).toBe('Unauthorized');
    }
    const own = await gql(stack.config.graphqlUrl, { authorization: alice }, GET, { streamId });
    expect(own.errors).toBeUndefined();
  });

  it('refuses bad startStream input with AppSync-shaped errors and starts nothing', async () => {
    const invocations = stack.invoker.stats().invocations;
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ messages: [] }, /messages is empty/],
      [{ prompt: 'x'.repeat(200_001) }, /prompt exceeds/],
      [{ prompt: 'x', modelId: 'not.allowed-v1' }, /not allowed/],
      [{ prompt: 'x', inferenceConfig: { maxTokens: -1 } }, /maxTokens/],
      [{ prompt: 'x', inferenceConfig: { maxTokens: 10_000_000 } }, /maxTokens/],
      [{ prompt: 'a\u0000b' }, /control characters/],
    ];
    for (const [input, message] of cases) {
      const res = await gql(stack.config.graphqlUrl, apiKeyHeaders, START, {
        input: { streamId: randomUUID(), modelId: modelId(), ...input },
      });
      expect(res.errors?.[0]?.errorType, JSON.stringify(input).slice(0, 80)).toBe(
        'ValidationError',
      );
      expect(res.errors?.[0]?.message).toMatch(message);
    }
    const wrongType = await gql(stack.config.graphqlUrl, apiKeyHeaders, START, {
      input: { streamId: randomUUID(), modelId: modelId(), prompt: 42 },
    });
    expect(wrongType.errors?.[0]?.message).toMatch(/String/);
    const extra = await gql(stack.config.graphqlUrl, apiKeyHeaders, START, {
      input: { streamId: randomUUID(), modelId: modelId(), prompt: 'x', evil: true },
    });
    expect(extra.errors?.[0]?.message).toMatch(/evil/);
    const huge = await fetch(stack.config.graphqlUrl, {
      method: 'POST',
      headers: { ...apiKeyHeaders, 'content-type': 'application/json' },
      body: 'x'.repeat(10 * 1024 * 1024),
    });
    expect(huge.status).toBe(413);
    expect(stack.invoker.stats().invocations).toBe(invocations);
  });
});
