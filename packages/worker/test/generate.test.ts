import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import {
  startBedrockServer,
  type BedrockServer,
  type GenerationResult,
} from '@org/bedrock-stream-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generate,
  requestOf,
  toStopReason,
  type ModelEvent,
  type StoredInput,
} from '../src/generate.js';

// The real SDK against the local Bedrock endpoint, whose model ends every answer with
// the stop reason a test sets (the local model itself only produces the common ones).
let stopReason: string | undefined;
let bedrock: BedrockServer;
let client: BedrockRuntimeClient;

beforeAll(async () => {
  bedrock = await startBedrockServer({
    backend: {
      generate: () => {
        async function* deltas(): AsyncGenerator<string, GenerationResult, void> {
          yield 'Hello';
          yield ' there';
          return {
            stopReason: stopReason as GenerationResult['stopReason'],
            inputTokens: 3,
            outputTokens: 2,
          };
        }
        return Promise.resolve({ inputTokens: 3, deltas: deltas() });
      },
    },
  });
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

const input = (api: StoredInput['api']): StoredInput => ({
  modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
  prompt: 'hi',
  api,
});

async function events(api: StoredInput['api']): Promise<ModelEvent[]> {
  const all: ModelEvent[] = [];
  for await (const event of generate(client, requestOf(input(api)), new AbortController().signal))
    all.push(event);
  return all;
}

describe.each(['CONVERSE', 'INVOKE_MODEL'] as const)('stop reasons over %s', (api) => {
  it('carries model_context_window_exceeded as it is', async () => {
    stopReason = 'model_context_window_exceeded';
    const all = await events(api);
    expect(all.filter((e) => e.type === 'text').map((e) => e.text)).toEqual(['Hello', ' there']);
    expect(all.filter((e) => e.type === 'stop')).toEqual([
      { type: 'stop', stopReason: 'model_context_window_exceeded' },
    ]);
  });

  it('carries a reason this contract does not know, never mapping it to end_turn', async () => {
    stopReason = 'some_future_reason';
    expect((await events(api)).find((e) => e.type === 'stop')).toEqual({
      type: 'stop',
      stopReason: 'some_future_reason',
    });
  });

  it('ends an answer whose stop event names no reason with end_turn', async () => {
    stopReason = undefined;
    expect((await events(api)).filter((e) => e.type === 'stop')).toEqual([
      { type: 'stop', stopReason: 'end_turn' },
    ]);
  });
});

describe('toStopReason', () => {
  it('keeps snake_case reasons, names a missing one end_turn, brings others into snake_case', () => {
    expect(toStopReason('max_tokens')).toBe('max_tokens');
    expect(toStopReason('model_context_window_exceeded')).toBe('model_context_window_exceeded');
    expect(toStopReason(undefined)).toBe('end_turn');
    expect(toStopReason('')).toBe('end_turn');
    expect(toStopReason('ContentFiltered')).toBe('content_filtered');
    expect(toStopReason('x'.repeat(80))).toHaveLength(64);
    expect(toStopReason('!!!')).toBe('end_turn');
  });
});
