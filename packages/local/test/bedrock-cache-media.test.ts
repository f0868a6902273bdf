import {
  AccessDeniedException,
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ValidationException,
  type BedrockRuntimeClient,
  type ContentBlock,
} from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEDIA_LIMITS, startBedrockServer, type BedrockServer } from '../src/index.js';
import {
  collectConverse,
  collectInvoke,
  pngOfSize,
  rejection,
  sdkClient,
} from './bedrock-helpers.js';

const SONNET = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
// ~1500 tokens of system prompt: above Sonnet 4.5's 1024-token cache minimum.
const LONG_SYSTEM = 'You are a careful assistant who answers briefly. '.repeat(120);

describe('bedrock endpoint: prompt caching (real SDK)', () => {
  let server: BedrockServer;
  let client: BedrockRuntimeClient;
  beforeAll(async () => {
    server = await startBedrockServer({ port: 0, outputTokens: 6 });
    client = sdkClient(server.url);
  });
  afterAll(async () => {
    client.destroy();
    await server.close();
  });

  it('a cachePoint writes the prefix once, then reads it; usage and totals add up', async () => {
    const input = (question: string): ConstructorParameters<typeof ConverseStreamCommand>[0] => ({
      modelId: SONNET,
      system: [{ text: LONG_SYSTEM }, { cachePoint: { type: 'default' } }],
      messages: [{ role: 'user', content: [{ text: question }] }],
    });
    const first = await client.send(new ConverseStreamCommand(input('first question')));
    const u1 = (await collectConverse(first.stream)).events.at(-1)?.metadata?.usage;
    expect(u1?.cacheWriteInputTokens).toBeGreaterThan(1024);
    expect(u1?.cacheReadInputTokens).toBe(0);
    const second = await client.send(new ConverseStreamCommand(input('second question')));
    const u2 = (await collectConverse(second.stream)).events.at(-1)?.metadata?.usage;
    expect(u2?.cacheReadInputTokens).toBe(u1?.cacheWriteInputTokens);
    expect(u2?.cacheWriteInputTokens).toBe(0);
    // Cached tokens are not input tokens; the total counts everything.
    expect(u2?.inputTokens).toBeLessThan(20);
    expect(u2?.totalTokens).toBe(
      (u2?.inputTokens ?? 0) + (u2?.outputTokens ?? 0) + (u2?.cacheReadInputTokens ?? 0),
    );
    server.clearPromptCache();
    const third = await client.send(new ConverseCommand(input('third question')));
    expect(third.usage?.cacheWriteInputTokens).toBe(u1?.cacheWriteInputTokens);
  });

  it('a prefix under the model minimum is not cached; unsupported models and >4 checkpoints are refused', async () => {
    const short = await client.send(
      new ConverseCommand({
        modelId: SONNET,
        system: [{ text: 'short' }, { cachePoint: { type: 'default' } }],
        messages: [{ role: 'user', content: [{ text: 'q' }] }],
      }),
    );
    expect(short.usage).toMatchObject({ cacheReadInputTokens: 0, cacheWriteInputTokens: 0 });
    const unsupported = await rejection(
      client.send(
        new ConverseCommand({
          modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
          system: [{ text: LONG_SYSTEM }, { cachePoint: { type: 'default' } }],
          messages: [{ role: 'user', content: [{ text: 'q' }] }],
        }),
      ),
    );
    expect(unsupported).toBeInstanceOf(AccessDeniedException);
    expect(unsupported.message).toMatch(/did not allow prompt caching/);
    const five: ContentBlock[] = Array.from({ length: 5 }, (_, i) => [
      { text: `part ${i}` },
      { cachePoint: { type: 'default' } },
    ]).flat() as ContentBlock[];
    const tooMany = await rejection(
      client.send(
        new ConverseCommand({ modelId: SONNET, messages: [{ role: 'user', content: five }] }),
      ),
    );
    expect(tooMany.message).toMatch(
      /A maximum of 4 blocks with cache_control may be provided. Found 5./,
    );
  });

  it('the Anthropic body: cache_control gives cache_creation/read tokens and invocation metrics', async () => {
    const body = (q: string): string =>
      JSON.stringify({
        anthropic_version: 'bedrock-2023-05-31',
        max_tokens: 100,
        system: [
          { type: 'text', text: `${LONG_SYSTEM} native`, cache_control: { type: 'ephemeral' } },
        ],
        messages: [{ role: 'user', content: q }],
      });
    const first = await client.send(new InvokeModelCommand({ modelId: SONNET, body: body('one') }));
    const m1 = JSON.parse(new TextDecoder().decode(first.body)) as {
      usage: Record<string, number>;
    };
    expect(m1.usage.cache_creation_input_tokens).toBeGreaterThan(1024);
    expect(m1.usage.cache_read_input_tokens).toBe(0);
    const second = await client.send(
      new InvokeModelWithResponseStreamCommand({ modelId: SONNET, body: body('two') }),
    );
    const { events } = await collectInvoke(second.body);
    const start = events[0] as { message: { usage: Record<string, number> } };
    expect(start.message.usage.cache_read_input_tokens).toBe(m1.usage.cache_creation_input_tokens);
    const metrics = events.at(-1)?.['amazon-bedrock-invocationMetrics'] as Record<string, number>;
    expect(metrics.cacheReadInputTokenCount).toBe(m1.usage.cache_creation_input_tokens);
    expect(metrics.cacheWriteInputTokenCount).toBe(0);
  });
});

