/**
 * startStream is safe to retry: a start whose response was lost, sent again with the same
 * streamId, owner and input, gets the existing stream's handle (no second worker run, no
 * second Bedrock call); another input or another owner is still refused, saying which.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../src/index.js';
import { eventually, GET, gql, START } from './helpers.js';

let stack: LocalStack;
let apiKey: Record<string, string>;

beforeAll(async () => {
  stack = await startLocalStack({
    stateFile: false,
    model: { timeToFirstTokenMs: 10, tokensPerSecond: 400, outputTokens: 20 },
  });
  apiKey = { 'x-api-key': stack.config.apiKey };
});
afterAll(async () => {
  await stack?.stop();
});

const url = () => stack.config.graphqlUrl;
const input = (streamId: string, prompt = 'retry me') => ({
  streamId,
  modelId: stack.config.defaultModelId,
  prompt,
  inferenceConfig: { maxTokens: 100, temperature: 0.5 },
});
type Handle = { streamId: string; status: string } | null;
const started = (res: { data?: Record<string, unknown> | null }) =>
  (res.data?.['startStream'] ?? null) as Handle;
const firstError = (res: { errors?: Array<{ errorType?: string; message?: string }> }) =>
  res.errors?.[0] ?? null;

async function finished(streamId: string) {
  return eventually(
    async () => {
      const r = (await gql(url(), apiKey, GET, { streamId })).data?.['getStream'] as {
        status: string;
      } | null;
      return r && r.status === 'COMPLETED' ? r : null;
    },
    20_000,
    `stream ${streamId} to complete`,
  );
}

describe('idempotent startStream', () => {
  it('returns the existing handle for the same owner and input, and calls Bedrock once', async () => {
    const streamId = randomUUID();
    const bedrockBefore = stack.bedrock!.stats().requests;
    const invocationsBefore = stack.invoker.stats().invocations;
    const first = await gql(url(), apiKey, START, { input: input(streamId) });
    expect(firstError(first)).toBeNull();
    // The same start again, at once and after the stream finished; key order differs.
    const again = await gql(url(), apiKey, START, {
      input: {
        prompt: 'retry me',
        inferenceConfig: { temperature: 0.5, maxTokens: 100 },
        modelId: stack.config.defaultModelId,
        streamId,
      },
    });
    expect(firstError(again)).toBeNull();
    expect(started(again)?.streamId).toBe(streamId);
    await finished(streamId);
    const late = await gql(url(), apiKey, START, { input: input(streamId) });
    expect(firstError(late)).toBeNull();
    expect(started(late)).toMatchObject({ streamId, status: 'COMPLETED' });
    expect(stack.invoker.stats().invocations - invocationsBefore).toBe(1);
    expect(stack.bedrock!.stats().requests - bedrockBefore).toBe(1);
  });

  it('refuses the same id with another input, naming the input', async () => {
    const streamId = randomUUID();
    expect(firstError(await gql(url(), apiKey, START, { input: input(streamId) }))).toBeNull();
    const other = await gql(url(), apiKey, START, { input: input(streamId, 'something else') });
    expect(firstError(other)).toMatchObject({
      errorType: 'ConflictError',
      message: expect.stringMatching(/different input/),
    });
    expect(started(other)).toBeNull();
  });

  it('refuses the same id from another owner, naming the owner', async () => {
    const streamId = randomUUID();
    const alice = { authorization: await stack.issueJwt('alice') };
    expect(firstError(await gql(url(), alice, START, { input: input(streamId) }))).toBeNull();
    for (const headers of [{ authorization: await stack.issueJwt('mallory') }, apiKey]) {
      const takeover = await gql(url(), headers, START, { input: input(streamId) });
      expect(firstError(takeover)).toMatchObject({
        errorType: 'ConflictError',
        message: expect.stringMatching(/belongs to another caller/),
      });
      expect(started(takeover)).toBeNull();
    }
  });
});
