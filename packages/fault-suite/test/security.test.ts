/**
 * Nobody let in: one user cannot read, follow or stop another's stream; stream ids are
 * unguessable; only correctly SigV4-signed worker calls may publish; and neither
 * prompts nor credentials ever reach the logs.
 */
import { randomUUID } from 'node:crypto';
import {
  ChunkAssembler,
  createStreamClient,
  newStreamId,
  type StreamClient,
} from '@org/bedrock-stream-client';
import { deterministicAnswer } from '@org/bedrock-stream-local';
import type { LocalStack } from '@org/bedrock-stream-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CANCEL,
  CHUNKS,
  GET,
  PUBLISH,
  RawRealtime,
  START,
  apiKeyAuthorization,
  apiKeyHeaders,
  firstError,
  iamGql,
  jwtAuthorization,
  jwtHeaders,
  postRaw,
  realtimeErrors,
  startStackProcess,
  storedRecordItem,
  tableSnapshot,
  textPayload,
  type IamAbuse,
  type StackEndpoints,
} from '../src/abuse.js';
import {
  OUTPUT_TOKENS,
  answerFor,
  eventually,
  finishedRecord,
  gql,
  readStored,
  reportCase,
  sleep,
  startSuiteStack,
  suiteClient,
  tokenDiff,
  type GraphQLResponse,
} from '../src/index.js';

let stack: LocalStack;
let client: StreamClient;
beforeAll(async () => {
  stack = await startSuiteStack();
  client = suiteClient(stack);
});
afterAll(async () => {
  client?.close();
  await stack?.stop();
});

const url = () => stack.config.graphqlUrl;
const modelId = () => stack.config.defaultModelId;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function jwtClient(target: StackEndpoints, jwt: string): StreamClient {
  return createStreamClient({
    url: target.config.graphqlUrl,
    region: target.config.region,
    auth: { type: 'OPENID_CONNECT', jwtToken: jwt },
    gapFillDelayMs: 100,
    stallTimeoutMs: 2_000,
    reconnect: { initialDelayMs: 100 },
    cancelGraceMs: 500,
  });
}

describe('ownership (JWT)', () => {
  it('user B cannot subscribe to, read, catch up on or cancel user A’s stream; A can', async () => {
    const aliceJwt = await stack.issueJwt('alice');
    const malloryJwt = await stack.issueJwt('mallory');
    const alice = jwtClient(stack, aliceJwt);
    // 400 tokens at 400 tokens/s: about a second of streaming to attack.
    const prompt = `alice private ${randomUUID()} [[tokens:400]]`;
    const handle = alice.stream({ modelId: modelId(), prompt });
    const streamId = handle.streamId;
    await eventually(() => handle.text.length > 0, 10_000, 'alice’s first text');
    const ownerBefore = (await storedRecordItem(stack, streamId))?.['owner']?.S;
    expect(ownerBefore).toMatch(/^jwt:.*:alice$/);

    const attempts: Array<[string, () => Promise<GraphQLResponse>, string]> = [];
    for (const [who, headers] of [
      ['mallory (JWT)', jwtHeaders(malloryJwt)],
      ['an API-key caller', apiKeyHeaders(stack)],
    ] as const) {
      attempts.push(
        [`${who}: getStream`, () => gql(url(), headers, GET, { streamId }), 'getStream'],
        [`${who}: streamChunks`, () => gql(url(), headers, CHUNKS, { streamId }), 'streamChunks'],
        [`${who}: cancelStream`, () => gql(url(), headers, CANCEL, { streamId }), 'cancelStream'],
      );
    }
    for (const [what, attempt, field] of attempts) {
      const res = await attempt();
      expect(firstError(res), what).toEqual({
        errorType: 'Unauthorized',
        message: `Not Authorized to access ${field} on type ${field === 'cancelStream' ? 'Mutation' : 'Query'}`,
      });
      expect(res.data?.[field] ?? null, what).toBeNull();
    }
    // Taking the id over with a new startStream fails too (ids are single-use).
    const takeover = await gql(url(), jwtHeaders(malloryJwt), START, {
      input: { streamId, modelId: modelId(), prompt: 'mine now' },
    });
    expect(firstError(takeover).errorType).toBe('ConflictError');
    // Following it on the real-time endpoint: mallory's start is refused.
    const conn = await RawRealtime.connect(stack, jwtAuthorization(stack, malloryJwt));
    const sub = await conn.subscribe('steal', streamId, jwtAuthorization(stack, malloryJwt));
    expect(sub.type).toBe('error');
    expect(realtimeErrors(sub)[0]).toMatchObject({
      errorType: 'Unauthorized',
      message: 'Not Authorized to access onStreamChunk on type Subscription',
    });

    const result = await handle.done;
    const record = await eventually(
      async () => {
        const r = await gql(url(), jwtHeaders(aliceJwt), GET, { streamId });
        const s = r.data?.['getStream'] as { status: string } | null;
        return s && s.status === 'COMPLETED' ? r : null;
      },
      10_000,
      'alice’s record to complete',
    );
    // Alice reads her record and chunks, unaffected.
    expect(record.data?.['getStream']).toMatchObject({
      status: 'COMPLETED',
      cancelRequested: false,
      stopReason: 'end_turn',
      attempt: 1,
    });
    const own = await gql(url(), jwtHeaders(aliceJwt), CHUNKS, { streamId });
    const asm = new ChunkAssembler();
    for (const c of (own.data!['streamChunks'] as { items: [] }).items) asm.push(c);
    const expected = answerFor(stack, prompt);
    expect(asm.text).toBe(expected);
    expect(result.status).toBe('done');
    expect(result.text).toBe(expected);
    expect((await storedRecordItem(stack, streamId))?.['owner']?.S).toBe(ownerBefore);
    // Mallory's socket saw nothing of it.
    expect(conn.messages.filter((m) => m.type === 'data')).toHaveLength(0);
    conn.close();
    // And alice may cancel her own stream.
    const second = alice.stream({
      modelId: modelId(),
      prompt: `alice cancels ${randomUUID()} [[tokens:400]]`,
    });
    await eventually(() => second.text.length > 0, 10_000, 'alice’s second stream');
    const cancelled = await gql(url(), jwtHeaders(aliceJwt), CANCEL, { streamId: second.streamId });
    expect(cancelled.errors).toBeUndefined();
    expect((await second.done).status).toBe('cancelled');
    await eventually(
      async () => {
        const r = await gql(url(), jwtHeaders(aliceJwt), GET, { streamId: second.streamId });
        return (r.data?.['getStream'] as { status: string } | null)?.status === 'CANCELLED';
      },
      10_000,
      'alice’s second record to be CANCELLED',
    );
    alice.close();
    reportCase({
      name: 'JWT: user B vs user A’s stream',
      trials: attempts.length + 4,
      faults: attempts.length + 2,
      ...tokenDiff(expected, result.text),
      notes: 'Unauthorized each; A completes, owner unchanged, A cancels',
    });
  });
});

