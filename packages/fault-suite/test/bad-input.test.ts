/**
 * Hostile and broken input: startStream and publishChunk requests that break the
 * contract, a bad payload pushed to a real client mid-stream, and garbage on the
 * real-time socket. Every refusal must be a clear AppSync-shaped error that starts no
 * worker and changes nothing stored, and the server must keep serving afterwards.
 */
import { randomUUID } from 'node:crypto';
import { LIMITS } from '@org/bedrock-stream-contracts';
import { DEFAULT_MODEL_IDS } from '@org/bedrock-stream-local';
import type { LocalStack } from '@org/bedrock-stream-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PUBLISH,
  RawRealtime,
  START,
  apiKeyAuthorization,
  apiKeyHeaders,
  firstError,
  iamGql,
  jwtHeaders,
  postRaw,
  realtimeErrors,
  tableSnapshot,
  textPayload,
  type RealtimeMessage,
} from '../src/abuse.js';
import { ChunkAssembler, type StreamClient, type StreamUpdate } from '@org/bedrock-stream-client';
import {
  answerFor,
  eventually,
  finishedRecord,
  gql,
  readChunks,
  readRecord,
  readStored,
  reportCase,
  startSuiteStack,
  suiteClient,
  tokenDiff,
  totalDiff,
  type GraphQLResponse,
} from '../src/index.js';

// Two allowed models; the Bedrock endpoint knows more, so a real but disallowed id exists.
const ALLOWED = DEFAULT_MODEL_IDS.slice(0, 2);
const DISALLOWED = DEFAULT_MODEL_IDS.find((id) => !ALLOWED.includes(id))!;

let stack: LocalStack;
let client: StreamClient;
beforeAll(async () => {
  stack = await startSuiteStack({
    allowedModelIds: [...ALLOWED],
    bedrockModelIds: [...DEFAULT_MODEL_IDS],
  });
  client = suiteClient(stack);
});
afterAll(async () => {
  client?.close();
  await stack?.stop();
});

const url = () => stack.config.graphqlUrl;
const modelId = () => stack.config.defaultModelId;

/** Runs a stream to the end with the real client; returns its id, prompt and texts. */
async function completedStream(prompt: string) {
  const handle = client.stream({ modelId: modelId(), prompt });
  const result = await handle.done;
  const record = await finishedRecord(stack, handle.streamId);
  return { streamId: handle.streamId, prompt, result, record };
}

/**
 * Sends `attempt` (a request that must be refused) and checks the refusal: the expected
 * error type and message, no worker invocation, the whole table unchanged.
 */
async function refused(
  what: string,
  attempt: () => Promise<GraphQLResponse>,
  errorType: string | RegExp,
  message: RegExp,
): Promise<GraphQLResponse> {
  await stack.invoker.idle();
  const before = await tableSnapshot(stack);
  const invocations = stack.invoker.stats().invocations;
  const res = await attempt();
  const error = firstError(res);
  expect(error.errorType, `${what}: ${JSON.stringify(res.errors)}`).toMatch(
    typeof errorType === 'string' ? new RegExp(`^${errorType}$`) : errorType,
  );
  expect(error.message, what).toMatch(message);
  const data = res.data as Record<string, unknown> | null | undefined;
  expect(data?.['startStream'] ?? data?.['publishChunk'] ?? null, what).toBeNull();
  expect(stack.invoker.stats().invocations, `${what}: worker invoked`).toBe(invocations);
  await stack.invoker.idle();
  expect(await tableSnapshot(stack), `${what}: the table changed`).toEqual(before);
  return res;
}

const startWith = (input: Record<string, unknown>) => () =>
  gql(url(), apiKeyHeaders(stack), START, {
    input: { streamId: randomUUID(), modelId: modelId(), ...input },
  });