describe('bedrock endpoint: images and documents within Bedrock limits (real SDK)', () => {
  let server: BedrockServer;
  let client: BedrockRuntimeClient;
  beforeAll(async () => {
    server = await startBedrockServer({ port: 0, outputTokens: 6 });
    client = sdkClient(server.url);
  });
  afterAll(async () => {
    client.destroy();
    await server.close();
  });

  const ask = (content: ContentBlock[], modelId = SONNET): Promise<unknown> =>
    client.send(new ConverseCommand({ modelId, messages: [{ role: 'user', content }] }));
  const text: ContentBlock = { text: 'What is this?' };
  const image = (bytes: Uint8Array, format = 'png'): ContentBlock =>
    ({ image: { format, source: { bytes } } }) as ContentBlock;
  const pdf = (size = 64, name = 'Quarterly report (v2)'): ContentBlock =>
    ({
      document: {
        format: 'pdf',
        name,
        source: { bytes: Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(size)]) },
      },
    }) as ContentBlock;

  it('accepts images and documents; they count as input and change the answer', async () => {
    const plain = (await ask([text])) as {
      usage: { inputTokens: number };
      output: { message: { content: Array<{ text: string }> } };
    };
    const withMedia = (await ask([image(pngOfSize(750, 100)), pdf(), text])) as typeof plain;
    expect(withMedia.usage.inputTokens).toBeGreaterThan(plain.usage.inputTokens + 100);
    expect(withMedia.output.message.content[0]?.text).not.toBe(
      plain.output.message.content[0]?.text,
    );
    const stream = await client.send(
      new ConverseStreamCommand({
        modelId: SONNET,
        messages: [{ role: 'user', content: [image(pngOfSize(8000, 8000)), text] }],
      }),
    );
    expect((await collectConverse(stream.stream)).text.length).toBeGreaterThan(0);
    const native = await client.send(
      new InvokeModelCommand({
        modelId: SONNET,
        body: JSON.stringify({
          anthropic_version: 'bedrock-2023-05-31',
          max_tokens: 50,
          messages: [
            {
              role: 'user',
              content: [
                {
                  type: 'image',
                  source: {
                    type: 'base64',
                    media_type: 'image/png',
                    data: Buffer.from(pngOfSize(10, 10)).toString('base64'),
                  },
                },
                { type: 'text', text: 'describe' },
              ],
            },
          ],
        }),
      }),
    );
    expect(native.body.length).toBeGreaterThan(0);
  });

  it('clear validation errors beyond the limits', async () => {
    const cases: Array<[ContentBlock[], RegExp]> = [
      [[image(pngOfSize(8001, 10)), text], /8001x10 px; images can be at most 8000x8000 px/],
      [
        [image(pngOfSize(10, 10, MEDIA_LIMITS.maxImageBytes + 1)), text],
        /maximum image size is 3.75 MB/,
      ],
      [
        [image(pngOfSize(10, 10), 'bmp'), text],
        /Member must satisfy enum value set: \[png, jpeg, gif, webp\]/,
      ],
      [[image(Buffer.from('not an image')), text], /is not a valid png image/],
      [
        [...Array.from({ length: 21 }, () => image(pngOfSize(4, 4))), text],
        /at most 20 images; messages.0 has 21/,
      ],
      [[pdf(MEDIA_LIMITS.maxDocumentBytes), text], /maximum document size is 4.5 MB/],
      [[...Array.from({ length: 6 }, (_, i) => pdf(8, `doc ${i}`)), text], /at most 5 documents/],
      [[pdf(8, 'bad_name.pdf'), text], /can only contain alphanumeric characters/],
      [[pdf(8, 'two  spaces'), text], /no more than one in a row/],
      [[pdf()], /must also include a text block/],
    ];
    for (const [content, message] of cases) {
      const err = await rejection(ask(content));
      expect(err, String(message)).toBeInstanceOf(ValidationException);
      expect(err.message).toMatch(message);
    }
    const micro = await rejection(ask([image(pngOfSize(4, 4)), text], 'amazon.nova-micro-v1:0'));
    expect(micro.message).toMatch(/doesn't support the image content block/);
    const assistantImage = await rejection(
      client.send(
        new ConverseCommand({
          modelId: SONNET,
          messages: [
            { role: 'user', content: [text] },
            { role: 'assistant', content: [image(pngOfSize(4, 4))] },
            { role: 'user', content: [text] },
          ],
        }),
      ),
    );
    expect(assistantImage.message).toMatch(/only allowed in user messages/);
  });
});

