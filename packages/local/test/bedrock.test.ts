import {
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  type BedrockRuntimeClient,
} from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MARKDOWN_SAMPLE,
  deterministicAnswer,
  startBedrockServer,
  type BedrockServer,
} from '../src/index.js';
import { anthropicBody, collectConverse, collectInvoke, sdkClient } from './bedrock-helpers.js';

const MODEL = 'anthropic.claude-3-haiku-20240307-v1:0';

describe('bedrock endpoint: four operations with the real SDK', () => {
  let server: BedrockServer;
  let client: BedrockRuntimeClient;
  beforeAll(async () => {
    server = await startBedrockServer({ port: 0, outputTokens: 20 });
    client = sdkClient(server.url);
  });
  afterAll(async () => {
    client.destroy();
    await server.close();
  });

  it('deterministicAnswer is a pure function of the prompt', () => {
    const a = deterministicAnswer('Tell me about rivers', { outputTokens: 20 });
    const b = deterministicAnswer('Tell me about rivers', { outputTokens: 20 });
    const c = deterministicAnswer('Tell me about lakes', { outputTokens: 20 });
    expect(a).toEqual(b);
    expect(a.text).not.toEqual(c.text);
    expect(a.tokens).toHaveLength(20);
    expect(a.tokens.join('')).toBe(a.text);
    expect(a.stopReason).toBe('end_turn');
    // Fault/tokens markers do not change the text.
    expect(
      deterministicAnswer('Tell me about rivers [[fault:drop:after=3]]', { outputTokens: 20 }).text,
    ).toBe(a.text);
  });

  it('ConverseStream reassembles to the deterministic text with usage and metrics', async () => {
    const prompt = 'Explain event streams';
    const expected = deterministicAnswer(prompt, { outputTokens: 20 });
    const out = await client.send(
      new ConverseStreamCommand({
        modelId: MODEL,
        messages: [{ role: 'user', content: [{ text: prompt }] }],
      }),
    );
    const { events, text } = await collectConverse(out.stream);
    expect(text).toBe(expected.text);
    expect(events[0]?.messageStart?.role).toBe('assistant');
    const kinds = events.map((e) => Object.keys(e).find((k) => k !== '$unknown'));
    expect(kinds.slice(-3)).toEqual(['contentBlockStop', 'messageStop', 'metadata']);
    const stop = events.find((e) => e.messageStop)?.messageStop;
    expect(stop?.stopReason).toBe('end_turn');
    const meta = events.at(-1)?.metadata;
    expect(meta?.usage).toEqual({
      inputTokens: expected.inputTokens,
      outputTokens: 20,
      totalTokens: expected.inputTokens + 20,
    });
    expect(typeof meta?.metrics?.latencyMs).toBe('number');
  });

  it('Converse returns the same text, usage and metrics', async () => {
    const prompt = 'Explain event streams';
    const expected = deterministicAnswer(prompt, { outputTokens: 20 });
    const out = await client.send(
      new ConverseCommand({
        modelId: MODEL,
        messages: [{ role: 'user', content: [{ text: prompt }] }],
      }),
    );
    expect(out.output?.message?.content?.[0]?.text).toBe(expected.text);
    expect(out.stopReason).toBe('end_turn');
    expect(out.usage?.outputTokens).toBe(20);
    expect(out.usage?.inputTokens).toBe(expected.inputTokens);
    expect(typeof out.metrics?.latencyMs).toBe('number');
  });

  it('InvokeModelWithResponseStream carries the Anthropic stream in chunk bytes', async () => {
    const prompt = 'Native body please';
    const expected = deterministicAnswer(prompt, { outputTokens: 20 });
    const out = await client.send(
      new InvokeModelWithResponseStreamCommand({
        modelId: MODEL,
        contentType: 'application/json',
        accept: 'application/json',
        body: anthropicBody(prompt),
      }),
    );
    expect(out.contentType).toBe('application/json');
    const { events, text } = await collectInvoke(out.body);
    expect(text).toBe(expected.text);
    expect(events.map((e) => e.type)).toEqual([
      'message_start',
      'content_block_start',
      ...expected.tokens.map(() => 'content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const delta = events.at(-2) as {
      delta: { stop_reason: string };
      usage: { output_tokens: number };
    };
    expect(delta.delta.stop_reason).toBe('end_turn');
    expect(delta.usage.output_tokens).toBe(20);
    const metrics = events.at(-1)?.['amazon-bedrock-invocationMetrics'] as Record<string, number>;
    expect(metrics.inputTokenCount).toBe(expected.inputTokens);
    expect(metrics.outputTokenCount).toBe(20);
    expect(typeof metrics.invocationLatency).toBe('number');
    expect(typeof metrics.firstByteLatency).toBe('number');
  });

  it('InvokeModel returns an Anthropic message', async () => {
    const prompt = 'Native body please';
    const expected = deterministicAnswer(prompt, { outputTokens: 20 });
    const out = await client.send(
      new InvokeModelCommand({
        modelId: MODEL,
        contentType: 'application/json',
        body: anthropicBody(prompt),
      }),
    );
    const msg = JSON.parse(new TextDecoder().decode(out.body)) as {
      content: Array<{ text: string }>;
      stop_reason: string;
      usage: { input_tokens: number; output_tokens: number };
    };
    expect(msg.content[0]?.text).toBe(expected.text);
    expect(msg.stop_reason).toBe('end_turn');
    expect(msg.usage).toEqual({ input_tokens: expected.inputTokens, output_tokens: 20 });
  });

  it('maxTokens stops with max_tokens in every operation', async () => {
    const prompt = 'Say a lot';
    const expected = deterministicAnswer(prompt, { outputTokens: 20, maxTokens: 5 });
    expect(expected.stopReason).toBe('max_tokens');
    expect(expected.outputTokens).toBe(5);
    const stream = await client.send(
      new ConverseStreamCommand({
        modelId: MODEL,
        messages: [{ role: 'user', content: [{ text: prompt }] }],
        inferenceConfig: { maxTokens: 5 },
      }),
    );
    const c = await collectConverse(stream.stream);
    expect(c.text).toBe(expected.text);
    expect(c.events.find((e) => e.messageStop)?.messageStop?.stopReason).toBe('max_tokens');
    expect(c.events.at(-1)?.metadata?.usage?.outputTokens).toBe(5);

    const conv = await client.send(
      new ConverseCommand({
        modelId: MODEL,
        messages: [{ role: 'user', content: [{ text: prompt }] }],
        inferenceConfig: { maxTokens: 5 },
      }),
    );
    expect(conv.stopReason).toBe('max_tokens');

    const inv = await client.send(
      new InvokeModelWithResponseStreamCommand({ modelId: MODEL, body: anthropicBody(prompt, 5) }),
    );
    const i = await collectInvoke(inv.body);
    expect(i.text).toBe(expected.text);
    expect((i.events.at(-2)?.delta as { stop_reason: string }).stop_reason).toBe('max_tokens');
  });

  it('stop sequences stop with stop_sequence', async () => {
    const prompt = 'Stop somewhere';
    const full = deterministicAnswer(prompt, { outputTokens: 20 });
    const seq = full.tokens[6]?.trim() ?? '';
    const expected = deterministicAnswer(prompt, { outputTokens: 20, stopSequences: [seq] });
    expect(expected.stopReason).toBe('stop_sequence');
    const out = await client.send(
      new ConverseCommand({
        modelId: MODEL,
        messages: [{ role: 'user', content: [{ text: prompt }] }],
        inferenceConfig: { stopSequences: [seq] },
      }),
    );
    expect(out.stopReason).toBe('stop_sequence');
    expect(out.output?.message?.content?.[0]?.text).toBe(expected.text);
    expect(expected.text.includes(seq)).toBe(false);

    const inv = await client.send(
      new InvokeModelCommand({
        modelId: MODEL,
        body: anthropicBody(prompt, 100, { stop_sequences: [seq] }),
      }),
    );
    const msg = JSON.parse(new TextDecoder().decode(inv.body)) as {
      stop_reason: string;
      stop_sequence: string;
    };
    expect(msg).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: seq });
  });

  it('multi-turn conversations with system prompts match deterministicAnswer', async () => {
    const conversation = {
      system: 'Be brief.',
      messages: [
        { role: 'user' as const, content: 'Hi' },
        { role: 'assistant' as const, content: 'Hello!' },
        { role: 'user' as const, content: 'Tell me more [[tokens:7]]' },
      ],
    };
    const expected = deterministicAnswer(conversation, { outputTokens: 20 });
    expect(expected.outputTokens).toBe(7);
    const out = await client.send(
      new ConverseCommand({
        modelId: MODEL,
        system: [{ text: 'Be brief.' }],
        messages: conversation.messages.map((m) => ({
          role: m.role,
          content: [{ text: m.content }],
        })),
      }),
    );
    expect(out.output?.message?.content?.[0]?.text).toBe(expected.text);
    const inv = await client.send(
      new InvokeModelCommand({
        modelId: MODEL,
        body: JSON.stringify({
          anthropic_version: 'bedrock-2023-05-31',
          max_tokens: 100,
          system: 'Be brief.',
          messages: conversation.messages,
        }),
      }),
    );
    const msg = JSON.parse(new TextDecoder().decode(inv.body)) as {
      content: Array<{ text: string }>;
    };
    expect(msg.content[0]?.text).toBe(expected.text);
  });

  it('InvokeModel* with a Nova native body on amazon.nova-lite-v1:0', async () => {
    const prompt = 'Nova please';
    const expected = deterministicAnswer(prompt, { outputTokens: 20, maxTokens: 8 });
    const body = JSON.stringify({
      schemaVersion: 'messages-v1',
      messages: [{ role: 'user', content: [{ text: prompt }] }],
      inferenceConfig: { maxTokens: 8 },
    });
    const out = await client.send(
      new InvokeModelWithResponseStreamCommand({ modelId: 'amazon.nova-lite-v1:0', body }),
    );
    const events: Array<Record<string, { delta?: { text: string }; stopReason?: string }>> = [];
    for await (const part of out.body ?? []) {
      if (part.chunk?.bytes) events.push(JSON.parse(new TextDecoder().decode(part.chunk.bytes)));
    }
    const text = events.map((e) => e.contentBlockDelta?.delta?.text ?? '').join('');
    expect(text).toBe(expected.text);
    expect(events.find((e) => e.messageStop)?.messageStop?.stopReason).toBe('max_tokens');
    expect(events.at(-1)?.['amazon-bedrock-invocationMetrics']).toMatchObject({
      outputTokenCount: 8,
    });
    const plain = await client.send(
      new InvokeModelCommand({ modelId: 'amazon.nova-lite-v1:0', body }),
    );
    const msg = JSON.parse(new TextDecoder().decode(plain.body)) as {
      output: { message: { content: Array<{ text: string }> } };
      stopReason: string;
    };
    expect(msg.output.message.content[0]?.text).toBe(expected.text);
    expect(msg.stopReason).toBe('max_tokens');
  });

  it('local.echo-v1 echoes the last user message and inference-profile ids resolve', async () => {
    const out = await client.send(
      new ConverseCommand({
        modelId: 'local.echo-v1',
        messages: [{ role: 'user', content: [{ text: 'ping pong' }] }],
      }),
    );
    expect(out.output?.message?.content?.[0]?.text).toBe(
      deterministicAnswer('ping pong', { modelId: 'local.echo-v1', outputTokens: 20 }).text,
    );
    expect(out.output?.message?.content?.[0]?.text?.startsWith('ping pong ping')).toBe(true);
    const profile = await client.send(
      new ConverseCommand({
        modelId: 'us.anthropic.claude-3-5-sonnet-20240620-v1:0',
        messages: [{ role: 'user', content: [{ text: 'x' }] }],
      }),
    );
    expect(profile.stopReason).toBe('end_turn');
  });

  it('[[format:markdown]] answers with the Markdown sample, newlines and all', async () => {
    const out = await client.send(
      new ConverseCommand({
        modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
        messages: [{ role: 'user', content: [{ text: 'Show me [[format:markdown]]' }] }],
      }),
    );
    expect(out.output?.message?.content?.[0]?.text).toBe(MARKDOWN_SAMPLE);
    expect(out.stopReason).toBe('end_turn');
  });
});

