import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseStartStreamInput } from '@org/bedrock-stream-contracts';
import { converseCommandInput } from '../src/converse.js';
import { anthropicBody } from '../src/anthropic.js';
import { requestOf } from '../src/generate.js';
import { defineTool } from '../src/tools.js';
import { eventsOf, startRunHarness, textOf, type RunHarness } from './run-harness.js';

const SONNET_37 = 'us.anthropic.claude-3-7-sonnet-20250219-v1:0';
const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const TXT = Buffer.from('order notes').toString('base64');

let harness: RunHarness;
beforeAll(async () => {
  harness = await startRunHarness();
});
afterAll(async () => {
  await harness?.close();
});

/** A multi-turn input with every kind of block: attachments, a cache point, a tool turn. */
const multiTurn = (api: 'CONVERSE' | 'INVOKE_MODEL') => ({
  // A model with prompt caching (Claude 3 Haiku has none).
  modelId: SONNET_37,
  api,
  system: 'You are terse.',
  messages: [
    {
      role: 'USER',
      content: [
        { text: 'Look at these and lookup_order id="A-7"' },
        { image: { format: 'PNG', bytes: PNG } },
        { document: { format: 'TXT', name: 'notes', bytes: TXT } },
        { cachePoint: true },
      ],
    },
    {
      role: 'ASSISTANT',
      content: [
        { toolUse: { toolUseId: 'tooluse_1', name: 'lookup_order', input: { id: 'A-7' } } },
      ],
    },
    {
      role: 'USER',
      content: [{ toolResult: { toolUseId: 'tooluse_1', content: { status: 'shipped' } } }],
    },
  ],
  toolConfig: {
    tools: [
      {
        name: 'lookup_order',
        description: 'Finds an order',
        inputSchema: { type: 'object', properties: { id: { type: 'string' } } },
      },
    ],
  },
});

describe('content blocks reach Bedrock', () => {
  it('maps text, image, document, cache point, toolUse and toolResult for Converse', () => {
    const { streamId: _, ...input } = parseStartStreamInput({
      streamId: '6f1c3a52-8a2e-4a4f-9a47-2f6c1b2d3e4f',
      ...multiTurn('CONVERSE'),
      cacheSystem: true,
    });
    const command = converseCommandInput(requestOf(input));
    expect(command.system).toEqual([
      { text: 'You are terse.' },
      { cachePoint: { type: 'default' } },
    ]);
    const [first, second, third] = command.messages;
    expect(first!.content![1]).toMatchObject({ image: { format: 'png' } });
    expect(first!.content![2]).toMatchObject({ document: { format: 'txt', name: 'notes' } });
    expect(first!.content![3]).toEqual({ cachePoint: { type: 'default' } });
    expect(second!.content![0]).toEqual({
      toolUse: { toolUseId: 'tooluse_1', name: 'lookup_order', input: { id: 'A-7' } },
    });
    expect(third!.content![0]).toEqual({
      toolResult: { toolUseId: 'tooluse_1', content: [{ json: { status: 'shipped' } }] },
    });
    expect(command.toolConfig?.tools).toHaveLength(1);
  });

  it('maps the same input to the native Anthropic body', () => {
    const { streamId: _, ...input } = parseStartStreamInput({
      streamId: '6f1c3a52-8a2e-4a4f-9a47-2f6c1b2d3e4f',
      ...multiTurn('INVOKE_MODEL'),
    });
    const body = anthropicBody(requestOf(input)) as { messages: Array<{ content: unknown[] }> };
    expect(body.messages[0]!.content[1]).toMatchObject({
      type: 'image',
      source: { media_type: 'image/png' },
    });
    // The cache point marks the block before it.
    expect(body.messages[0]!.content[2]).toMatchObject({
      type: 'document',
      cache_control: { type: 'ephemeral' },
    });
    expect(body.messages[2]!.content[0]).toEqual({
      type: 'tool_result',
      tool_use_id: 'tooluse_1',
      content: '{"status":"shipped"}',
    });
  });

  it.each(['CONVERSE', 'INVOKE_MODEL'] as const)(
    'a multi-turn conversation with attachments and a tool turn is answered over %s',
    async (api) => {
      const { chunks, outcome } = await harness.run(multiTurn(api));
      expect(eventsOf(chunks).at(-1)).toMatchObject({ type: 'end', stopReason: 'end_turn' });
      expect(outcome).toBe('completed');
      expect(textOf(chunks)).toContain('lookup_order returned {"status":"shipped"}');
    },
  );
});

describe('the native Anthropic body', () => {
  it('runs a server tool loop with reasoning over InvokeModelWithResponseStream', async () => {
    const runs: string[] = [];
    const weather = defineTool({
      name: 'get_weather',
      description: 'Weather',
      input: z.object({ city: z.string() }),
      run: ({ city }) => {
        runs.push(city);
        return { city, sky: 'clear' };
      },
    });
    const { chunks, outcome } = await harness.run(
      {
        modelId: SONNET_37,
        api: 'INVOKE_MODEL',
        prompt: 'get_weather city="Kyiv"',
        thinking: { budgetTokens: 1024 },
        inferenceConfig: { maxTokens: 2048 },
      },
      { tools: [weather] },
    );
    expect(outcome).toBe('completed');
    expect(runs).toEqual(['Kyiv']);
    const events = eventsOf(chunks);
    expect(events.some((e) => e.type === 'reasoning')).toBe(true);
    expect(events.some((e) => e.type === 'reasoning-signature')).toBe(true);
    expect(events.find((e) => e.type === 'tool-call')).toMatchObject({ input: { city: 'Kyiv' } });
    expect(textOf(chunks)).toContain('get_weather returned {"city":"Kyiv","sky":"clear"}');
  });

  it.each(['CONVERSE', 'INVOKE_MODEL'] as const)(
    'streams redacted reasoning as its event over %s',
    async (api) => {
      const { chunks } = await harness.run({
        modelId: SONNET_37,
        api,
        prompt: 'secret [[thinking:redacted]]',
        thinking: { budgetTokens: 1024 },
        inferenceConfig: { maxTokens: 2048 },
      });
      const redacted = eventsOf(chunks).find((e) => e.type === 'reasoning-redacted');
      expect(redacted).toBeDefined();
      expect(eventsOf(chunks).at(-1)).toMatchObject({ type: 'end', stopReason: 'end_turn' });
    },
  );
});