describe('ownership before the stream exists (JWT)', () => {
  it('a subscription made before the stream existed receives nothing unless its caller owns it', async () => {
    const aliceJwt = await stack.issueJwt('alice');
    const malloryJwt = await stack.issueJwt('mallory');
    // Mallory somehow learns an id before alice uses it and subscribes first: allowed,
    // since clients subscribe before startStream, but the owner filter must hold.
    const streamId = randomUUID();
    const early = await RawRealtime.connect(stack, jwtAuthorization(stack, malloryJwt));
    const sub = await early.subscribe('early', streamId, jwtAuthorization(stack, malloryJwt));
    expect(sub.type).toBe('start_ack');
    const alice = jwtClient(stack, aliceJwt);
    const prompt = `alice early ${randomUUID()}`;
    const handle = alice.stream({ modelId: modelId(), prompt }, { streamId });
    const result = await handle.done;
    expect(result.status).toBe('done');
    expect(result.text).toBe(answerFor(stack, prompt));
    await sleep(200);
    const leaked = early.messages.filter((m) => m.type === 'data');
    early.close();
    alice.close();
    expect(leaked).toHaveLength(0);
    reportCase({
      name: 'JWT: subscribed before the stream existed',
      trials: 1,
      faults: 1,
      ...tokenDiff(answerFor(stack, prompt), result.text),
      notes: `${leaked.length} chunks reached the early non-owner`,
    });
  });
});

