import {
  AccessDeniedException,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ModelErrorException,
  ModelNotReadyException,
  ModelStreamErrorException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException,
  type BedrockRuntimeClient,
} from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  deterministicAnswer,
  parseFaultMarkers,
  startBedrockServer,
  type BedrockServer,
} from '../src/index.js';
import {
  anthropicBody,
  collectConverse,
  collectInvoke,
  rejection,
  sdkClient,
  waitFor,
} from './bedrock-helpers.js';

const MODEL = 'anthropic.claude-3-5-sonnet-20240620-v1:0';

function converseStream(prompt: string): ConverseStreamCommand {
  return new ConverseStreamCommand({
    modelId: MODEL,
    messages: [{ role: 'user', content: [{ text: prompt }] }],
  });
}

describe('bedrock endpoint: faults surface as the real SDK exception classes', () => {
  let server: BedrockServer;
  let client: BedrockRuntimeClient;
  beforeAll(async () => {
    server = await startBedrockServer({
      port: 0,
      outputTokens: 12,
      deniedModelIds: ['amazon.nova-lite-v1:0'],
    });
    client = sdkClient(server.url);
  });
  beforeEach(() => {
    server.setFaults({});
    server.resetPromptFaultCounters();
  });
  afterAll(async () => {
    client.destroy();
    await server.close();
  });

  it('parses the documented marker syntax', () => {
    const { faults, ignored } = parseFaultMarkers(
      'a [[fault:mid-stream-error:after=5]] b [[fault:throttle:times=2]] [[fault:stall:after=1:ms=20]] [[fault:nope]]',
    );
    expect(faults.map((f) => [f.kind, f.after, f.times, f.ms])).toEqual([
      ['mid-stream-error', 5, undefined, undefined],
      ['throttle', 0, 2, undefined],
      ['stall', 1, undefined, 20],
    ]);
    expect(ignored).toEqual(['[[fault:nope]]']);
  });

  it('[[fault:throttle]] -> ThrottlingException (429, client fault) on every operation', async () => {
    const prompt = 'hello [[fault:throttle]]';
    const errs = [
      await rejection(client.send(converseStream(prompt))),
      await rejection(
        client.send(
          new ConverseCommand({
            modelId: MODEL,
            messages: [{ role: 'user', content: [{ text: prompt }] }],
          }),
        ),
      ),
      await rejection(
        client.send(new InvokeModelCommand({ modelId: MODEL, body: anthropicBody(prompt) })),
      ),
      await rejection(
        client.send(
          new InvokeModelWithResponseStreamCommand({ modelId: MODEL, body: anthropicBody(prompt) }),
        ),
      ),
    ];
    for (const err of errs) {
      expect(err).toBeInstanceOf(ThrottlingException);
      expect(err.name).toBe('ThrottlingException');
      expect(err.$fault).toBe('client');
      expect((err.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(429);
    }
  });

  it('unavailable / access-denied / error:type= markers map to their classes', async () => {
    const unavailable = await rejection(client.send(converseStream('x [[fault:unavailable]]')));
    expect(unavailable).toBeInstanceOf(ServiceUnavailableException);
    expect(unavailable.$fault).toBe('server');
    const denied = await rejection(client.send(converseStream('x [[fault:access-denied]]')));
    expect(denied).toBeInstanceOf(AccessDeniedException);
    expect(denied.$fault).toBe('client');
    const notReady = await rejection(
      client.send(converseStream('x [[fault:error:type=ModelNotReadyException]]')),
    );
    expect(notReady).toBeInstanceOf(ModelNotReadyException);
    expect(notReady.$retryable).toBeDefined();
    const invalid = await rejection(
      client.send(converseStream('x [[fault:error:type=ValidationException]]')),
    );
    expect(invalid).toBeInstanceOf(ValidationException);
  });

  it('mid-stream-error:after=5 delivers 5 tokens then ModelStreamErrorException (ConverseStream)', async () => {
    const prompt = 'break me [[fault:mid-stream-error:after=5]]';
    const expected = deterministicAnswer(prompt, { outputTokens: 12 });
    const out = await client.send(converseStream(prompt));
    let text = '';
    const err = await rejection(
      (async () => {
        for await (const ev of out.stream ?? []) text += ev.contentBlockDelta?.delta?.text ?? '';
      })(),
    );
    expect(err).toBeInstanceOf(ModelStreamErrorException);
    expect(err.name).toBe('ModelStreamErrorException');
    expect(err.$fault).toBe('client');
    expect(err.originalStatusCode).toBe(500);
    expect(text).toBe(expected.tokens.slice(0, 5).join(''));
    const rec = server.stats().recent.at(-1);
    expect(rec?.prompt).toBe(prompt);
    expect(rec?.outcome).toBe('stream-error');
    expect(rec?.outputTokens).toBe(5);
  });

  it('mid-stream-error with type=throttlingException in InvokeModelWithResponseStream', async () => {
    const prompt = 'slow down [[fault:mid-stream-error:after=3:type=throttlingException]]';
    const out = await client.send(
      new InvokeModelWithResponseStreamCommand({ modelId: MODEL, body: anthropicBody(prompt) }),
    );
    const err = await rejection(collectInvoke(out.body));
    expect(err).toBeInstanceOf(ThrottlingException);
    expect(err.$fault).toBe('client');
    const unavailable = await client.send(
      new InvokeModelWithResponseStreamCommand({
        modelId: MODEL,
        body: anthropicBody(
          'x [[fault:mid-stream-error:after=1:type=serviceUnavailableException]]',
        ),
      }),
    );
    const err2 = await rejection(collectInvoke(unavailable.body));
    expect(err2).toBeInstanceOf(ServiceUnavailableException);
    expect(err2.$fault).toBe('server');
  });

  it('mid-stream-error on a non-streaming call becomes ModelErrorException', async () => {
    const err = await rejection(
      client.send(
        new ConverseCommand({
          modelId: MODEL,
          messages: [{ role: 'user', content: [{ text: 'x [[fault:mid-stream-error:after=2]]' }] }],
        }),
      ),
    );
    expect(err).toBeInstanceOf(ModelErrorException);
    expect((err.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(424);
  });

  it('times=N faults only the first N requests with that prompt (retries succeed)', async () => {
    const prompt = 'retry me [[fault:throttle:times=1]]';
    expect(await rejection(client.send(converseStream(prompt)))).toBeInstanceOf(
      ThrottlingException,
    );
    const ok = await client.send(converseStream(prompt));
    expect((await collectConverse(ok.stream)).text).toBe(
      deterministicAnswer(prompt, { outputTokens: 12 }).text,
    );
  });

  it('the SDK retry strategy recovers from server-level throttleFirstN', async () => {
    server.setFaults({ throttleFirstN: 1 });
    const retrying = sdkClient(server.url, 3);
    try {
      const before = server.stats().errors;
      const out = await retrying.send(
        new ConverseCommand({
          modelId: MODEL,
          messages: [{ role: 'user', content: [{ text: 'again' }] }],
        }),
      );
      expect(out.stopReason).toBe('end_turn');
      expect(out.$metadata.attempts).toBe(2);
      expect(server.stats().errors - before).toBe(1);
    } finally {
      retrying.destroy();
    }
  });

  it('server midStreamError with count=1 hits only the next stream', async () => {
    server.setFaults({ midStreamError: { afterTokens: 2, count: 1 } });
    const first = await client.send(converseStream('first'));
    expect(await rejection(collectConverse(first.stream))).toBeInstanceOf(
      ModelStreamErrorException,
    );
    const second = await client.send(converseStream('second'));
    expect((await collectConverse(second.stream)).text).toBe(
      deterministicAnswer('second', { outputTokens: 12 }).text,
    );
  });

  it('drop:after=3 tears the connection down mid-stream; drop before headers fails the send', async () => {
    const out = await client.send(converseStream('drop [[fault:drop:after=3]]'));
    let deltas = 0;
    const err = await rejection(
      (async () => {
        for await (const ev of out.stream ?? []) if (ev.contentBlockDelta) deltas++;
      })(),
    );
    expect(err).toBeInstanceOf(Error);
    expect(deltas).toBeLessThanOrEqual(3);
    const early = await rejection(client.send(converseStream('drop [[fault:drop]]')));
    expect(early).toBeInstanceOf(Error);
    expect(server.stats().dropped).toBeGreaterThanOrEqual(2);
    // The server keeps serving afterwards.
    const ok = await client.send(converseStream('fine'));
    expect((await collectConverse(ok.stream)).events.at(-1)?.metadata).toBeDefined();
  });

  it('stall:ms=N pauses then completes; an endless stall ends when the client aborts', async () => {
    const prompt = 'pause [[fault:stall:after=2:ms=30]]';
    const out = await client.send(converseStream(prompt));
    expect((await collectConverse(out.stream)).text).toBe(
      deterministicAnswer(prompt, { outputTokens: 12 }).text,
    );

    const abort = new AbortController();
    const stalled = await client.send(converseStream('hang [[fault:stall:after=2]]'), {
      abortSignal: abort.signal,
    });
    let deltas = 0;
    // Depending on timing the SDK either throws an AbortError or just ends the iteration.
    await (async () => {
      for await (const ev of stalled.stream ?? []) {
        if (ev.contentBlockDelta) deltas++;
        if (deltas === 2) abort.abort();
      }
    })().catch(() => undefined);
    expect(deltas).toBe(2);
    await waitFor(() => server.stats().recent.at(-1)?.outcome === 'aborted');
    expect(server.stats().active).toBe(0);
  });

  it('request-level validation: malformed body, unknown model, bad shape; server keeps serving', async () => {
    const malformed = await rejection(
      client.send(new InvokeModelCommand({ modelId: MODEL, body: '{not json' })),
    );
    expect(malformed).toBeInstanceOf(ValidationException);
    expect(malformed.message).toMatch(/Malformed input request/);
    const missing = await rejection(
      client.send(
        new InvokeModelCommand({
          modelId: MODEL,
          body: JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', messages: [] }),
        }),
      ),
    );
    expect(missing).toBeInstanceOf(ValidationException);
    const unknown = await rejection(
      client.send(
        new ConverseCommand({
          modelId: 'anthropic.claude-9',
          messages: [{ role: 'user', content: [{ text: 'x' }] }],
        }),
      ),
    );
    expect(unknown).toBeInstanceOf(ValidationException);
    expect(unknown.message).toBe('The provided model identifier is invalid.');
    expect((unknown.$metadata as { httpStatusCode: number }).httpStatusCode).toBe(400);
    const denied = await rejection(
      client.send(
        new ConverseCommand({
          modelId: 'amazon.nova-lite-v1:0',
          messages: [{ role: 'user', content: [{ text: 'x' }] }],
        }),
      ),
    );
    expect(denied).toBeInstanceOf(AccessDeniedException);
    const ok = await client.send(
      new ConverseCommand({
        modelId: MODEL,
        messages: [{ role: 'user', content: [{ text: 'still here' }] }],
      }),
    );
    expect(ok.output?.message?.content?.[0]?.text).toBe(
      deterministicAnswer('still here', { outputTokens: 12 }).text,
    );
  });

  it('wire shape of a request-level error over plain HTTP/1.1', async () => {
    const res = await fetch(`${server.url}/model/${encodeURIComponent(MODEL)}/converse`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '[',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toMatch(/^ValidationException:/);
    expect(res.headers.get('x-amzn-requestid')).toBeTruthy();
    expect(((await res.json()) as { message: string }).message).toMatch(/Malformed input request/);
    const unknownRoute = await fetch(`${server.url}/nope`, { method: 'POST', body: '{}' });
    expect(unknownRoute.status).toBe(404);
    expect(unknownRoute.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
  });
});

describe('bedrock endpoint: input limits and client aborts', () => {
  it('oversize input -> ValidationException "Input is too long"', async () => {
    const server = await startBedrockServer({ port: 0, maxInputTokens: 50 });
    const client = sdkClient(server.url);
    try {
      const err = await rejection(client.send(converseStream('word '.repeat(100))));
      expect(err).toBeInstanceOf(ValidationException);
      expect(err.message).toBe('Input is too long for requested model.');
      const ok = await client.send(converseStream('short'));
      expect((await collectConverse(ok.stream)).text).toBe(deterministicAnswer('short').text);
    } finally {
      client.destroy();
      await server.close();
    }
  });

  it('a client abort stops generation and shows in stats', async () => {
    const server = await startBedrockServer({ port: 0, tokensPerSecond: 100, outputTokens: 200 });
    const client = sdkClient(server.url);
    try {
      const abort = new AbortController();
      const out = await client.send(converseStream('long answer'), { abortSignal: abort.signal });
      let deltas = 0;
      await (async () => {
        for await (const ev of out.stream ?? []) {
          if (ev.contentBlockDelta) deltas++;
          if (deltas === 3) abort.abort();
        }
      })().catch(() => undefined);
      await waitFor(() => server.stats().aborted === 1);
      const rec = server.stats().recent.at(-1);
      expect(rec?.outcome).toBe('aborted');
      // Generation stopped far before the 200-token answer.
      const sent = rec?.outputTokens ?? 0;
      await new Promise((r) => setTimeout(r, 100));
      expect(server.stats().recent.at(-1)?.outputTokens).toBe(sent);
      expect(sent).toBeLessThan(200);
      expect(server.stats().active).toBe(0);
    } finally {
      client.destroy();
      await server.close();
    }
  });
});
