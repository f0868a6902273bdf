import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineTool, type ServerTool } from '../src/tools.js';
import { eventsOf, startRunHarness, textOf, type RunHarness } from './run-harness.js';

const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0';
const SONNET_37 = 'us.anthropic.claude-3-7-sonnet-20250219-v1:0';

let harness: RunHarness;
beforeAll(async () => {
  harness = await startRunHarness();
});
afterAll(async () => {
  await harness?.close();
});

/** A weather tool that counts its runs. */
function weatherTool(runs: string[]): ServerTool {
  return defineTool({
    name: 'get_weather',
    description: 'Current weather of a city',
    input: z.object({ city: z.string() }),
    run: ({ city }) => {
      runs.push(city);
      return { city, temperatureC: 21 };
    },
  });
}

describe('defineTool', () => {
  it('gives the model the JSON Schema of the zod input and validates calls with it', async () => {
    const tool = defineTool({
      name: 'add',
      description: 'Adds',
      input: z.object({ a: z.number().describe('first'), b: z.number().default(1) }),
      run: ({ a, b }) => a + b,
    });
    expect(tool.inputSchema).toMatchObject({
      type: 'object',
      properties: { a: { type: 'number', description: 'first' }, b: { type: 'number' } },
      required: ['a'],
    });
    expect(tool.inputSchema['$schema']).toBeUndefined();
    const signal = new AbortController().signal;
    await expect(tool.execute({ a: 2 }, { signal, toolCallId: 't' })).resolves.toBe(3);
    await expect(tool.execute({ a: 'x' }, { signal, toolCallId: 't' })).rejects.toThrow(
      /invalid input/,
    );
    expect(() =>
      defineTool({ name: 'bad name', description: 'x', input: z.object({}), run: () => 1 }),
    ).toThrow();
  });
});

