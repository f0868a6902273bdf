import { createAmazonBedrock, type AmazonBedrockProvider } from '@ai-sdk/amazon-bedrock';
import { stepCountIs, streamText, tool, type TextStreamPart, type ToolSet } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  GUARDRAIL_BLOCKED_MESSAGE,
  REASONING_TOKENS,
  REDACTED_THINKING_TRIGGER,
  startBedrockServer,
  type BedrockServer,
} from '../src/index.js';

const MODEL = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';

const weather = tool({
  description: 'Weather forecast for a city',
  inputSchema: z.object({
    city: z.string().min(2),
    unit: z.enum(['celsius', 'fahrenheit']),
    days: z.number().int().min(1).max(7),
  }),
  execute: ({ city }) => Promise.resolve({ city, temperature: 18, sky: 'clear' }),
});
const time = tool({
  description: 'Current time in a zone',
  inputSchema: z.object({ zone: z.string() }),
  execute: ({ zone }) => Promise.resolve({ zone, time: '12:00' }),
});
const tools = { get_weather: weather, get_time: time };

async function parts<T extends ToolSet>(
  stream: AsyncIterable<TextStreamPart<T>>,
): Promise<Array<TextStreamPart<T>>> {
  const out: Array<TextStreamPart<T>> = [];
  for await (const part of stream) out.push(part);
  return out;
}