describe('startStream refuses bad input', () => {
  it('bounds, models, numbers: ValidationError naming the field, nothing started or stored', async () => {
    const over = LIMITS.inputChars + 1;
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['empty messages', { messages: [] }, /messages is empty/],
      ['neither prompt nor messages', {}, /exactly one of messages or prompt/],
      [
        'prompt and messages',
        { prompt: 'x', messages: [{ role: 'USER', text: 'y' }] },
        /exactly one of messages or prompt/,
      ],
      ['empty prompt', { prompt: '' }, /prompt is empty/],
      [
        'oversize prompt',
        { prompt: 'x'.repeat(over) },
        new RegExp(`prompt exceeds ${LIMITS.inputChars}`),
      ],
      [
        'oversize conversation',
        {
          messages: [
            { role: 'USER', text: 'x'.repeat(LIMITS.inputChars / 2 + 1) },
            { role: 'ASSISTANT', text: 'y'.repeat(LIMITS.inputChars / 2 + 1) },
            { role: 'USER', text: 'z' },
          ],
        },
        /over the 200000 bound/,
      ],
      [
        'too many messages',
        {
          messages: Array.from({ length: LIMITS.messages + 1 }, () => ({
            role: 'USER',
            text: 'hi',
          })),
        },
        new RegExp(`more than ${LIMITS.messages} messages`),
      ],
      [
        'conversation ending with the assistant',
        {
          messages: [
            { role: 'USER', text: 'a' },
            { role: 'ASSISTANT', text: 'b' },
          ],
        },
        /last message must be a USER message/,
      ],
      [
        'oversize system prompt',
        { prompt: 'x', system: 's'.repeat(LIMITS.systemChars + 1) },
        /system exceeds/,
      ],
      ['unknown model id', { prompt: 'x', modelId: 'acme.no-such-model-v9:0' }, /not allowed/],
      [
        'malformed model id',
        { prompt: 'x', modelId: '../../etc/passwd' },
        /not a Bedrock model id/,
      ],
      ['empty model id', { prompt: 'x', modelId: '' }, /not a Bedrock model id/],
      [
        'disallowed model id (known to Bedrock)',
        { prompt: 'x', modelId: DISALLOWED },
        new RegExp(`'${DISALLOWED.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' is not allowed`),
      ],
      ['negative maxTokens', { prompt: 'x', inferenceConfig: { maxTokens: -1 } }, /maxTokens/],
      ['zero maxTokens', { prompt: 'x', inferenceConfig: { maxTokens: 0 } }, /maxTokens/],
      [
        'maxTokens one over the bound',
        { prompt: 'x', inferenceConfig: { maxTokens: LIMITS.maxTokens + 1 } },
        /maxTokens must be an integer from 1 to/,
      ],
      [
        'huge maxTokens',
        { prompt: 'x', inferenceConfig: { maxTokens: 10_000_000 } },
        /maxTokens must be an integer from 1 to/,
      ],
      [
        'temperature out of range',
        { prompt: 'x', inferenceConfig: { temperature: 7 } },
        /temperature/,
      ],
      [
        'too many stop sequences',
        { prompt: 'x', inferenceConfig: { stopSequences: ['a', 'b', 'c', 'd', 'e'] } },
        /stop sequences/,
      ],
    ];
    for (const [what, input, message] of cases) {
      await refused(what, startWith(input), 'ValidationError', message);
    }
    // Past GraphQL's Int: refused when the variables are coerced, before any resolver.
    await refused(
      'maxTokens past 32-bit Int',
      startWith({ prompt: 'x', inferenceConfig: { maxTokens: 2 ** 31 } }),
      'ValidationError',
      /Int cannot represent non 32-bit signed integer/,
    );
    reportCase({
      name: 'startStream: bounds and models',
      trials: cases.length + 1,
      faults: cases.length + 1,
      lost: 0,
      duplicated: 0,
      notes: 'ValidationError each; 0 invocations, table unchanged',
    });
  });

  it('wrong types and unknown fields: refused by the schema, nothing started or stored', async () => {
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['prompt is a number', { prompt: 42 }, /String cannot represent a non string value: 42/],
      ['prompt is an object', { prompt: { text: 'x' } }, /String cannot represent/],
      ['messages is a string', { messages: 'hello' }, /MessageInput.*to be an object/],
      [
        'message text is a number',
        { messages: [{ role: 'USER', text: 5 }] },
        /String cannot represent a non string value: 5/,
      ],
      [
        'unknown message role',
        { messages: [{ role: 'SYSTEM', text: 'x' }] },
        /Value "SYSTEM" does not exist in "MessageRole" enum/,
      ],
      [
        'maxTokens is a string',
        { prompt: 'x', inferenceConfig: { maxTokens: '100' } },
        /Int cannot represent/,
      ],
      [
        'maxTokens is fractional',
        { prompt: 'x', inferenceConfig: { maxTokens: 1.5 } },
        /Int cannot represent non-integer/,
      ],
      [
        'inferenceConfig is an array',
        { prompt: 'x', inferenceConfig: [1] },
        /InferenceConfigInput/,
      ],
      ['unknown api', { prompt: 'x', api: 'CURL' }, /"CURL" does not exist in "BedrockApi"/],
      [
        'extra field in the input',
        { prompt: 'x', evil: true },
        /Field "evil" is not defined by type "StartStreamInput"/,
      ],
      [
        'extra field in a message',
        { messages: [{ role: 'USER', text: 'x', name: 'root' }] },
        /Field "name" is not defined by type "MessageInput"/,
      ],
      [
        'extra field in inferenceConfig',
        { prompt: 'x', inferenceConfig: { seed: 1 } },
        /Field "seed" is not defined/,
      ],
      ['streamId is null', { streamId: null, prompt: 'x' }, /streamId.*non-null|must not be null/],
    ];
    for (const [what, input, message] of cases) {
      await refused(what, startWith(input), 'ValidationError', message);
    }
    // The same unknown field written into the query text instead of the variables.
    const literal = `mutation { startStream(input: { streamId: "${randomUUID()}", modelId: "${modelId()}", prompt: "x", evil: true }) { streamId } }`;
    await refused(
      'extra field in a literal argument',
      () => gql(url(), apiKeyHeaders(stack), literal),
      'ValidationError',
      /Field "evil" is not defined by type "StartStreamInput"/,
    );
    reportCase({
      name: 'startStream: wrong types, unknown fields',
      trials: cases.length + 1,
      faults: cases.length + 1,
      lost: 0,
      duplicated: 0,
      notes: 'ValidationError each (variable coercion); 0 invocations',
    });
  });

  it('control characters, lone surrogates and invalid UTF-8 bytes: refused, nothing stored', async () => {
    const texts: Array<[string, string]> = [
      ['NUL', 'a\u0000b'],
      ['ESC sequence', 'clear \u001b[2J screen'],
      ['DEL', 'a\u007fb'],
      ['backspace', 'a\u0008b'],
      ['lone high surrogate', 'a\uD800b'],
      ['lone low surrogate', '\uDC00b'],
      ['reversed surrogate pair', '\uDE00\uD83D'],
    ];
    let trials = 0;
    for (const [what, text] of texts) {
      const problem = /surrogate/.test(what) ? /invalid Unicode/ : /control characters/;
      await refused(`prompt with ${what}`, startWith({ prompt: text }), 'ValidationError', problem);
      await refused(
        `message with ${what}`,
        startWith({ messages: [{ role: 'USER', text }] }),
        'ValidationError',
        problem,
      );
      await refused(
        `system with ${what}`,
        startWith({ prompt: 'x', system: text }),
        'ValidationError',
        problem,
      );
      trials += 3;
    }
    // Raw bytes that are not UTF-8, inside the JSON string of the prompt.
    const invalidUtf8: Array<[string, number[]]> = [
      ['0xFF 0xFE', [0xff, 0xfe]],
      ['a lone continuation byte', [0x80]],
      ['a truncated 3-byte sequence', [0xe2, 0x82]],
      ['an overlong "/"', [0xc0, 0xaf]],
      ['a CESU-8 surrogate', [0xed, 0xa0, 0x80]],
      ['a code point past U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ];
    for (const [what, bytes] of invalidUtf8) {
      const [head, tail] = JSON.stringify({
        query: START,
        variables: { input: { streamId: randomUUID(), modelId: modelId(), prompt: 'a@@b' } },
      }).split('@@') as [string, string];
      const raw = Buffer.concat([Buffer.from(head), Buffer.from(bytes), Buffer.from(tail)]);
      await refused(
        `body with ${what}`,
        () => postRaw(url(), apiKeyHeaders(stack), raw),
        'MalformedHttpRequestException',
        /^The request body is not valid UTF-8\.$/,
      );
      trials += 1;
    }
    reportCase({
      name: 'startStream: controls, surrogates, bad UTF-8',
      trials,
      faults: trials,
      lost: 0,
      duplicated: 0,
      notes: 'prompt/message/system; raw bytes in the HTTP body',
    });
  });

  it('a 10 MB body: 413 with an AppSync-shaped error, and the server keeps working', async () => {
    const garbage = 'x'.repeat(10 * 1024 * 1024);
    const hugeJson = JSON.stringify({
      query: START,
      variables: { input: { streamId: randomUUID(), modelId: modelId(), prompt: garbage } },
    });
    for (const [what, body] of [
      ['10 MB of garbage', garbage],
      ['10 MB startStream', hugeJson],
    ] as const) {
      const res = await refused(
        what,
        () => postRaw(url(), apiKeyHeaders(stack), body),
        'PayloadTooLargeException',
        /Request body exceeds \d+ bytes/,
      );
      expect(res.status).toBe(413);
    }
    // Still serving: a normal stream runs to the end.
    const prompt = `after the 10 MB bodies ${randomUUID()}`;
    const { result, streamId } = await completedStream(prompt);
    const expected = answerFor(stack, prompt);
    expect(result.text).toBe(expected);
    expect((await readStored(stack, streamId)).text).toBe(expected);
    reportCase({
      name: 'startStream: 10 MB bodies',
      trials: 3,
      faults: 2,
      ...tokenDiff(expected, result.text),
      notes: '413 PayloadTooLargeException; next stream completes',
    });
  });
});