describe('bedrock endpoint: streaming is real', () => {
  it('with 50 tokens/s events arrive spread out, in order', async () => {
    const server = await startBedrockServer({ port: 0, tokensPerSecond: 50, outputTokens: 15 });
    const client = sdkClient(server.url);
    try {
      const prompt = 'Stream slowly';
      const started = performance.now();
      const out = await client.send(
        new ConverseStreamCommand({
          modelId: MODEL,
          messages: [{ role: 'user', content: [{ text: prompt }] }],
        }),
      );
      const headersAt = performance.now();
      const { events, times, text } = await collectConverse(out.stream);
      expect(text).toBe(deterministicAnswer(prompt, { outputTokens: 15 }).text);
      const deltaTimes = events
        .map((e, i) => (e.contentBlockDelta ? times[i] : undefined))
        .filter((t): t is number => t !== undefined);
      expect(deltaTimes).toHaveLength(15);
      // Arrival times are non-decreasing and spread over many distinct moments (not one burst).
      for (let i = 1; i < times.length; i++)
        expect(times[i]).toBeGreaterThanOrEqual(times[i - 1] as number);
      const distinct = new Set(deltaTimes.map((t) => Math.round(t))).size;
      // Generous bound: under CPU contention a few frames may share one read, but never most.
      expect(distinct).toBeGreaterThanOrEqual(5);
      // The command resolved (headers) before the first token, and the first token came before the last.
      expect(headersAt).toBeLessThan(deltaTimes[0] as number);
      expect(deltaTimes[0]).toBeLessThan(deltaTimes.at(-1) as number);
      expect(started).toBeLessThan(headersAt);
    } finally {
      client.destroy();
      await server.close();
    }
  });
});