describe('bedrock endpoint: current model ids and inference profiles (real SDK)', () => {
  let server: BedrockServer;
  let client: BedrockRuntimeClient;
  beforeAll(async () => {
    server = await startBedrockServer({ port: 0, outputTokens: 3 });
    client = sdkClient(server.url);
  });
  afterAll(async () => {
    client.destroy();
    await server.close();
  });

  const call = (modelId: string): Promise<{ stopReason?: string }> =>
    client.send(
      new ConverseCommand({ modelId, messages: [{ role: 'user', content: [{ text: 'hi' }] }] }),
    );

  it('serves Claude 4.x and Nova through their system inference profiles and ARNs', async () => {
    for (const id of [
      'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
      'us.anthropic.claude-sonnet-4-20250514-v1:0',
      'eu.anthropic.claude-haiku-4-5-20251001-v1:0',
      'us.anthropic.claude-opus-4-1-20250805-v1:0',
      'global.anthropic.claude-opus-4-5-20251101-v1:0',
      'jp.anthropic.claude-sonnet-4-6',
      'apac.anthropic.claude-opus-4-6-v1',
      'us.anthropic.claude-3-7-sonnet-20250219-v1:0',
      'us.amazon.nova-premier-v1:0',
      'amazon.nova-pro-v1:0',
      'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0',
      'anthropic.claude-3-haiku-20240307-v1:0',
    ]) {
      expect((await call(id)).stopReason, id).toBe('end_turn');
    }
  });

  it('a profile-only model by its bare id, or a profile Bedrock does not define, is refused', async () => {
    const bare = await rejection(call('anthropic.claude-sonnet-4-5-20250929-v1:0'));
    expect(bare).toBeInstanceOf(ValidationException);
    expect(bare.message).toBe(
      "Invocation of model ID anthropic.claude-sonnet-4-5-20250929-v1:0 with on-demand throughput isn't supported. Retry your request with the ID or ARN of an inference profile that contains this model.",
    );
    const noSuchProfile = await rejection(call('jp.anthropic.claude-opus-4-1-20250805-v1:0'));
    expect(noSuchProfile.message).toBe('The provided model identifier is invalid.');
    const lenient = await startBedrockServer({ port: 0, allowOnDemandForProfileOnlyModels: true });
    const c = sdkClient(lenient.url);
    try {
      const out = await c.send(
        new ConverseCommand({
          modelId: 'anthropic.claude-sonnet-4-5-20250929-v1:0',
          messages: [{ role: 'user', content: [{ text: 'hi' }] }],
        }),
      );
      expect(out.stopReason).toBe('end_turn');
    } finally {
      c.destroy();
      await lenient.close();
    }
  });
});
