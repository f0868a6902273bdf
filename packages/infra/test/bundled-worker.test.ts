/**
 * The worker bundle exactly as the construct deploys it (`buildWorkerBundle`: one ESM file,
 * the SDK's ES module builds, its credential chain replaced by the env-only provider Lambda
 * needs) runs streams end to end, on both Bedrock APIs and as a conversation's turn: the local
 * stack invokes it as Lambda would, with the role's keys in the environment, against the
 * local DynamoDB, Bedrock endpoint and AppSync emulator.
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

/** Polls a stream's status until it ends. */
async function waitForEnd(streamId: string): Promise<string> {
  let status = '';
  for (let i = 0; i < 200 && status !== 'COMPLETED' && status !== 'FAILED'; i += 1) {
    const data = await gql('query($id: ID!) { getStream(streamId: $id) { status } }', {
      id: streamId,
    });
    status = (data['getStream'] as { status: string }).status;
    await new Promise((r) => setTimeout(r, 50));
  }
  return status;
}

describe('the deployed worker bundle', () => {
  it("exports only the handlers Lambda calls, without the library's tool-definition code", async () => {
    const { metafile } = buildWorkerBundle();
    const bundled = (await import(join(dir, 'index.mjs'))) as Record<string, unknown>;
    expect(Object.keys(bundled).sort()).toEqual(['failureHandler', 'handler']);
    // defineTool's JSON Schema generator: only a tools entry (bundleWorker's toolsEntry) needs it.
    const inputs = Object.keys(Object.values(metafile.outputs)[0]!.inputs);
    expect(inputs.some((p) => p.includes('json-schema'))).toBe(false);
  });

  // Both Bedrock APIs: the SDK's ES module builds are what the bundle carries (mainFields).
  it.each(['CONVERSE', 'INVOKE_MODEL'])(
    'streams an answer (%s) with the credentials Lambda puts in its environment',
    async (api) => {
      const streamId = randomUUID();
      const prompt = `bundled worker answer ${api}`;
      await gql('mutation($input: StartStreamInput!) { startStream(input: $input) { streamId } }', {
        input: { streamId, modelId: stack.config.defaultModelId, prompt, api },
      });
      expect(await waitForEnd(streamId)).toBe('COMPLETED');
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
    },
    60_000,
  );

  it('answers a conversation turn and stores the answer in the conversation', async () => {
    const created = await gql(
      'mutation($input: CreateConversationInput!) { createConversation(input: $input) { conversationId } }',
      { input: { modelId: stack.config.defaultModelId } },
    );
    const { conversationId } = created['createConversation'] as { conversationId: string };
    const streamId = randomUUID();
    await gql(
      'mutation($input: SendMessageInput!) { sendMessage(input: $input) { stream { streamId } } }',
      {
        input: { conversationId, streamId, content: [{ text: 'bundled conversation turn' }] },
      },
    );
    expect(await waitForEnd(streamId)).toBe('COMPLETED');
    let messages: Array<{ role: string; status: string; parts: string }> = [];
    for (let i = 0; i < 100; i += 1) {
      const page = await gql(
        'query($id: ID!) { conversationMessages(conversationId: $id) { items { role status parts } } }',
        { id: conversationId },
      );
      messages = (page['conversationMessages'] as { items: typeof messages }).items;
      if (messages[1]?.status === 'COMPLETE') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(messages.map((m) => [m.role, m.status])).toEqual([
      ['USER', 'COMPLETE'],
      ['ASSISTANT', 'COMPLETE'],
    ]);
    const parts = JSON.parse(messages[1]!.parts) as Array<{ type: string; text?: string }>;
    expect(
      parts
        .filter((p) => p.type === 'text')
        .map((p) => p.text)
        .join(''),
    ).not.toBe('');
  }, 60_000);
});