describe('publishChunk refuses bad calls', () => {
  it('non-IAM callers, zod-failing payloads, seq skips, stale attempts: stored chunks unchanged', async () => {
    const done = await completedStream(`publish target ${randomUUID()}`);
    const target = done.streamId;
    const record = await readRecord(stack, target);
    expect(record).toMatchObject({ status: 'COMPLETED', attempt: 1 });
    const next = record!.lastSeq + 1;
    // A stream whose worker failed mid-stream once, so its current attempt is 2.
    const retried = await completedStream(
      `retried ${randomUUID()} [[fault:mid-stream-error:after=5:times=1]]`,
    );
    expect(retried.record).toMatchObject({ status: 'COMPLETED', attempt: 2 });
    const chunksBefore = {
      [target]: await readChunks(stack, target),
      [retried.streamId]: await readChunks(stack, retried.streamId),
    };
    const alice = await stack.issueJwt('alice');
    const publish = (input: Record<string, unknown>) => ({
      input: { streamId: target, attempt: 1, seq: next, payload: textPayload('x'), ...input },
    });
    let trials = 0;
    const check = async (
      what: string,
      attempt: () => Promise<GraphQLResponse>,
      errorType: string,
      message: RegExp,
    ) => {
      trials += 1;
      await refused(what, attempt, errorType, message);
    };

    // Only the worker's IAM role may publish.
    for (const [what, headers] of [
      ['API key', apiKeyHeaders(stack)],
      ['user JWT', jwtHeaders(alice)],
    ] as const) {
      await check(
        `publishChunk with ${what}`,
        () => gql(url(), headers, PUBLISH, publish({})),
        'Unauthorized',
        /^Not Authorized to access publishChunk on type Mutation$/,
      );
    }

    // IAM-signed, but the payload breaks the ChunkPayload schema.
    const bigText = 'y'.repeat(LIMITS.chunkTextBytes + 1);
    const badPayloads: Array<[string, string, RegExp]> = [
      ['version 2', '{"v":2,"events":[{"type":"text","text":"x"}]}', /v must be 1/],
      ['no events', '{"v":1,"events":[]}', /events must not be empty/],
      ['events not an array', '{"v":1,"events":{"type":"text"}}', /events must be an array/],
      [
        'text event without text',
        '{"v":1,"events":[{"type":"text"}]}',
        /events\[0\]\.text is required/,
      ],
      [
        'empty text',
        '{"v":1,"events":[{"type":"text","text":""}]}',
        /events\[0\]\.text must not be empty/,
      ],
      [
        'text is a number',
        '{"v":1,"events":[{"type":"text","text":7}]}',
        /events\[0\]\.text must be a string/,
      ],
      [
        'unknown event type',
        '{"v":1,"events":[{"type":"shout","text":"x"}]}',
        /not a known event type/,
      ],
      [
        'extra field in an event',
        '{"v":1,"events":[{"type":"text","text":"x","html":"<b>"}]}',
        /events\[0\]\.html is not a known field/,
      ],
      [
        'extra field at the top',
        '{"v":1,"events":[{"type":"text","text":"x"}],"admin":true}',
        /admin is not a known field/,
      ],
      [
        'terminal event not last',
        '{"v":1,"events":[{"type":"end","stopReason":"end_turn","usage":null,"timings":{"timeToFirstTokenMs":1,"totalMs":2,"modelLatencyMs":null}},{"type":"text","text":"x"}]}',
        /terminal 'end' event but not the last/,
      ],
      [
        'stop reason that is not a snake_case identifier',
        '{"v":1,"events":[{"type":"end","stopReason":"Bored!","usage":null,"timings":{"timeToFirstTokenMs":null,"totalMs":1,"modelLatencyMs":null}}]}',
        /stopReason must be a snake_case identifier/,
      ],
      [
        'negative usage',
        '{"v":1,"events":[{"type":"usage","usage":{"inputTokens":-1,"outputTokens":0,"totalTokens":0}}]}',
        /inputTokens must be >= 0/,
      ],
      [
        'bad startedAt',
        '{"v":1,"events":[{"type":"start","modelId":"m","attempt":1,"startedAt":"yesterday"}]}',
        /startedAt must be an ISO 8601/,
      ],
      ['a JSON string', '"hello"', /payload must be a JSON object, got string/],
      ['a JSON array', '[{"type":"text","text":"x"}]', /payload must be a JSON object, got array/],
      ['JSON null', 'null', /payload must be a JSON object|payload/],
      [
        'text over the chunk bound',
        textPayload(bigText),
        new RegExp(`exceeds ${LIMITS.chunkTextBytes} UTF-8 bytes`),
      ],
    ];
    for (const [what, payload, message] of badPayloads) {
      await check(
        `payload: ${what}`,
        () => iamGql(stack, PUBLISH, publish({ payload })),
        'ValidationError',
        message,
      );
    }
    // Not JSON at all: refused when AWSJSON is coerced.
    await check(
      'payload: not JSON',
      () => iamGql(stack, PUBLISH, publish({ payload: '{"v":1,' })),
      'ValidationError',
      /not valid JSON/,
    );
    // Positions: the future, negatives, an old attempt, a stream that does not exist.
    await check(
      'seq from the future',
      () => iamGql(stack, PUBLISH, publish({ seq: next + 5 })),
      'SeqOutOfOrder',
      new RegExp(`seq ${next + 5} skips ahead of the last stored seq ${next - 1}`),
    );
    await check(
      'the next seq after the terminal chunk',
      () => iamGql(stack, PUBLISH, publish({ seq: next })),
      'StreamNotRunning',
      /stream is COMPLETED; chunks are accepted only while it runs/,
    );
    await check(
      'seq 2^31-1',
      () => iamGql(stack, PUBLISH, publish({ seq: 2 ** 31 - 1 })),
      'SeqOutOfOrder',
      /skips ahead/,
    );
    await check(
      'negative seq',
      () => iamGql(stack, PUBLISH, publish({ seq: -1 })),
      'ValidationError',
      /seq must be >= 0/,
    );
    await check(
      'attempt 0',
      () => iamGql(stack, PUBLISH, publish({ attempt: 0 })),
      'ValidationError',
      /attempt must be >= 1/,
    );
    const retriedLast = (await readRecord(stack, retried.streamId))!.lastSeq;
    for (const seq of [0, retriedLast + 1]) {
      await check(
        `old attempt 1 of a stream at attempt 2, seq ${seq}`,
        () => iamGql(stack, PUBLISH, publish({ streamId: retried.streamId, attempt: 1, seq })),
        'StaleAttempt',
        /attempt 1 is not the current attempt 2/,
      );
    }
    await check(
      'an attempt from the future',
      () => iamGql(stack, PUBLISH, publish({ attempt: 9 })),
      'StaleAttempt',
      /attempt 9 is not the current attempt 1/,
    );
    await check(
      'unknown stream',
      () => iamGql(stack, PUBLISH, publish({ streamId: randomUUID(), seq: 0 })),
      'NotFound',
      /stream not found/,
    );
    await check(
      'streamId not a UUID v4',
      () => iamGql(stack, PUBLISH, publish({ streamId: 'stream-1' })),
      'ValidationError',
      /streamId must be a lowercase UUID v4/,
    );

    for (const id of [target, retried.streamId]) {
      expect(await readChunks(stack, id)).toEqual(chunksBefore[id]);
    }
    const diff = totalDiff([
      { expected: answerFor(stack, done.prompt), actual: (await readStored(stack, target)).text },
      {
        expected: answerFor(stack, retried.prompt),
        actual: (await readStored(stack, retried.streamId)).text,
      },
    ]);
    reportCase({
      name: 'publishChunk: bad callers and chunks',
      trials,
      faults: trials,
      ...diff,
      notes: 'stored chunks of both streams unchanged',
    });
    expect(diff).toEqual({ lost: 0, duplicated: 0 });
  });

  it('a bad payload pushed to a streaming client: non-fatal typed error, complete text', async () => {
    const TRIALS = 4;
    const results = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const prompt = `injected trial ${trial} ${randomUUID()} [[tokens:160]]`;
      const handle = client.stream({ modelId: modelId(), prompt });
      const updates: StreamUpdate[] = [];
      let maxSeq = -1;
      handle.subscribe((u) => {
        updates.push(u);
        if (u.type === 'text') maxSeq = Math.max(maxSeq, u.seq);
      });
      await eventually(
        () => handle.text.length > 0 || !['submitted', 'streaming'].includes(handle.status),
        10_000,
        `the first text (trial ${trial}, status ${handle.status})`,
      );
      // Bad JSON for the next seq, valid JSON that fails the schema for the one after.
      const bad =
        trial % 2 === 0
          ? ['{"v":1,"events":[{"type":"text","text":"EVIL', textPayload('')]
          : ['{"v":2,"events":[{"type":"text","text":"EVIL"}]}', '"EVIL"'];
      const createdAt = new Date().toISOString();
      bad.forEach((payload, i) =>
        stack.emulator.injectMutationResult('publishChunk', {
          streamId: handle.streamId,
          attempt: 1,
          seq: maxSeq + 1 + i,
          payload,
          createdAt,
          // The subscription filter matches the owner key; API-key callers share 'apikey'.
          owner: 'apikey',
        }),
      );
      const result = await handle.done;
      const stored = await readStored(stack, handle.streamId);
      const errors = updates.filter(
        (u): u is Extract<StreamUpdate, { type: 'error' }> => u.type === 'error',
      );
      results.push({ result, stored, errors, expected: answerFor(stack, prompt) });
    }
    const diff = totalDiff(results.map((r) => ({ expected: r.expected, actual: r.result.text })));
    const invalid = results.reduce((n, r) => n + r.result.metrics.invalidPayloads, 0);
    reportCase({
      name: 'bad payload injected to a client',
      trials: TRIALS,
      faults: TRIALS * 2,
      ...diff,
      notes: `invalidPayloads counted ${invalid}/${TRIALS * 2}`,
    });
    for (const r of results) {
      expect(r.result.status).toBe('done');
      expect(r.errors.length).toBeGreaterThan(0);
      for (const e of r.errors) {
        expect(e.fatal).toBe(false);
        expect(e.error.code).toBe('INVALID_PAYLOAD');
      }
      expect(r.result.metrics.invalidPayloads).toBeGreaterThan(0);
      expect(r.result.text).not.toContain('EVIL');
      expect(r.stored.text).toBe(r.expected);
      expect(r.result.text).toBe(r.expected);
    }
    expect(diff).toEqual({ lost: 0, duplicated: 0 });
  });
});