describe('server tools (dynalite + local Bedrock)', () => {
  it('round trip: the model calls a server tool, the worker runs it and the model answers', async () => {
    const runs: string[] = [];
    const { chunks, record, outcome } = await harness.run(
      { modelId: HAIKU, prompt: 'Use get_weather city="Paris" please' },
      { tools: [weatherTool(runs)] },
    );
    expect(outcome).toBe('completed');
    expect(runs).toEqual(['Paris']);
    const events = eventsOf(chunks);
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('start');
    expect(types.filter((t) => t === 'step-start')).toHaveLength(2);
    const call = events.find((e) => e.type === 'tool-call');
    expect(call).toMatchObject({ toolName: 'get_weather', input: { city: 'Paris' } });
    const deltas = events.filter((e) => e.type === 'tool-call-delta');
    expect(deltas.map((d) => (d.type === 'tool-call-delta' ? d.inputDelta : '')).join('')).toBe(
      JSON.stringify({ city: 'Paris' }),
    );
    expect(events.find((e) => e.type === 'tool-result')).toMatchObject({
      toolName: 'get_weather',
      output: { city: 'Paris', temperatureC: 21 },
      isError: false,
    });
    // Step 2's answer starts with what the tool returned (the local model's rule).
    expect(textOf(chunks)).toContain('get_weather returned {"city":"Paris","temperatureC":21}');
    const steps = events.filter((e) => e.type === 'step-end');
    expect(steps.map((s) => (s.type === 'step-end' ? s.stopReason : ''))).toEqual([
      'tool_use',
      'end_turn',
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'end', stopReason: 'end_turn' });
    expect(record.status).toBe('COMPLETED');
    expect(Object.values(record.toolResults ?? {})).toEqual([
      { output: { city: 'Paris', temperatureC: 21 }, isError: false },
    ]);
  });

  it('a client tool ends the answer with tool_use and its call, for the app to run', async () => {
    const { chunks, outcome } = await harness.run({
      modelId: HAIKU,
      prompt: 'please lookup_order id="A-1"',
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
    expect(outcome).toBe('completed');
    const events = eventsOf(chunks);
    expect(events.find((e) => e.type === 'tool-call')).toMatchObject({
      toolName: 'lookup_order',
      input: { id: 'A-1' },
    });
    expect(events.some((e) => e.type === 'tool-result')).toBe(false);
    expect(events.at(-1)).toMatchObject({ type: 'end', stopReason: 'tool_use' });
  });

  it('a client tool named like a server tool is invalid input', async () => {
    const { chunks, outcome } = await harness.run(
      {
        modelId: HAIKU,
        prompt: 'get_weather',
        toolConfig: {
          tools: [{ name: 'get_weather', description: 'x', inputSchema: { type: 'object' } }],
        },
      },
      { tools: [weatherTool([])] },
    );
    expect(outcome).toBe('failed');
    expect(eventsOf(chunks).at(-1)).toMatchObject({ type: 'error', code: 'InvalidInput' });
  });

  it('a throwing tool and a timed-out tool become error results the model sees', async () => {
    const failing = defineTool({
      name: 'flaky',
      description: 'Always fails',
      input: z.object({}),
      run: () => {
        throw new Error('backend down');
      },
    });
    const slow = defineTool({
      name: 'slow',
      description: 'Never answers in time',
      input: z.object({}),
      timeoutMs: 50,
      run: (_input, { signal }) =>
        new Promise((resolve) => signal.addEventListener('abort', () => resolve('late'))),
    });
    const { chunks, outcome } = await harness.run(
      { modelId: HAIKU, prompt: 'call flaky and slow' },
      { tools: [failing, slow] },
    );
    expect(outcome).toBe('completed');
    const results = eventsOf(chunks).filter((e) => e.type === 'tool-result');
    expect(results).toEqual([
      expect.objectContaining({ toolName: 'flaky', isError: true, output: 'backend down' }),
      expect.objectContaining({
        toolName: 'slow',
        isError: true,
        output: expect.stringMatching(/timed out after 50 ms/) as unknown,
      }),
    ]);
    expect(textOf(chunks)).toMatch(/flaky failed/);
  });

  it('cancel during a tool call stops the tool and ends the stream cancelled', async () => {
    let aborted = false;
    let streamId = '';
    const waiting = defineTool({
      name: 'wait_long',
      description: 'Waits until aborted',
      input: z.object({}),
      run: (_input, { signal }) =>
        new Promise((_resolve, reject) => {
          void harness.cancel(streamId);
          signal.addEventListener('abort', () => {
            aborted = true;
            reject(new Error('aborted'));
          });
        }),
    });
    const { outcome, chunks, record } = await harness.run(
      { modelId: HAIKU, prompt: 'wait_long now' },
      { tools: [waiting], onChunk: (_chunk, id) => void (streamId = id) },
    );
    expect(aborted).toBe(true);
    expect(outcome).toBe('cancelled');
    expect(record.status).toBe('CANCELLED');
    const events = eventsOf(chunks);
    expect(events.some((e) => e.type === 'tool-result')).toBe(false);
    expect(events.at(-1)).toMatchObject({ type: 'end', stopReason: 'cancelled' });
  });

  it('stops after maxSteps model calls with tool_use', async () => {
    const runs: string[] = [];
    const { chunks } = await harness.run(
      { modelId: HAIKU, prompt: 'get_weather city="Oslo"', maxSteps: 1 },
      { tools: [weatherTool(runs)] },
    );
    const events = eventsOf(chunks);
    expect(events.filter((e) => e.type === 'step-start')).toHaveLength(1);
    expect(runs).toEqual(['Oslo']);
    expect(events.at(-1)).toMatchObject({ type: 'end', stopReason: 'tool_use' });
  });

  it('a new attempt reuses the stored result instead of running the tool again', async () => {
    const runs: string[] = [];
    const tools = [weatherTool(runs)];
    const input = { modelId: HAIKU, prompt: 'get_weather city="Rome"' };
    let streamId = '';
    // The first attempt fails (retryably) on the publish after the tool result went out.
    const first = await harness
      .run(input, {
        tools,
        env: { PUBLISH_MAX_TRIES: '1' },
        onChunk: (chunk, id) => {
          streamId = id;
          if (chunk.events.some((e) => e.type === 'tool-result'))
            throw Object.assign(new Error('network down'), { $retryable: {} });
        },
      })
      .then(
        () => 'completed',
        (error: unknown) => (error as Error).name,
      );
    expect(first).toBe('RetryableRunError');
    expect(runs).toEqual(['Rome']);
    const second = await harness.run(input, { tools, streamId });
    expect(second.outcome).toBe('completed');
    expect(second.record.attempt).toBe(2);
    expect(runs).toEqual(['Rome']);
    expect(eventsOf(second.chunks).find((e) => e.type === 'tool-result')).toMatchObject({
      output: { city: 'Rome', temperatureC: 21 },
    });
    expect(textOf(second.chunks)).toContain('get_weather returned');
  });
});

describe('reasoning and guardrail', () => {
  it('streams reasoning and its signature before the answer', async () => {
    const { chunks } = await harness.run({
      modelId: SONNET_37,
      prompt: 'think about it',
      thinking: { budgetTokens: 1024 },
      inferenceConfig: { maxTokens: 2048 },
    });
    const events = eventsOf(chunks);
    const reasoning = events.filter((e) => e.type === 'reasoning');
    expect(reasoning.length).toBeGreaterThan(0);
    const firstText = events.findIndex((e) => e.type === 'text');
    const signature = events.findIndex((e) => e.type === 'reasoning-signature');
    expect(signature).toBeGreaterThan(events.findIndex((e) => e.type === 'reasoning'));
    expect(firstText).toBeGreaterThan(signature);
    // No step events without tools.
    expect(events.some((e) => e.type === 'step-start')).toBe(false);
  });

  it('sends reasoning back with its signature when a tool loop continues', async () => {
    const runs: string[] = [];
    const { chunks, outcome } = await harness.run(
      {
        modelId: SONNET_37,
        prompt: 'get_weather city="Lima"',
        thinking: { budgetTokens: 1024 },
        inferenceConfig: { maxTokens: 2048 },
      },
      { tools: [weatherTool(runs)] },
    );
    expect(outcome).toBe('completed');
    expect(runs).toEqual(['Lima']);
    expect(eventsOf(chunks).at(-1)).toMatchObject({ type: 'end', stopReason: 'end_turn' });
  });

  it.each(['CONVERSE', 'INVOKE_MODEL'] as const)(
    'passes the guardrail from the environment over %s (the local guardrail intervenes)',
    async (api) => {
      const env = { GUARDRAIL_ID: 'gr-1', GUARDRAIL_VERSION: '1', GUARDRAIL_STREAM_MODE: 'async' };
      const { chunks } = await harness.run(
        { modelId: HAIKU, api, prompt: 'hello [[guardrail:input]]' },
        { env },
      );
      expect(eventsOf(chunks).at(-1)).toMatchObject({
        type: 'end',
        stopReason: 'guardrail_intervened',
      });
    },
  );

  it('passes the guardrail from the environment (the local guardrail intervenes)', async () => {
    const { chunks } = await harness.run(
      { modelId: HAIKU, prompt: 'hello [[guardrail:input]]' },
      { env: { GUARDRAIL_ID: 'gr-1', GUARDRAIL_VERSION: '1', GUARDRAIL_TRACE: 'enabled' } },
    );
    expect(eventsOf(chunks).at(-1)).toMatchObject({
      type: 'end',
      stopReason: 'guardrail_intervened',
    });
    const without = await harness.run({ modelId: HAIKU, prompt: 'hello [[guardrail:input]]' });
    expect(eventsOf(without.chunks).at(-1)).toMatchObject({ stopReason: 'end_turn' });
  });
});