describe('stream ids', () => {
  it('startStream refuses ids that are not lowercase UUID v4', async () => {
    const v4 = randomUUID();
    const badIds: Array<[string, string]> = [
      ['"1"', '1'],
      ['empty', ''],
      ['nil UUID', '00000000-0000-0000-0000-000000000000'],
      ['max UUID', 'ffffffff-ffff-ffff-ffff-ffffffffffff'],
      ['v1 UUID', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'],
      ['v3 UUID', 'a3bb189e-8bf9-3888-9912-ace4e6543002'],
      ['v7 UUID', '01890a5d-ac96-774b-bcce-b302099a8057'],
      ['uppercase v4', v4.toUpperCase()],
      ['v4 with a wrong variant', `${v4.slice(0, 19)}c${v4.slice(20)}`],
      ['v4 in braces', `{${v4}}`],
      ['urn:uuid: form', `urn:uuid:${v4}`],
      ['no hyphens', v4.replace(/-/g, '')],
      ['trailing newline', `${v4}\n`],
      ['trailing space', `${v4} `],
      ['one char longer', `${v4}0`],
      ['a path', `../${v4}`],
    ];
    let trials = 0;
    for (const [what, id] of badIds) {
      await stack.invoker.idle();
      const before = await tableSnapshot(stack);
      const invocations = stack.invoker.stats().invocations;
      const res = await gql(url(), apiKeyHeaders(stack), START, {
        input: { streamId: id, modelId: modelId(), prompt: 'x' },
      });
      expect(firstError(res), what).toEqual({
        errorType: 'ValidationError',
        message: 'streamId must be a lowercase UUID v4',
      });
      expect(res.data?.['startStream'] ?? null, what).toBeNull();
      expect(stack.invoker.stats().invocations, what).toBe(invocations);
      expect(await tableSnapshot(stack), what).toEqual(before);
      // Reads and subscriptions refuse it the same way.
      const read = await gql(url(), apiKeyHeaders(stack), GET, { streamId: id });
      expect(firstError(read).message, what).toBe('streamId must be a lowercase UUID v4');
      trials += 2;
    }
    const conn = await RawRealtime.connect(stack);
    const sub = await conn.subscribe(
      'nil',
      '00000000-0000-0000-0000-000000000000',
      apiKeyAuthorization(stack),
    );
    expect(realtimeErrors(sub)[0]?.message).toBe('streamId must be a lowercase UUID v4');
    conn.close();
    trials += 1;
    reportCase({
      name: 'stream ids that are not UUID v4',
      trials,
      faults: trials,
      lost: 0,
      duplicated: 0,
      notes: 'ValidationError; 0 invocations, table unchanged',
    });
  });

  it('the client makes UUID v4 ids: 122 random bits, all distinct', async () => {
    const N = 20_000;
    const check = (ids: string[]) => {
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of ids) expect(id).toMatch(UUID_V4);
      // Every one of the 122 random bits is set about half the time.
      const hex = ids.map((id) => id.replace(/-/g, ''));
      const skewed: string[] = [];
      for (let bit = 0; bit < 128; bit++) {
        // Bits 48-51 are the version, 64-65 the variant.
        if ((bit >= 48 && bit < 52) || bit === 64 || bit === 65) continue;
        let ones = 0;
        for (const h of hex) ones += (parseInt(h[bit >> 2]!, 16) >> (3 - (bit & 3))) & 1;
        const share = ones / hex.length;
        if (share < 0.45 || share > 0.55) skewed.push(`bit ${bit}: ${share.toFixed(3)}`);
      }
      expect(skewed).toEqual([]);
    };
    check(Array.from({ length: N }, () => newStreamId()));
    // Where crypto.randomUUID is missing (plain-http pages), getRandomValues makes them.
    const descriptor = Object.getOwnPropertyDescriptor(
      Object.getPrototypeOf(globalThis.crypto),
      'randomUUID',
    );
    Object.defineProperty(globalThis.crypto, 'randomUUID', {
      value: undefined,
      configurable: true,
    });
    let fallback: string[];
    try {
      expect(typeof globalThis.crypto.randomUUID).not.toBe('function');
      fallback = Array.from({ length: N }, () => newStreamId());
    } finally {
      delete (globalThis.crypto as { randomUUID?: unknown }).randomUUID;
    }
    expect(typeof globalThis.crypto.randomUUID).toBe('function');
    expect(descriptor).toBeDefined();
    check(fallback);
    // The handles the client makes carry such ids (aborted before startStream: nothing runs).
    const invocations = stack.invoker.stats().invocations;
    const handles = Array.from({ length: 50 }, () =>
      client.stream({ modelId: modelId(), prompt: 'never sent' }, { signal: AbortSignal.abort() }),
    );
    await Promise.all(handles.map((h) => h.done));
    const ids = handles.map((h) => h.streamId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(UUID_V4);
    expect(stack.invoker.stats().invocations).toBe(invocations);
    // A caller-chosen id must be a UUID v4 too.
    expect(() =>
      client.stream(
        { modelId: modelId(), prompt: 'x' },
        { streamId: '00000000-0000-0000-0000-000000000000' },
      ),
    ).toThrow(/streamId/);
    reportCase({
      name: 'client stream ids',
      trials: 2 * N + 50,
      faults: 0,
      lost: 0,
      duplicated: 0,
      notes: 'v4 version/variant, distinct, each random bit ~50% (randomUUID + fallback)',
    });
  });
});

describe('SigV4 on publishChunk', () => {
  it('wrong secret, stale or future date, modified body, unknown key: rejected, nothing stored', async () => {
    const prompt = `sigv4 target ${randomUUID()}`;
    const handle = client.stream({ modelId: modelId(), prompt });
    await handle.done;
    const record = await finishedRecord(stack, handle.streamId);
    // A chunk the store would take from the worker: the next seq of the current attempt.
    const variables = {
      input: {
        streamId: handle.streamId,
        attempt: record.attempt,
        seq: record.lastSeq + 1,
        payload: textPayload('forged'),
      },
    };
    const { accessKeyId, secretAccessKey } = stack.workerCredentials;
    const minutes = (n: number) => new Date(Date.now() + n * 60_000);
    const cases: Array<[string, IamAbuse, RegExp]> = [
      [
        'wrong secret',
        { credentials: { accessKeyId, secretAccessKey: `${secretAccessKey}x` } },
        /^InvalidSignatureException$/,
      ],
      ['date 20 min old', { signingDate: minutes(-20) }, /^InvalidSignatureException$/],
      ['date 20 min ahead', { signingDate: minutes(20) }, /^InvalidSignatureException$/],
      [
        'body modified after signing',
        { tamper: (b) => b.replace('forged', 'FORGED') },
        /^InvalidSignatureException$/,
      ],
      [
        'body replaced after signing',
        { tamper: () => JSON.stringify({ query: GET, variables: { streamId: handle.streamId } }) },
        /^InvalidSignatureException$/,
      ],
      [
        'unknown access key',
        { credentials: { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey } },
        /^UnrecognizedClientException$/,
      ],
      [
        'empty secret',
        { credentials: { accessKeyId, secretAccessKey: '' } },
        /^InvalidSignatureException$/,
      ],
      ['scope of another region', { region: 'eu-west-1' }, /^InvalidSignatureException$/],
    ];
    for (const [what, abuse, errorType] of cases) {
      await stack.invoker.idle();
      const before = await tableSnapshot(stack);
      const res = await iamGql(stack, PUBLISH, variables, abuse);
      expect(res.status, what).toBe(401);
      expect(firstError(res).errorType, `${what}: ${JSON.stringify(res.errors)}`).toMatch(
        errorType,
      );
      expect(res.data ?? null, what).toBeNull();
      expect(await tableSnapshot(stack), what).toEqual(before);
    }
    // Headers that are not a SigV4 signature at all.
    const body = JSON.stringify({ query: PUBLISH, variables });
    const malformed: Array<[string, Record<string, string>]> = [
      ['garbage Authorization', { authorization: 'AWS4-HMAC-SHA256 garbage' }],
      [
        'signature without a date',
        {
          authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20240101/${stack.config.region}/appsync/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}`,
        },
      ],
      [
        'scope of another service',
        {
          authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20240101/${stack.config.region}/lambda/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}`,
          'x-amz-date': new Date().toISOString().replace(/[-:]|\.\d{3}/g, ''),
        },
      ],
    ];
    for (const [what, headers] of malformed) {
      const before = await tableSnapshot(stack);
      const res = await postRaw(url(), headers, body);
      expect(res.status, what).toBe(401);
      expect(firstError(res).errorType, what).toMatch(
        /^(IncompleteSignatureException|InvalidSignatureException)$/,
      );
      expect(await tableSnapshot(stack), what).toEqual(before);
    }
    const stored = await readStored(stack, handle.streamId);
    expect(stored.text).toBe(answerFor(stack, prompt));
    // Control: the same request signed correctly gets past authentication.
    const genuine = await iamGql(stack, PUBLISH, variables);
    expect(genuine.status).toBe(200);
    expect(firstError(genuine).errorType).not.toMatch(/Signature|Unrecognized|Unauthorized/);
    reportCase({
      name: 'SigV4: forged publishChunk',
      trials: cases.length + malformed.length + 1,
      faults: cases.length + malformed.length,
      ...tokenDiff(answerFor(stack, prompt), stored.text),
      notes: '401 each, table unchanged; genuine signature passes',
    });
  });
});