describe('the real-time socket refuses garbage', () => {
  const errorOf = (m: RealtimeMessage) => realtimeErrors(m)[0] ?? {};

  it('non-JSON, binary, unknown types and malformed starts: errors, the connection keeps serving', async () => {
    const conn = await RawRealtime.connect(stack);
    const frames: Array<[string, string | Uint8Array, RegExp]> = [
      ['non-JSON text', 'hello there', /must be JSON objects/],
      ['truncated JSON', '{"type":"start"', /must be JSON objects/],
      ['JSON null', 'null', /must be JSON objects/],
      ['JSON number', '42', /must be JSON objects/],
      ['binary frame', Uint8Array.from([0xde, 0xad, 0xbe, 0xef]), /must be JSON objects/],
      ['unknown type', JSON.stringify({ type: 'subscribe', id: 'x' }), /subscribe not supported/],
      ['missing type', JSON.stringify({ id: 'y' }), /not supported/],
      ['type of the wrong kind', JSON.stringify({ type: 7 }), /not supported/],
      ['start without id', JSON.stringify({ type: 'start', payload: {} }), /start needs an id/],
      [
        'start with data not a string',
        JSON.stringify({ type: 'start', id: 'd', payload: { data: { query: 1 } } }),
        /payload\.data must be a JSON string/,
      ],
      [
        'start with a query that is not GraphQL',
        JSON.stringify({
          type: 'start',
          id: 'q',
          payload: {
            data: JSON.stringify({ query: 'subscribe me {' }),
            extensions: { authorization: apiKeyAuthorization(stack) },
          },
        }),
        /Syntax Error/,
      ],
      [
        'start with a mutation',
        JSON.stringify({
          type: 'start',
          id: 'm',
          payload: {
            data: JSON.stringify({
              query: 'mutation { cancelStream(streamId: "x") { streamId } }',
            }),
            extensions: { authorization: apiKeyAuthorization(stack) },
          },
        }),
        /Only subscriptions/,
      ],
    ];
    for (const [what, frame, message] of frames) {
      const seen = conn.messages.length;
      conn.send(frame);
      const answer = await conn.waitFor(
        (m) => conn.messages.indexOf(m) >= seen && m.type === 'error',
        5_000,
        `the error for ${what}`,
      );
      expect(errorOf(answer).message, what).toMatch(message);
      expect(errorOf(answer).errorType, what).toMatch(/^[A-Za-z]+$/);
      expect(conn.isOpen, what).toBe(true);
    }
    // The same connection still subscribes and delivers a real stream.
    const streamId = randomUUID();
    expect((await conn.subscribe('after-garbage', streamId, apiKeyAuthorization(stack))).type).toBe(
      'start_ack',
    );
    const prompt = `after garbage ${randomUUID()}`;
    const started = await gql(url(), apiKeyHeaders(stack), START, {
      input: { streamId, modelId: modelId(), prompt },
    });
    expect(started.errors).toBeUndefined();
    await finishedRecord(stack, streamId);
    const received = await eventually(
      () => {
        const asm = new ChunkAssembler();
        for (const c of conn.chunks('after-garbage')) asm.push(c);
        return asm.terminal ? asm.text : null;
      },
      10_000,
      'the stream over the abused connection',
    );
    const expected = answerFor(stack, prompt);
    conn.close();
    reportCase({
      name: 'ws: garbage frames, unknown types',
      trials: frames.length + 1,
      faults: frames.length,
      ...tokenDiff(expected, received),
      notes: 'an error each, same connection then streams',
    });
    expect(received).toBe(expected);
  });

  it('no auth, a wrong API key, invalid UTF-8: connection_error, error or close', async () => {
    let trials = 0;
    // No header at all, and a header with a wrong API key: connection_error, then close.
    for (const [what, header] of [
      ['no header', null],
      ['wrong API key', apiKeyAuthorization(stack, 'da2-notthekey')],
      ['empty header', {}],
    ] as const) {
      const conn = await RawRealtime.open(stack, header);
      conn.send({ type: 'connection_init' });
      const answer = await conn.waitFor((m) => m.type === 'connection_error', 5_000, what);
      expect(errorOf(answer).errorType, what).toBe('UnauthorizedException');
      expect((await conn.closed).code, what).toBe(1000);
      expect(
        conn.messages.some((m) => m.type === 'connection_ack'),
        what,
      ).toBe(false);
      trials += 1;
    }
    // Connected, but `start` without authorization, with a wrong key, or with a bad JWT.
    const conn = await RawRealtime.connect(stack);
    const bad: Array<[string, Record<string, string> | undefined, RegExp]> = [
      ['no authorization extension', undefined, /no extensions\.authorization/],
      ['a wrong API key', apiKeyAuthorization(stack, 'da2-notthekey'), /not authorized/],
      [
        'a forged JWT',
        { host: new URL(url()).host, Authorization: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.' },
        /Token is not valid/,
      ],
    ];
    for (const [what, authorization] of bad) {
      const answer = await conn.subscribe(`bad-${trials}`, randomUUID(), authorization);
      expect(answer.type, what).toBe('error');
      expect(errorOf(answer).errorType, what).toBe('UnauthorizedException');
      expect(errorOf(answer).message, what).toMatch(bad.find(([w]) => w === what)![2]);
      trials += 1;
    }
    expect(conn.isOpen).toBe(true);
    // A text frame that is not UTF-8: the socket is closed (1007, invalid frame payload).
    const broken = await RawRealtime.connect(stack);
    broken.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    const closed = await broken.closed;
    expect(closed.code).toBe(1007);
    trials += 1;
    // The first connection is unaffected.
    expect(
      (await conn.subscribe('still-fine', randomUUID(), apiKeyAuthorization(stack))).type,
    ).toBe('start_ack');
    conn.close();
    reportCase({
      name: 'ws: no auth, wrong key, bad UTF-8',
      trials: trials + 1,
      faults: trials,
      lost: 0,
      duplicated: 0,
      notes: 'connection_error/close, start error, 1007',
    });
  });

  it('the 101st subscription on one connection is refused; the 100 keep delivering', async () => {
    const conn = await RawRealtime.connect(stack);
    const streamId = randomUUID();
    const acks: RealtimeMessage[] = [];
    acks.push(await conn.subscribe('sub-0', streamId, apiKeyAuthorization(stack)));
    for (let i = 1; i < 100; i++) {
      acks.push(await conn.subscribe(`sub-${i}`, randomUUID(), apiKeyAuthorization(stack)));
    }
    expect(acks.filter((m) => m.type === 'start_ack')).toHaveLength(100);
    const extra = await conn.subscribe('sub-100', randomUUID(), apiKeyAuthorization(stack));
    expect(extra.type).toBe('error');
    expect(errorOf(extra)).toMatchObject({
      errorType: 'MaxSubscriptionsReachedError',
      message: 'Max number of 100 subscriptions reached',
    });
    expect(conn.isOpen).toBe(true);
    // Subscription 0 still receives its stream.
    const prompt = `101st ${randomUUID()}`;
    await gql(url(), apiKeyHeaders(stack), START, {
      input: { streamId, modelId: modelId(), prompt },
    });
    const received = await eventually(
      () => {
        const asm = new ChunkAssembler();
        for (const c of conn.chunks('sub-0')) asm.push(c);
        return asm.terminal ? asm.text : null;
      },
      10_000,
      'the stream on subscription 0',
    );
    // Stopping one frees a slot.
    conn.send({ type: 'stop', id: 'sub-1' });
    await conn.waitFor((m) => m.type === 'complete' && m.id === 'sub-1');
    expect((await conn.subscribe('sub-101', randomUUID(), apiKeyAuthorization(stack))).type).toBe(
      'start_ack',
    );
    conn.close();
    const expected = answerFor(stack, prompt);
    reportCase({
      name: 'ws: 101st subscription',
      trials: 102,
      faults: 1,
      ...tokenDiff(expected, received),
      notes: 'MaxSubscriptionsReachedError; 100 kept; stop frees a slot',
    });
    expect(received).toBe(expected);
  });

  it('an oversized frame closes that socket; other clients keep streaming', async () => {
    const other = await RawRealtime.connect(stack);
    const otherId = randomUUID();
    expect((await other.subscribe('other', otherId, apiKeyAuthorization(stack))).type).toBe(
      'start_ack',
    );
    const big = await RawRealtime.connect(stack);
    // The emulator's WebSocket server takes frames up to 1 MiB.
    big.send(
      JSON.stringify({
        type: 'start',
        id: 'big',
        payload: { data: 'x'.repeat(1024 * 1024 + 1), extensions: {} },
      }),
    );
    const closed = await big.closed;
    expect(closed.code).toBe(1009);
    expect(other.isOpen).toBe(true);
    // The other socket and a new client both still stream.
    const prompt = `after the oversized frame ${randomUUID()}`;
    await gql(url(), apiKeyHeaders(stack), START, {
      input: { streamId: otherId, modelId: modelId(), prompt },
    });
    const received = await eventually(
      () => {
        const asm = new ChunkAssembler();
        for (const c of other.chunks('other')) asm.push(c);
        return asm.terminal ? asm.text : null;
      },
      10_000,
      'the other connection’s stream',
    );
    other.close();
    const fresh = await completedStream(`fresh client ${randomUUID()}`);
    const pairs = [
      { expected: answerFor(stack, prompt), actual: received },
      { expected: answerFor(stack, fresh.prompt), actual: fresh.result.text },
    ];
    const diff = totalDiff(pairs);
    reportCase({
      name: 'ws: oversized frame',
      trials: 3,
      faults: 1,
      ...diff,
      notes: 'closed 1009 (message too big); others stream',
    });
    expect(diff).toEqual({ lost: 0, duplicated: 0 });
  });
});
