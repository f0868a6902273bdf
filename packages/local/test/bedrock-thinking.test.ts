import {
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ValidationException,
  type BedrockRuntimeClient,
  type ContentBlock,
  type ConverseStreamCommandInput,
  type Message,
} from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  REASONING_TOKENS,
  REDACTED_THINKING_TRIGGER,
  deterministicAnthropicAnswer,
  deterministicConverseAnswer,
  startBedrockServer,
  verifyReasoningSignature,
  type BedrockServer,
} from '../src/index.js';
import {
  anthropicBlocks,
  collectConverse,
  collectInvoke,
  converseBlocks,
  rejection,
  sdkClient,
} from './bedrock-helpers.js';

const MODEL = 'global.anthropic.claude-sonnet-4-5-20250929-v1:0';
const OLD_MODEL = 'anthropic.claude-3-haiku-20240307-v1:0';
/** The SDK's JSON document type (what `additionalModelRequestFields` takes). */
type Document = ConverseStreamCommandInput['additionalModelRequestFields'];
const THINKING: Document = { thinking: { type: 'enabled', budget_tokens: 2048 } };

const user = (text: string): Message => ({ role: 'user', content: [{ text }] });

describe('bedrock endpoint: extended thinking (real SDK)', () => {
  let server: BedrockServer;
  let client: BedrockRuntimeClient;
  beforeAll(async () => {
    server = await startBedrockServer({ port: 0, outputTokens: 10 });
    client = sdkClient(server.url);
  });
  afterAll(async () => {
    client.destroy();
    await server.close();
  });

  it('ConverseStream: reasoningContent text deltas, then the signature, then the answer', async () => {
    const input = {
      modelId: MODEL,
      messages: [user('Why is the sky blue?')],
      inferenceConfig: { maxTokens: 4000 },
      additionalModelRequestFields: THINKING,
    };
    const out = await client.send(new ConverseStreamCommand(input));
    const { events, text } = await collectConverse(out.stream);
    const blocks = converseBlocks(events);
    expect(blocks.map((b) => b.kind)).toEqual(['reasoning', 'text']);
    const reasoning = blocks[0];
    expect(reasoning?.text.split(' ')).toHaveLength(REASONING_TOKENS);
    expect(verifyReasoningSignature(reasoning?.text ?? '', reasoning?.signature ?? '')).toBe(true);
    // Every reasoning text delta precedes the signature delta, which precedes any answer text.
    const kinds = events
      .filter((e) => e.contentBlockDelta)
      .map((e) => {
        const d = e.contentBlockDelta?.delta;
        return d?.reasoningContent?.signature
          ? 'signature'
          : d?.reasoningContent
            ? 'reasoning'
            : 'text';
      });
    expect(kinds.indexOf('signature')).toBe(REASONING_TOKENS);
    expect(kinds.lastIndexOf('reasoning')).toBeLessThan(kinds.indexOf('signature'));
    expect(kinds.indexOf('text')).toBe(REASONING_TOKENS + 1);
    const expected = deterministicConverseAnswer(input, { outputTokens: 10 });
    expect(text).toBe(expected.text);
    expect(events.at(-1)?.metadata?.usage?.outputTokens).toBe(REASONING_TOKENS + 10);
  });

  it('InvokeModelWithResponseStream: thinking block with thinking_delta and signature_delta', async () => {
    const body = {
      anthropic_version: 'bedrock-2023-05-31',
      max_tokens: 4000,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      messages: [{ role: 'user', content: 'Why is the sky blue?' }],
    };
    const out = await client.send(
      new InvokeModelWithResponseStreamCommand({ modelId: MODEL, body: JSON.stringify(body) }),
    );
    const { events, text } = await collectInvoke(out.body);
    const blocks = anthropicBlocks(events);
    expect(blocks.map((b) => b.kind)).toEqual(['reasoning', 'text']);
    expect(verifyReasoningSignature(blocks[0]?.text ?? '', blocks[0]?.signature ?? '')).toBe(true);
    const deltaTypes = events
      .filter((e) => e.type === 'content_block_delta' && e.index === 0)
      .map((e) => (e.delta as { type: string }).type);
    expect(deltaTypes.at(-1)).toBe('signature_delta');
    expect(new Set(deltaTypes.slice(0, -1))).toEqual(new Set(['thinking_delta']));
    expect(text).toBe(deterministicAnthropicAnswer(body, { outputTokens: 10 }).text);
  });

  it('redacted reasoning: Anthropic trigger string or [[thinking:redacted]], on both APIs', async () => {
    const stream = await client.send(
      new ConverseStreamCommand({
        modelId: MODEL,
        messages: [user(`Hello ${REDACTED_THINKING_TRIGGER}`)],
        additionalModelRequestFields: THINKING,
      }),
    );
    const blocks = converseBlocks((await collectConverse(stream.stream)).events);
    expect(blocks.map((b) => b.kind)).toEqual(['redacted', 'reasoning', 'text']);
    expect(blocks[0]?.redacted).toBeInstanceOf(Uint8Array);
    expect((blocks[0]?.redacted as Uint8Array).length).toBeGreaterThan(32);

    const native = await client.send(
      new InvokeModelWithResponseStreamCommand({
        modelId: MODEL,
        body: JSON.stringify({
          anthropic_version: 'bedrock-2023-05-31',
          max_tokens: 4000,
          thinking: { type: 'enabled', budget_tokens: 1024 },
          messages: [{ role: 'user', content: 'Hello [[thinking:redacted]]' }],
        }),
      }),
    );
    const nb = anthropicBlocks((await collectInvoke(native.body)).events);
    expect(nb.map((b) => b.kind)).toEqual(['redacted', 'reasoning', 'text']);
    expect(typeof nb[0]?.redacted).toBe('string');

    // Converse (non-streaming) carries it as reasoningContent.redactedContent bytes.
    const whole = await client.send(
      new ConverseCommand({
        modelId: MODEL,
        messages: [user(`Hi ${REDACTED_THINKING_TRIGGER}`)],
        additionalModelRequestFields: THINKING,
      }),
    );
    const content = whole.output?.message?.content ?? [];
    expect(content[0]?.reasoningContent?.redactedContent).toBeInstanceOf(Uint8Array);
    expect(content[1]?.reasoningContent?.reasoningText?.signature).toBeTruthy();
  });

  it('models without extended thinking answer with the ValidationException Bedrock gives', async () => {
    const converse = await rejection(
      client.send(
        new ConverseStreamCommand({
          modelId: OLD_MODEL,
          messages: [user('x')],
          additionalModelRequestFields: THINKING,
        }),
      ),
    );
    expect(converse).toBeInstanceOf(ValidationException);
    expect(converse.message).toBe(
      'The model returned the following errors: thinking: Extra inputs are not permitted',
    );
    const native = await rejection(
      client.send(
        new InvokeModelWithResponseStreamCommand({
          modelId: OLD_MODEL,
          body: JSON.stringify({
            anthropic_version: 'bedrock-2023-05-31',
            max_tokens: 2000,
            thinking: { type: 'enabled', budget_tokens: 1024 },
            messages: [{ role: 'user', content: 'x' }],
          }),
        }),
      ),
    );
    expect(native).toBeInstanceOf(ValidationException);
    expect(native.message).toBe(
      'Malformed input request: #: extraneous key [thinking] is not permitted, please reformat your input and try again.',
    );
    const nova = await rejection(
      client.send(
        new ConverseCommand({
          modelId: 'amazon.nova-lite-v1:0',
          messages: [user('x')],
          additionalModelRequestFields: THINKING,
        }),
      ),
    );
    expect(nova.message).toMatch(/extraneous key \[thinking\] is not permitted/);
  });

  it('thinking constraints: budget minimum, max_tokens above budget, temperature, forced tools', async () => {
    const send = (extra: object, fields: Document = THINKING): Promise<unknown> =>
      client.send(
        new ConverseStreamCommand({
          modelId: MODEL,
          messages: [user('x')],
          additionalModelRequestFields: fields,
          ...extra,
        }),
      );
    expect(
      (await rejection(send({}, { thinking: { type: 'enabled', budget_tokens: 500 } }))).message,
    ).toMatch(/budget_tokens: Input should be greater than or equal to 1024/);
    expect((await rejection(send({ inferenceConfig: { maxTokens: 2048 } }))).message).toMatch(
      /`max_tokens` must be greater than `thinking.budget_tokens`/,
    );
    expect((await rejection(send({ inferenceConfig: { temperature: 0.2 } }))).message).toMatch(
      /`temperature` may only be set to 1 when thinking is enabled/,
    );
    const forced = await rejection(
      send({
        toolConfig: {
          tools: [{ toolSpec: { name: 't', inputSchema: { json: { type: 'object' } } } }],
          toolChoice: { any: {} },
        },
      }),
    );
    expect(forced.message).toBe(
      'The model returned the following errors: Thinking may not be enabled when tool_choice forces tool use.',
    );
  });

  it('reasoning round-trips with tool use; a missing or tampered thinking block is rejected', async () => {
    const toolConfig = {
      tools: [
        {
          toolSpec: {
            name: 'lookup',
            inputSchema: { json: { type: 'object', properties: { q: { type: 'string' } } } },
          },
        },
      ],
    };
    const first = await client.send(
      new ConverseCommand({
        modelId: MODEL,
        messages: [user('please lookup q=tides')],
        additionalModelRequestFields: THINKING,
        toolConfig,
      }),
    );
    expect(first.stopReason).toBe('tool_use');
    const assistant = first.output?.message as Message;
    const content = assistant.content as ContentBlock[];
    expect(Object.keys(content[0] ?? {})).toEqual(['reasoningContent']);
    const call = content.find((c) => c.toolUse)?.toolUse;
    expect(call?.input).toEqual({ q: 'tides' });
    const result: Message = {
      role: 'user',
      content: [
        { toolResult: { toolUseId: call?.toolUseId, content: [{ text: 'high at noon' }] } },
      ],
    };
    const base = { modelId: MODEL, additionalModelRequestFields: THINKING, toolConfig };
    const ok = await client.send(
      new ConverseStreamCommand({
        ...base,
        messages: [user('please lookup q=tides'), assistant, result],
      }),
    );
    const { text } = await collectConverse(ok.stream);
    expect(text).toContain('lookup returned high at noon.');

    const withoutThinking: Message = {
      role: 'assistant',
      content: content.filter((c) => !c.reasoningContent),
    };
    const missing = await rejection(
      client.send(
        new ConverseStreamCommand({
          ...base,
          messages: [user('please lookup q=tides'), withoutThinking, result],
        }),
      ),
    );
    expect(missing.message).toMatch(
      /messages\.1\.content\.0\.type: Expected `thinking` or `redacted_thinking`, but found `text`/,
    );
    const tampered: Message = {
      role: 'assistant',
      content: content.map((c) =>
        c.reasoningContent?.reasoningText
          ? {
              reasoningContent: {
                reasoningText: { ...c.reasoningContent.reasoningText, text: 'edited' },
              },
            }
          : c,
      ),
    };
    const bad = await rejection(
      client.send(
        new ConverseStreamCommand({
          ...base,
          messages: [user('please lookup q=tides'), tampered, result],
        }),
      ),
    );
    expect(bad.message).toBe(
      'The model returned the following errors: messages.1.content.0: Invalid `signature` in `thinking` block',
    );
  });

  it('InvokeModel (non-streaming) returns thinking and text blocks', async () => {
    const out = await client.send(
      new InvokeModelCommand({
        modelId: MODEL,
        body: JSON.stringify({
          anthropic_version: 'bedrock-2023-05-31',
          max_tokens: 3000,
          thinking: { type: 'enabled', budget_tokens: 1024 },
          messages: [{ role: 'user', content: 'hi' }],
        }),
      }),
    );
    const msg = JSON.parse(new TextDecoder().decode(out.body)) as {
      content: Array<{ type: string; thinking?: string; signature?: string }>;
    };
    expect(msg.content.map((c) => c.type)).toEqual(['thinking', 'text']);
    expect(
      verifyReasoningSignature(msg.content[0]?.thinking ?? '', msg.content[0]?.signature ?? ''),
    ).toBe(true);
  });
});
