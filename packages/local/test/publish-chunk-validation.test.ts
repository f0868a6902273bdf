import { Sha256 } from '@aws-crypto/sha256-js';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import {
  CHUNK_EVENT_TYPES,
  ChunkPayloadSchema,
  LIMITS,
  encodeChunkPayload,
  safeDecodeChunkPayload,
  type ChunkEvent,
} from '@org/bedrock-stream-contracts';
import { schemaFiles } from '@org/bedrock-stream-contracts/node';
import { apiDefinition } from '@org/bedrock-stream-resolvers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDynamoDbDataSource,
  createLambdaDataSource,
  createNoneDataSource,
  ensureStreamsTable,
  executeResolver,
  loadResolverCode,
  startAppSyncEmulator,
  startDynamoDB,
  type AppSyncEmulator,
  type ContextInput,
  type LoadedResolver,
  type LocalDynamoDB,
} from '../src/index.js';
import { claimAttempt1 } from './claim.js';

// publishChunk rejects a payload that breaks the contracts' ChunkPayload schema, server-side,
// in the bundled APPSYNC_JS getStreamForPublish: over GraphQL (AWSJSON parsed as AppSync
// does, SigV4 like the worker) and, for parity with zod, through the runtime directly.

const region = 'us-east-1';
const apiKey = 'da2-local-test-key';
const worker = { accessKeyId: 'AKIDWORKER', secretAccessKey: 'worker-secret' };
const every: Record<ChunkEvent['type'], ChunkEvent> = {
  start: {
    type: 'start',
    modelId: 'test.model-v1',
    attempt: 1,
    startedAt: '2026-01-01T00:00:00.000Z',
  },
  text: { type: 'text', text: 'Hello, wörld 👋' },
  usage: { type: 'usage', usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 } },
  end: {
    type: 'end',
    stopReason: 'end_turn',
    usage: null,
    timings: { timeToFirstTokenMs: 10, totalMs: 20, modelLatencyMs: null },
  },
  error: { type: 'error', code: 'ThrottlingException', message: 'slow down', retryable: true },
  reasoning: { type: 'reasoning', text: 'Weather asked: call get_weather. 🤔' },
  'reasoning-signature': { type: 'reasoning-signature', signature: 'EqQBCkgIARABGAIiQL+/==' },
  'reasoning-redacted': { type: 'reasoning-redacted', data: 'QUJDRA==' },
  'tool-call-start': {
    type: 'tool-call-start',
    toolCallId: 'tooluse_AbC-12',
    toolName: 'get_weather',
  },
  'tool-call-delta': {
    type: 'tool-call-delta',
    toolCallId: 'tooluse_AbC-12',
    inputDelta: '{"city": "Pa',
  },
  'tool-call': {
    type: 'tool-call',
    toolCallId: 'tooluse_AbC-12',
    toolName: 'get_weather',
    input: { city: 'Paris', days: [1, 2], metric: true, hint: null },
  },
  'tool-result': {
    type: 'tool-result',
    toolCallId: 'tooluse_AbC-12',
    toolName: 'get_weather',
    output: { temperature: 21.5, sky: 'sunny' },
    isError: false,
  },
  'step-start': { type: 'step-start', step: 1 },
  'step-end': {
    type: 'step-end',
    step: 1,
    stopReason: 'tool_use',
    usage: {
      inputTokens: 10,
      outputTokens: 20,
      totalTokens: 30,
      cacheReadInputTokens: 512,
      cacheWriteInputTokens: 0,
    },
  },
};
/** One answer with reasoning, a tool call and its result, then text: one step per model call. */
const mixedTurn: ChunkEvent[] = [
  every['step-start'],
  every.reasoning,
  every['reasoning-signature'],
  every['tool-call-start'],
  every['tool-call-delta'],
  { ...every['tool-call-delta'], inputDelta: 'ris"}' } as ChunkEvent,
  every['tool-call'],
  every['tool-result'],
  every['step-end'],
  { type: 'step-start', step: 2 },
  every['reasoning-redacted'],
  every.text,
  every.end,
];

const PUBLISH = `mutation PublishChunk($input: PublishChunkInput!) {
  publishChunk(input: $input) { streamId attempt seq payload }
}`;
const START = `mutation StartStream($input: StartStreamInput!) { startStream(input: $input) { streamId } }`;
const GET = `query GetStream($streamId: ID!) { getStream(streamId: $streamId) { lastSeq } }`;
const CHUNKS = `query StreamChunks($streamId: ID!) {
  streamChunks(streamId: $streamId, limit: 500) { items { attempt seq payload } }
}`;

