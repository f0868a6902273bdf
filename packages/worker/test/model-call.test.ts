import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import type { RetryPolicy } from '@org/bedrock-stream-contracts';
import { startBedrockServer, type BedrockServer } from '@org/bedrock-stream-local';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DeadlineError } from '../src/errors.js';
import { requestOf, type ModelEvent } from '../src/generate.js';
import { callModel, type ModelCallOptions } from '../src/model-call.js';

// The real SDK against the local Bedrock endpoint and its fault injection.
let bedrock: BedrockServer;
let client: BedrockRuntimeClient;

beforeAll(async () => {
  bedrock = await startBedrockServer({ outputTokens: 8 });
  client = new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: bedrock.url,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  client.destroy();
  await bedrock.close();
});
beforeEach(() => {
  bedrock.setFaults({});
  bedrock.setTiming({ outputTokens: 8 });
});

const fastRetries: RetryPolicy = { maxTries: 4, initialDelayMs: 1, maxDelayMs: 1 };

/** Calls the model; returns what it delivered and which tries were retried. */
async function call(overrides: Partial<ModelCallOptions> = {}) {
  const events: ModelEvent[] = [];
  const retried: number[] = [];
  const requestsBefore = bedrock.stats().requests;
  const result = await callModel({
    bedrock: client,
    request: requestOf({ modelId: 'anthropic.claude-3-haiku-20240307-v1:0', prompt: 'hello' }),
    stallTimeoutMs: 5_000,
    retryPolicy: fastRetries,
    stopSignal: new AbortController().signal,
    deadlineSignal: new AbortController().signal,
    onEvent: (event) => events.push(event),
    onRetry: (_error, tries) => retried.push(tries),
    ...overrides,
  }).then(
    () => ({ ok: true as const }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  const text = events.flatMap((e) => (e.type === 'text' ? [e.text] : [])).join('');
  return { result, events, text, retried, requests: bedrock.stats().requests - requestsBefore };
}

describe('callModel: retries in place before any text', () => {
  it('retries a throttled call and delivers the whole answer once', async () => {
    bedrock.setFaults({ throttleFirstN: 2 });
    const { result, events, retried, requests } = await call();
    expect(result).toEqual({ ok: true });
    expect(retried).toEqual([1, 2]);
    expect(requests).toBe(3);
    expect(events.filter((e) => e.type === 'text')).toHaveLength(8);
    expect(events.filter((e) => e.type === 'stop')).toHaveLength(1);
  });

  it('gives up after the policy’s tries with the last failure itself', async () => {
    bedrock.setFaults({ throttleFirstN: 10 });
    const { result, requests } = await call({ retryPolicy: { ...fastRetries, maxTries: 3 } });
    expect(result.ok).toBe(false);
    expect((result as { error: Error }).error.name).toBe('ThrottlingException');
    expect(requests).toBe(3);
  });

  it('does not retry a failure after text went out', async () => {
    bedrock.setFaults({ midStreamError: { afterTokens: 2 } });
    const { result, text, requests } = await call();
    expect((result as { error: Error }).error.name).toBe('ModelStreamErrorException');
    expect(text.length).toBeGreaterThan(0);
    expect(requests).toBe(1);
  });

  it('does not retry a non-retryable error', async () => {
    bedrock.setFaults({ errorFirstN: { count: 1, error: 'AccessDeniedException' } });
    const { result, requests } = await call();
    expect((result as { error: Error }).error.name).toBe('AccessDeniedException');
    expect(requests).toBe(1);
  });
});

describe('callModel: stall, stop and deadline', () => {
  it('turns silence after text into a StallError', async () => {
    bedrock.setFaults({ stall: { afterTokens: 2 } });
    const { result } = await call({ stallTimeoutMs: 200 });
    expect((result as { error: Error }).error.name).toBe('StallError');
  });

  it('ends quietly when the stop signal aborts', async () => {
    bedrock.setFaults({ stall: { afterTokens: 2 } });
    const stop = new AbortController();
    const { result, events } = await call({
      stopSignal: stop.signal,
      onEvent: (event) => {
        if (event.type === 'text') stop.abort();
      },
    });
    expect(result).toEqual({ ok: true });
    expect(events.filter((e) => e.type === 'stop')).toHaveLength(0);
  });

  it('throws the deadline’s error when the run is out of time', async () => {
    bedrock.setFaults({ stall: { afterTokens: 2 } });
    const deadline = new AbortController();
    const { result } = await call({
      deadlineSignal: deadline.signal,
      onEvent: (event) => {
        if (event.type === 'text') deadline.abort(new DeadlineError('out of time'));
      },
    });
    expect((result as { error: Error }).error).toBeInstanceOf(DeadlineError);
  });

  it('ends the call with the error its event handler throws (a failed publish)', async () => {
    const { result } = await call({
      onEvent: () => {
        throw new Error('publish failed');
      },
    });
    expect((result as { error: Error }).error.message).toBe('publish failed');
  });
});