describe('bedrock endpoint: the Vercel AI SDK Bedrock provider (streamText)', () => {
  let server: BedrockServer;
  let bedrock: AmazonBedrockProvider;
  beforeAll(async () => {
    server = await startBedrockServer({
      port: 0,
      outputTokens: 8,
      // The provider signs with SigV4 (aws4fetch); the endpoint checks it for real.
      verifySigV4: { credentials: [{ accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' }] },
    });
    bedrock = createAmazonBedrock({
      baseURL: server.url,
      region: 'us-east-1',
      accessKeyId: 'AKIDLOCAL',
      secretAccessKey: 'local-secret',
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it('tools with toolChoice auto: calls the named tool, runs it, answers with the result', async () => {
    const result = streamText({
      model: bedrock(MODEL),
      prompt: 'What is the weather? Use get_weather with city=Paris',
      tools,
      toolChoice: 'auto',
      stopWhen: stepCountIs(3),
    });
    const all = await parts(result.fullStream);
    const calls = all.filter((p) => p.type === 'tool-call');
    expect(calls.map((c) => c.toolName)).toEqual(['get_weather']);
    const input = calls[0]?.input as { city: string; unit: string; days: number };
    expect(input.city).toBe('Paris');
    expect(['celsius', 'fahrenheit']).toContain(input.unit);
    // The input streamed in several partial-JSON deltas.
    expect(all.filter((p) => p.type === 'tool-input-delta').length).toBeGreaterThan(1);
    expect(all.filter((p) => p.type === 'tool-result')).toHaveLength(1);
    const steps = await result.steps;
    expect(steps.map((s) => s.finishReason)).toEqual(['tool-calls', 'stop']);
    expect(await result.text).toContain(
      'get_weather returned {"city":"Paris","temperature":18,"sky":"clear"}.',
    );
  });

  it('toolChoice required and a specific tool force the call', async () => {
    const required = streamText({
      model: bedrock(MODEL),
      prompt: 'Just say hello',
      tools,
      toolChoice: 'required',
    });
    const r = await parts(required.fullStream);
    expect(r.filter((p) => p.type === 'tool-call').map((p) => p.toolName)).toEqual(['get_weather']);
    expect(r.some((p) => p.type === 'text-delta')).toBe(false);
    expect(await required.finishReason).toBe('tool-calls');

    const specific = streamText({
      model: bedrock(MODEL),
      prompt: 'What time is it in zone=UTC? (not get_weather)',
      tools,
      toolChoice: { type: 'tool', toolName: 'get_time' },
    });
    const s = await parts(specific.fullStream);
    const call = s.find((p) => p.type === 'tool-call');
    expect(call?.toolName).toBe('get_time');
    expect(call?.input).toEqual({ zone: 'UTC' });
  });

  it('reasoning provider options stream reasoning with its signature before the answer', async () => {
    const result = streamText({
      model: bedrock(MODEL),
      prompt: 'Why is the sea salty?',
      providerOptions: { bedrock: { reasoningConfig: { type: 'enabled', budgetTokens: 1024 } } },
    });
    const all = await parts(result.fullStream);
    const firstReasoning = all.findIndex((p) => p.type === 'reasoning-delta');
    const firstText = all.findIndex((p) => p.type === 'text-delta');
    expect(firstReasoning).toBeGreaterThanOrEqual(0);
    expect(firstReasoning).toBeLessThan(firstText);
    const reasoning = await result.reasoningText;
    expect(reasoning?.split(' ')).toHaveLength(REASONING_TOKENS);
    const signed = all.find(
      (p) => p.type === 'reasoning-delta' && p.providerMetadata?.bedrock?.signature !== undefined,
    );
    expect(signed).toBeDefined();
    expect((await result.text).length).toBeGreaterThan(0);
    expect((await result.usage).outputTokens).toBe(REASONING_TOKENS + 8);
  });

  it('reasoning with tools over several steps sends the signed reasoning back and is accepted', async () => {
    const result = streamText({
      model: bedrock(MODEL),
      prompt: 'Think, then use get_time with zone=CET',
      tools,
      stopWhen: stepCountIs(3),
      providerOptions: { bedrock: { reasoningConfig: { type: 'enabled', budgetTokens: 2048 } } },
    });
    const steps = await result.steps;
    expect(steps.map((s) => s.finishReason)).toEqual(['tool-calls', 'stop']);
    expect(steps[0]?.reasoningText?.length).toBeGreaterThan(0);
    expect(await result.text).toContain('get_time returned {"zone":"CET","time":"12:00"}.');
  });

  it('redacted reasoning reaches the provider metadata; a guardrail intervention is a content-filter finish', async () => {
    const redacted = streamText({
      model: bedrock(MODEL),
      prompt: `Hello ${REDACTED_THINKING_TRIGGER}`,
      providerOptions: { bedrock: { reasoningConfig: { type: 'enabled', budgetTokens: 1024 } } },
    });
    const all = await parts(redacted.fullStream);
    const end = all.find(
      (p) =>
        p.type === 'reasoning-end' && p.providerMetadata?.bedrock?.redactedContent !== undefined,
    );
    expect(end).toBeDefined();

    const guarded = streamText({
      model: bedrock(MODEL),
      prompt: 'secret plans [[guardrail:input]]',
      providerOptions: {
        bedrock: {
          guardrailConfig: {
            guardrailIdentifier: 'gr-local',
            guardrailVersion: '1',
            trace: 'enabled',
          },
        },
      },
    });
    expect(await guarded.text).toBe(GUARDRAIL_BLOCKED_MESSAGE);
    expect(await guarded.finishReason).toBe('content-filter');
    const meta = (await guarded.providerMetadata)?.bedrock as
      { trace?: { guardrail?: object } } | undefined;
    expect(meta?.trace?.guardrail).toHaveProperty('inputAssessment');
  });

  it('a thinking request on a model without it surfaces the Bedrock ValidationException', async () => {
    const result = streamText({
      model: bedrock('anthropic.claude-3-haiku-20240307-v1:0'),
      prompt: 'hi',
      // The error is asserted from the stream; keep streamText from also logging it.
      onError: () => undefined,
      providerOptions: { bedrock: { reasoningConfig: { type: 'enabled', budgetTokens: 1024 } } },
    });
    const all = await parts(result.fullStream);
    const error = all.find((p) => p.type === 'error');
    expect(String((error as { error: unknown } | undefined)?.error)).toMatch(
      /thinking: Extra inputs are not permitted/,
    );
  });
});