interface GraphQLResult {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; errorType: string }>;
}

let db: LocalDynamoDB;
let client: DynamoDBClient;
let emulator: AppSyncEmulator;

beforeAll(async () => {
  db = await startDynamoDB({ port: 0 });
  client = new DynamoDBClient({
    region,
    endpoint: db.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await ensureStreamsTable(client, 'streams');
  emulator = await startAppSyncEmulator({
    schemaFiles: [schemaFiles.awsBuiltins, schemaFiles.deployable],
    definition: apiDefinition,
    dataSources: {
      streamsTable: createDynamoDbDataSource({ client, tableName: 'streams' }),
      worker: createLambdaDataSource({ invoke: async () => null }),
      none: createNoneDataSource(),
    },
    auth: {
      defaultMode: 'API_KEY',
      additionalModes: ['AWS_IAM'],
      apiKeys: [{ key: apiKey }],
      iam: { region, credentials: [{ ...worker, accountId: '000000000000' }] },
    },
    environmentVariables: apiDefinition.environmentVariables({ allowedModelIds: [] }),
  });
});

afterAll(async () => {
  await emulator?.close();
  client?.destroy();
  await db?.close();
});

async function gql(
  query: string,
  variables: Record<string, unknown>,
  iam = false,
): Promise<GraphQLResult> {
  const body = JSON.stringify({ query, variables });
  const url = new URL(emulator.graphqlUrl);
  let headers: Record<string, string> = { 'content-type': 'application/json', 'x-api-key': apiKey };
  if (iam) {
    const signer = new SignatureV4({
      credentials: worker,
      region,
      service: 'appsync',
      sha256: Sha256,
    });
    const signed = await signer.sign(
      new HttpRequest({
        method: 'POST',
        protocol: url.protocol,
        hostname: url.hostname,
        port: Number(url.port),
        path: url.pathname,
        headers: { host: url.host, 'content-type': 'application/json' },
        body,
      }),
    );
    headers = signed.headers as Record<string, string>;
  }
  const response = await fetch(emulator.graphqlUrl, { method: 'POST', headers, body });
  return (await response.json()) as GraphQLResult;
}

/** A stream whose attempt 1 is running (what the worker's claim does). */
async function runningStream(): Promise<string> {
  const streamId = crypto.randomUUID();
  const started = await gql(START, { input: { streamId, prompt: 'hi', modelId: 'test.model-v1' } });
  expect(started.errors).toBeUndefined();
  await claimAttempt1(client, 'streams', streamId);
  return streamId;
}

async function stored(streamId: string) {
  const chunks = await gql(CHUNKS, { streamId });
  const stream = await gql(GET, { streamId });
  const page = chunks.data?.['streamChunks'] as { items: Array<{ seq: number; payload: string }> };
  return {
    seqs: page.items.map((c) => c.seq),
    payloads: page.items.map((c) => c.payload),
    lastSeq: (stream.data?.['getStream'] as { lastSeq: number }).lastSeq,
  };
}

describe('publishChunk over GraphQL', () => {
  it('stores a worker-encoded payload of each event type', async () => {
    const streamId = await runningStream();
    const types = Object.keys(every) as Array<ChunkEvent['type']>;
    let seq = 0;
    for (const type of types) {
      // The worker sends encodeChunkPayload's JSON text; AppSync parses the AWSJSON.
      const payload = encodeChunkPayload({ v: 1, events: [every[type]] });
      const res = await gql(PUBLISH, { input: { streamId, attempt: 1, seq, payload } }, true);
      expect(res.errors, type).toBeUndefined();
      seq += 1;
    }
    const after = await stored(streamId);
    expect(after.seqs).toEqual(types.map((_, i) => i));
    expect(after.payloads.map((p) => safeDecodeChunkPayload(p).ok)).toEqual(types.map(() => true));
  });

  it('stores a mixed reasoning, tool-use and text turn as one chunk', async () => {
    const streamId = await runningStream();
    const payload = encodeChunkPayload({ v: 1, events: mixedTurn });
    const res = await gql(PUBLISH, { input: { streamId, attempt: 1, seq: 0, payload } }, true);
    expect(res.errors).toBeUndefined();
    const after = await stored(streamId);
    expect(after.seqs).toEqual([0]);
    const decoded = safeDecodeChunkPayload(after.payloads[0]);
    expect(decoded.ok && decoded.value).toEqual({ v: 1, events: mixedTurn });
  });

  it('rejects a mixed turn with one bad tool event, naming it, storing nothing', async () => {
    const streamId = await runningStream();
    const events = mixedTurn.map((e) =>
      e.type === 'tool-call' ? { ...e, input: ['not', 'an', 'object'] } : e,
    );
    const res = await gql(
      PUBLISH,
      { input: { streamId, attempt: 1, seq: 0, payload: JSON.stringify({ v: 1, events }) } },
      true,
    );
    expect(res.errors).toEqual([
      expect.objectContaining({
        errorType: 'ValidationError',
        message: 'invalid chunk payload: events[6].input must be a JSON object, got array',
      }),
    ]);
    expect((await stored(streamId)).seqs).toEqual([]);
  });

  it('rejects hostile payloads with a ValidationError naming the path, storing nothing', async () => {
    const streamId = await runningStream();
    const ok = { v: 1, events: [every.text] };
    const cases: Array<[unknown, string]> = [
      [{ v: 2, events: [every.text] }, 'v must be 1'],
      [{ v: 1 }, 'events is required'],
      [{ v: 1, events: [] }, 'events must not be empty'],
      [
        { v: 1, events: [every.start, every.text, { type: 'delta', text: 'x' }] },
        `events[2].type is not a known event type (${CHUNK_EVENT_TYPES.join(', ')})`,
      ],
      [
        { v: 1, events: [every.start, every.text, { type: 'text', text: 42 }] },
        'events[2].text must be a string, got number',
      ],
      [{ v: 1, events: [{ ...every.text, html: '<b>' }] }, 'events[0].html is not a known field'],
      [{ v: 1, events: [every.text], extra: true }, 'extra is not a known field'],
      [
        { v: 1, events: [every.error, every.text] },
        "events[0] is a terminal 'error' event but not the last event",
      ],
      ['hello', 'payload must be a JSON object, got string'],
      [[ok], 'payload must be a JSON object, got array'],
      [42, 'payload must be a JSON object, got number'],
      [null, 'payload must be a JSON object, got null'],
    ];
    for (const [value, message] of cases) {
      const res = await gql(
        PUBLISH,
        { input: { streamId, attempt: 1, seq: 0, payload: JSON.stringify(value) } },
        true,
      );
      expect(res.data?.['publishChunk'], message).toBeNull();
      expect(res.errors, message).toEqual([
        expect.objectContaining({
          errorType: 'ValidationError',
          message: `invalid chunk payload: ${message}`,
        }),
      ]);
    }
    // Encoded twice: AppSync parses AWSJSON once, so the resolver sees a string.
    const twice = await gql(
      PUBLISH,
      { input: { streamId, attempt: 1, seq: 0, payload: JSON.stringify(JSON.stringify(ok)) } },
      true,
    );
    expect(twice.errors?.[0]?.message).toBe(
      'invalid chunk payload: payload must be a JSON object, got string',
    );
    expect(await stored(streamId)).toEqual({ seqs: [], payloads: [], lastSeq: -1 });
    // The stream still takes a valid chunk at seq 0.
    const good = await gql(
      PUBLISH,
      { input: { streamId, attempt: 1, seq: 0, payload: JSON.stringify(ok) } },
      true,
    );
    expect(good.errors).toBeUndefined();
    expect((await stored(streamId)).seqs).toEqual([0]);
  });
});

/** Bounds of the reasoning, tool and step events, on both sides of each. */
function newEventSamples(): unknown[] {
  const bound = LIMITS.chunkTextBytes;
  const one = (type: ChunkEvent['type'], fields: Record<string, unknown>) => ({
    v: 1,
    events: [{ ...every[type], ...fields }],
  });
  const withProto = (json: string): unknown => JSON.parse(json);
  const xs = (n: number) => `"${'x'.repeat(n)}"`;
  return [
    one('reasoning', { text: 'é'.repeat(bound / 2) }),
    one('reasoning', { text: 'é'.repeat(bound / 2) + 'a' }),
    one('reasoning', { text: '' }),
    one('reasoning-signature', { signature: 'x'.repeat(LIMITS.reasoningSignatureChars) }),
    one('reasoning-signature', { signature: 'x'.repeat(LIMITS.reasoningSignatureChars + 1) }),
    one('reasoning-signature', { signature: '' }),
    ...['', 'ab==', 'abc=', '+/+/', 'A'.repeat(bound), 'A'.repeat(bound + 4)].map((data) =>
      one('reasoning-redacted', { data }),
    ),
    ...['abc', 'a===', '====', 'ab=c', 'ab c', 'AAAA\n', '-_-_', 'é==='].map((data) =>
      one('reasoning-redacted', { data }),
    ),
    ...['a', 'x'.repeat(64), 'x'.repeat(65), '', 'a.b', 'a b', 'ü'].map((toolCallId) =>
      one('tool-call-start', { toolCallId }),
    ),
    ...['get-weather_2', 'x'.repeat(65), 'get weather', 7].map((toolName) =>
      one('tool-call-start', { toolName }),
    ),
    one('tool-call-delta', { inputDelta: '' }),
    one('tool-call-delta', { inputDelta: '😀'.repeat(bound / 4) }),
    one('tool-call-delta', { inputDelta: '😀'.repeat(bound / 4) + 'a' }),
    ...[{}, [], 'x', null, 1].map((input) => one('tool-call', { input })),
    // `{"a":"…"}` is 8 bytes of JSON around the string.
    one('tool-call', { input: { a: 'x'.repeat(bound - 8) } }),
    one('tool-call', { input: { a: 'x'.repeat(bound - 7) } }),
    one('tool-call', { input: { a: '\n'.repeat((bound - 8) / 2) } }),
    one('tool-call', { input: { a: '\n'.repeat((bound - 8) / 2) + 'x' } }),
    // zod drops `__proto__` members before it counts.
    one('tool-call', { input: withProto(`{"a":${xs(bound - 8)},"__proto__":{"b":1}}`) }),
    one('tool-call', { input: withProto(`{"a":${xs(bound - 7)},"__proto__":{"b":1}}`) }),
    one('tool-call', { input: withProto(`{"b":[{"__proto__":1}],"a":${xs(bound - 17)}}`) }),
    one('tool-call', { input: withProto(`{"b":[{"__proto__":1}],"a":${xs(bound - 16)}}`) }),
    ...[null, 'x', 0, true, [], {}, 'x'.repeat(bound - 2), 'x'.repeat(bound - 1)].map((output) =>
      one('tool-result', { output }),
    ),
    one('tool-result', { isError: 'true' }),
    (() => {
      const { output: _dropped, ...rest } = every['tool-result'] as Record<string, unknown>;
      return { v: 1, events: [rest] };
    })(),
    ...[1, Number.MAX_SAFE_INTEGER, 0, -1, 1.5, '1'].map((step) => one('step-start', { step })),
    one('step-end', { usage: null }),
    one('step-end', { stopReason: 'Tool Use' }),
    ...[0, 7, -1, 0.5, null, '1'].map((cacheWriteInputTokens) => ({
      v: 1,
      events: [
        {
          type: 'usage',
          usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3, cacheWriteInputTokens },
        },
      ],
    })),
  ];
}

describe('bundled getStreamForPublish vs the contracts ChunkPayloadSchema', () => {
  // Runs the deployed file through the APPSYNC_JS runtime against a stub table holding a
  // running stream: a payload passes iff the resolver answers with no error.
  let resolver: LoadedResolver;
  beforeAll(async () => {
    const fn = apiDefinition.functions['getStreamForPublish']!;
    resolver = {
      kind: 'UNIT',
      code: await loadResolverCode(fn.codeFile),
      dataSource: 'table',
    };
  });

  async function publish(payload: unknown) {
    const input: ContextInput = {
      arguments: {
        input: { streamId: 'a1b2c3d4-0000-4000-8000-000000000001', attempt: 1, seq: 0, payload },
      },
      identity: { accountId: '1', userArn: 'arn:aws:iam::1:role/worker' },
      source: null,
      request: { headers: {}, domainName: null },
      info: {
        fieldName: 'publishChunk',
        parentTypeName: 'Mutation',
        variables: {},
        selectionSetList: [],
        selectionSetGraphQL: '',
      },
      env: {},
    };
    const table = { invoke: async () => ({ attempt: 1, lastSeq: -1, status: 'RUNNING' }) };
    return executeResolver(resolver, input, { table });
  }

  const big = (unit: string, n: number) => ({ type: 'text', text: unit.repeat(n) });
  const samples: unknown[] = [
    ...Object.values(every).map((e) => ({ v: 1, events: [e] })),
    { v: 1, events: [every.start, every.text, every.usage, every.end] },
    { v: 1, events: mixedTurn },
    { v: 1, events: [...mixedTurn.slice(0, -1), every.error] },
    { v: 1, events: [every.end, ...mixedTurn] },
    { v: 1, events: Array.from({ length: LIMITS.chunkEvents }, () => every.text) },
    { v: 1, events: Array.from({ length: LIMITS.chunkEvents + 1 }, () => every.text) },
    { v: 1, events: [big('a', LIMITS.chunkTextBytes)] },
    { v: 1, events: [big('a', LIMITS.chunkTextBytes + 1)] },
    { v: 1, events: [big('é', LIMITS.chunkTextBytes / 2)] },
    { v: 1, events: [big('é', LIMITS.chunkTextBytes / 2 + 1)] },
    { v: 1, events: [big('😀', LIMITS.chunkTextBytes / 4)] },
    { v: 1, events: [big('😀', LIMITS.chunkTextBytes / 4 + 1)] },
    // A lone surrogate counts 3 bytes (Buffer.byteLength): 32,766 then 32,769 bytes.
    { v: 1, events: [{ type: 'text', text: 'a'.repeat(LIMITS.chunkTextBytes - 5) + '\uD800' }] },
    {
      v: 1,
      events: [{ type: 'text', text: 'a'.repeat(LIMITS.chunkTextBytes - 5) + '\uD800\uDBFF' }],
    },
    { v: 1, events: [{ ...every.start, startedAt: '2024-02-29T23:59:59.5Z' }] },
    { v: 1, events: [{ ...every.start, startedAt: '2023-02-29T00:00:00Z' }] },
    { v: 1, events: [{ ...every.start, startedAt: '2026-01-01T00:00:00+00:00' }] },
    { v: 1, events: [{ ...every.start, startedAt: '2026-01-01T00:00Z' }] },
    { v: 1, events: [{ ...every.start, modelId: 'x'.repeat(LIMITS.modelIdChars) }] },
    { v: 1, events: [{ ...every.start, modelId: 'x'.repeat(LIMITS.modelIdChars + 1) }] },
    { v: 1, events: [{ ...every.start, attempt: 0 }] },
    { v: 1, events: [{ ...every.start, attempt: 2 ** 53 }] },
    { v: 1, events: [{ ...every.error, code: 'A.b_c9' }] },
    { v: 1, events: [{ ...every.error, code: '9a' }] },
    { v: 1, events: [{ ...every.error, code: 'a-b' }] },
    { v: 1, events: [{ ...every.error, message: 'x'.repeat(LIMITS.errorMessageChars) }] },
    { v: 1, events: [{ ...every.error, message: 'x'.repeat(LIMITS.errorMessageChars + 1) }] },
    { v: 1, events: [{ ...every.end, stopReason: 'guardrail_intervened' }] },
    { v: 1, events: [{ ...every.end, stopReason: 'END_TURN' }] },
    { v: 1, events: [{ ...every.end, timings: { totalMs: 1 } }] },
    { v: 1, events: [{ ...every.end, usage: { inputTokens: 1, outputTokens: 1 } }] },
    {
      v: 1,
      events: [{ type: 'usage', usage: { inputTokens: -1, outputTokens: 0, totalTokens: 0 } }],
    },
    { v: 1, events: [{ type: 'usage', usage: null }] },
    ...newEventSamples(),
    { v: 1, events: [every.end, every.text] },
    { v: 1, events: [{ type: 'text', text: 'x', type2: 1 }] },
    { v: 1, events: [null] },
    { v: '1', events: [every.text] },
    { events: [every.text] },
    JSON.stringify({ v: 1, events: [every.text] }),
    [],
    null,
  ];

  it('accepts exactly what zod accepts', async () => {
    let accepted = 0;
    for (const sample of samples) {
      const value: unknown = JSON.parse(JSON.stringify(sample));
      const result = await publish(value);
      const zod = ChunkPayloadSchema.safeParse(value).success;
      const label = JSON.stringify(value).slice(0, 120);
      if (zod) {
        expect(result.errors, label).toEqual([]);
        accepted += 1;
      } else {
        expect(result.errors, label).toEqual([
          expect.objectContaining({
            errorType: 'ValidationError',
            message: expect.stringMatching(/^invalid chunk payload: /),
          }),
        ]);
      }
    }
    expect(accepted).toBeGreaterThan(10);
  });
});