describe('logs', () => {
  it('prompts, API keys, worker secrets and JWTs never reach stdout/stderr (default and log: true)', async () => {
    const rows: string[] = [];
    let trials = 0;
    for (const log of [false, true]) {
      const host = await startStackProcess({
        stateFile: false,
        log,
        model: { timeToFirstTokenMs: 5, tokensPerSecond: 400, outputTokens: OUTPUT_TOKENS },
        worker: { leaseMs: 600, concurrency: 4, timeoutMs: 20_000, retryDelaysMs: [200, 400] },
      });
      const secret = () => `SECRET-${randomUUID()}`;
      const prompts = {
        ok: `${secret()} what is my password hunter2`,
        failing: `${secret()} [[fault:access-denied]]`,
        retried: `${secret()} [[fault:mid-stream-error:after=3:times=1]]`,
        invalid: `${secret()}\u0000`,
        system: secret(),
        badJson: secret(),
        payload: secret(),
      };
      const wrongKey = `da2-${secret()}`;
      const forged = `${host.jwts.alice.slice(0, -4)}AAAA`;
      const alice = jwtClient(host, host.jwts.alice);
      try {
        const ok = alice.stream({ modelId: host.config.defaultModelId, prompt: prompts.ok });
        const failing = alice.stream({
          modelId: host.config.defaultModelId,
          prompt: prompts.failing,
        });
        const retried = alice.stream({
          modelId: host.config.defaultModelId,
          prompt: prompts.retried,
        });
        const results = await Promise.all([ok.done, failing.done, retried.done]);
        expect(results.map((r) => r.status)).toEqual(['done', 'error', 'done']);
        expect(results[0]!.text).toBe(
          deterministicAnswer(prompts.ok, {
            modelId: host.config.defaultModelId,
            outputTokens: OUTPUT_TOKENS,
          }).text,
        );
        const g = host.config.graphqlUrl;
        const start = (input: Record<string, unknown>, headers = jwtHeaders(host.jwts.alice)) =>
          gql(g, headers, START, {
            input: { streamId: randomUUID(), modelId: host.config.defaultModelId, ...input },
          });
        const bad: Array<Promise<GraphQLResponse>> = [
          start({ prompt: prompts.invalid }),
          start({ prompt: 'x', system: `${prompts.system}${'s'.repeat(60_000)}` }),
          start({ prompt: 'x' }, { 'x-api-key': wrongKey }),
          start({ prompt: 'x' }, jwtHeaders(forged)),
          postRaw(g, { 'x-api-key': host.config.apiKey }, `{"query": "${prompts.badJson}`),
          gql(g, { 'x-api-key': host.config.apiKey }, PUBLISH, {
            input: {
              streamId: ok.streamId,
              attempt: 1,
              seq: 0,
              payload: textPayload(prompts.payload),
            },
          }),
          iamGql(
            host,
            PUBLISH,
            {
              input: {
                streamId: ok.streamId,
                attempt: 1,
                seq: 99,
                payload: textPayload(prompts.payload),
              },
            },
            {
              credentials: {
                accessKeyId: host.workerCredentials.accessKeyId,
                secretAccessKey: 'wrong',
              },
            },
          ),
          gql(g, jwtHeaders(host.jwts.mallory), GET, { streamId: ok.streamId }),
        ];
        for (const res of await Promise.all(bad)) expect(res.errors?.length).toBeGreaterThan(0);
        const refused = await RawRealtime.open(host, apiKeyAuthorization(host, wrongKey));
        refused.send({ type: 'connection_init' });
        await refused.closed;
        trials += 3 + bad.length + 1;
      } finally {
        alice.close();
      }
      const output = await host.stop();
      const forbidden: Array<[string, string]> = [
        ...Object.entries(prompts).map(
          ([k, v]) => [`prompt (${k})`, v.slice(0, 43)] as [string, string],
        ),
        ['API key', host.config.apiKey],
        ['wrong API key', wrongKey],
        ['worker secret access key', host.workerCredentials.secretAccessKey],
        ['alice JWT', host.jwts.alice],
        ['alice JWT signature', host.jwts.alice.split('.')[2]!],
        ['mallory JWT', host.jwts.mallory],
        ['forged JWT', forged],
      ];
      const leaks = forbidden.filter(([, value]) => output.includes(value)).map(([what]) => what);
      rows.push(`log=${log}: ${output.length} bytes, leaks: ${leaks.join(', ') || 'none'}`);
      expect(leaks, `log: ${log}\n${output.slice(0, 4000)}`).toEqual([]);
      if (log) {
        // The capture sees the emulator's request lines and the workers' own logs.
        expect(output).toContain('"kind":"http"');
        expect(output).toContain('claimed stream');
      }
    }
    reportCase({
      name: 'secrets and prompts in logs',
      trials,
      faults: trials,
      lost: 0,
      duplicated: 0,
      notes: rows.join('; '),
    });
  });
});
