/**
 * startStream's rich input (content blocks, tools, thinking, cache points): the APPSYNC_JS
 * resolver (through the emulator, the deployed file) and contracts' zod schema accept and
 * refuse the same inputs, and a refused one stores nothing.
 */
import { randomUUID } from 'node:crypto';
import { safeParseStartStreamInput, LIMITS } from '@org/bedrock-stream-contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../src/index.js';
import { GET, gql, START } from './helpers.js';

let stack: LocalStack;
let headers: Record<string, string>;

beforeAll(async () => {
  stack = await startLocalStack({
    stateFile: false,
    model: { timeToFirstTokenMs: 5, outputTokens: 5 },
  });
  headers = { 'x-api-key': stack.config.apiKey };
});
afterAll(async () => {
  await stack?.stop();
});

const PNG_1PX =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const weatherTool = {
  name: 'get_weather',
  description: 'Current weather of a city',
  inputSchema: JSON.stringify({ type: 'object', properties: { city: { type: 'string' } } }),
};
type Input = Record<string, unknown>;
const base = (extra: Input): Input => ({ modelId: stack.config.defaultModelId, ...extra });
const user = (...content: Input[]) => ({ role: 'USER', content });

const valid: Array<[string, () => Input]> = [
  [
    'text and image blocks with a cache point',
    () =>
      base({
        messages: [
          user(
            { text: 'What is this?' },
            { image: { format: 'PNG', bytes: PNG_1PX } },
            { cachePoint: true },
          ),
        ],
        cacheSystem: true,
        system: 'Be brief.',
      }),
  ],
  [
    'a document block',
    () =>
      base({
        messages: [
          user(
            { document: { format: 'TXT', name: 'notes (v2)', bytes: 'aGVsbG8=' } },
            { text: 'Summarize' },
          ),
        ],
      }),
  ],
  [
    'a tool round trip with reasoning',
    () =>
      base({
        messages: [
          { role: 'USER', text: 'Weather in Paris?' },
          {
            role: 'ASSISTANT',
            content: [
              { reasoning: { text: 'I should call the tool', signature: 'sig' } },
              {
                toolUse: { toolUseId: 'tooluse_1', name: 'get_weather', input: '{"city":"Paris"}' },
              },
            ],
          },
          user({
            toolResult: { toolUseId: 'tooluse_1', content: '{"tempC":21}', status: 'SUCCESS' },
          }),
        ],
        toolConfig: { tools: [weatherTool], toolChoice: { mode: 'AUTO' } },
      }),
  ],
  [
    'toolChoice TOOL, thinking and maxSteps',
    () =>
      base({
        prompt: 'hi',
        toolConfig: { tools: [weatherTool], toolChoice: { mode: 'TOOL', name: 'get_weather' } },
        thinking: { budgetTokens: 2048 },
        inferenceConfig: { maxTokens: 4096 },
        maxSteps: 3,
      }),
  ],
];

