/**
 * The worker bundle exactly as the construct deploys it (`buildWorkerBundle`: one ESM file,
 * the SDK's credential chain replaced by the env-only provider Lambda needs) runs a stream
 * end to end: the local stack invokes it as Lambda would, with the role's keys in the
 * environment, against the local DynamoDB, Bedrock endpoint and AppSync emulator.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeChunkPayload } from '@org/bedrock-stream-contracts';
import { deterministicAnswer } from '@org/bedrock-stream-local';
import { startLocalStack, type LocalStack } from '@org/bedrock-stream-stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWorkerBundle } from '../src/index.js';

let dir: string;
let stack: LocalStack;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bedrock-stream-bundle-'));
  const file = join(dir, 'index.mjs');
  writeFileSync(file, buildWorkerBundle().code);
  stack = await startLocalStack({
    stateFile: false,
    model: { timeToFirstTokenMs: 5, tokensPerSecond: 0, outputTokens: 40 },
    worker: { handlerModule: file },
  });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function gql(query: string, variables: Record<string, unknown>) {
  const response = await fetch(stack.config.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': stack.config.apiKey },
    body: JSON.stringify({ query, variables }),
  });
  const json = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  if (json.errors) throw new Error(JSON.stringify(json.errors));
  return json.data!;
}

describe('the deployed worker bundle', () => {
  it('streams an answer with the credentials Lambda puts in its environment', async () => {
    const streamId = randomUUID();
    const prompt = 'bundled worker answer';
    await gql('mutation($input: StartStreamInput!) { startStream(input: $input) { streamId } }', {
      input: { streamId, modelId: stack.config.defaultModelId, prompt },
    });
    let status = '';
    for (let i = 0; i < 200 && status !== 'COMPLETED' && status !== 'FAILED'; i += 1) {
      const data = await gql('query($id: ID!) { getStream(streamId: $id) { status } }', {
        id: streamId,
      });
      status = (data['getStream'] as { status: string }).status;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe('COMPLETED');
    const page = await gql(
      'query($id: ID!) { streamChunks(streamId: $id, limit: 500) { items { payload } } }',
      { id: streamId },
    );
    const items = (page['streamChunks'] as { items: Array<{ payload: string }> }).items;
    const text = items
      .flatMap((c) => decodeChunkPayload(c.payload).events)
      .map((e) => (e.type === 'text' ? e.text : ''))
      .join('');
    const expected = deterministicAnswer(prompt, {
      modelId: stack.config.defaultModelId,
      outputTokens: 40,
    }).text;
    expect(text).toBe(expected);
  }, 60_000);
});