const invalid: Array<[string, () => Input, RegExp]> = [
  [
    'text and content together',
    () => base({ messages: [{ role: 'USER', text: 'a', content: [{ text: 'b' }] }] }),
    /exactly one of text or content/,
  ],
  [
    'a block with two kinds',
    () => base({ messages: [user({ text: 'a', cachePoint: true })] }),
    /exactly one of/,
  ],
  ['an empty block', () => base({ messages: [user({})] }), /exactly one of/],
  [
    'image bytes that are not base64',
    () => base({ messages: [user({ image: { format: 'PNG', bytes: 'not base64!' } })] }),
    /not base64/,
  ],
  [
    'attachments over the bound',
    () =>
      base({
        messages: [
          user(
            { image: { format: 'PNG', bytes: 'A'.repeat(LIMITS.attachmentBase64Chars + 4) } },
            { text: 'x' },
          ),
        ],
      }),
    /base64 characters/,
  ],
  [
    'too many images',
    () =>
      base({
        messages: [
          user(
            ...Array.from({ length: LIMITS.images + 1 }, () => ({
              image: { format: 'PNG', bytes: PNG_1PX },
            })),
          ),
        ],
      }),
    /images/,
  ],
  [
    'a bad document name',
    () =>
      base({
        messages: [user({ document: { format: 'PDF', name: 'a/b.pdf', bytes: 'aGVsbG8=' } })],
      }),
    /document/,
  ],
  [
    'tool input that is not an object',
    () =>
      base({
        messages: [
          {
            role: 'ASSISTANT',
            content: [{ toolUse: { toolUseId: 't1', name: 'x', input: '[1]' } }],
          },
          { role: 'USER', text: 'go' },
        ],
      }),
    /object/,
  ],
  [
    'a bad tool name',
    () => base({ prompt: 'hi', toolConfig: { tools: [{ ...weatherTool, name: 'get weather' }] } }),
    /name/,
  ],
  [
    'a duplicate tool',
    () => base({ prompt: 'hi', toolConfig: { tools: [weatherTool, weatherTool] } }),
    /twice/,
  ],
  [
    'an input schema that is not an object schema',
    () =>
      base({
        prompt: 'hi',
        toolConfig: { tools: [{ ...weatherTool, inputSchema: '{"type":"string"}' }] },
      }),
    /type 'object'/,
  ],
  [
    'toolChoice TOOL without a name',
    () =>
      base({ prompt: 'hi', toolConfig: { tools: [weatherTool], toolChoice: { mode: 'TOOL' } } }),
    /toolChoice/,
  ],
  [
    'toolChoice naming an undeclared tool',
    () =>
      base({
        prompt: 'hi',
        toolConfig: { tools: [weatherTool], toolChoice: { mode: 'TOOL', name: 'nope' } },
      }),
    /not in toolConfig/,
  ],
  [
    'a thinking budget under the minimum',
    () => base({ prompt: 'hi', thinking: { budgetTokens: 10 } }),
    /budgetTokens/,
  ],
  [
    'a thinking budget not below maxTokens',
    () =>
      base({
        prompt: 'hi',
        thinking: { budgetTokens: 2048 },
        inferenceConfig: { maxTokens: 2048 },
      }),
    /below inferenceConfig.maxTokens/,
  ],
  [
    'too many cache points',
    () =>
      base({
        cacheSystem: true,
        messages: [
          user(
            { text: 'a' },
            { cachePoint: true },
            { cachePoint: true },
            { cachePoint: true },
            { cachePoint: true },
          ),
        ],
      }),
    /cache points/,
  ],
  ['maxSteps out of range', () => base({ prompt: 'hi', maxSteps: 0 }), /maxSteps/],
];

async function start(input: Input) {
  const streamId = randomUUID();
  const res = await gql(stack.config.graphqlUrl, headers, START, { input: { streamId, ...input } });
  return { streamId, res };
}

describe('rich startStream input', () => {
  it.each(valid)('accepts %s (resolver and zod alike)', async (_name, make) => {
    const input = make();
    const { streamId, res } = await start(input);
    expect(res.errors ?? null).toBeNull();
    expect(safeParseStartStreamInput({ streamId, ...input }).ok).toBe(true);
    const stored = await gql(stack.config.graphqlUrl, headers, GET, { streamId });
    expect(stored.data?.['getStream']).toMatchObject({ streamId });
  });

  it.each(invalid)(
    'refuses %s, naming the problem, storing nothing',
    async (_name, make, message) => {
      const input = make();
      const { streamId, res } = await start(input);
      expect(res.errors?.[0]).toMatchObject({
        errorType: 'ValidationError',
        message: expect.stringMatching(message),
      });
      const zod = safeParseStartStreamInput({ streamId, ...input });
      expect(zod.ok).toBe(false);
      if (!zod.ok) expect(zod.error.message).toMatch(message);
      const stored = await gql(stack.config.graphqlUrl, headers, GET, { streamId });
      expect(stored.data?.['getStream'] ?? null).toBeNull();
    },
  );
});
