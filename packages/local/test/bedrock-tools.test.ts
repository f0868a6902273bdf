import {
  ConverseCommand,
  ConverseStreamCommand,
  InvokeModelWithResponseStreamCommand,
  ValidationException,
  type BedrockRuntimeClient,
  type ConverseStreamCommandInput,
  type Message,
  type Tool,
  type ToolChoice,
} from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  deterministicAnthropicAnswer,
  deterministicConverseAnswer,
  nativeToolUseId,
  startBedrockServer,
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

const MODEL = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';

const Weather = z.object({
  city: z.string().min(2).max(40),
  unit: z.enum(['celsius', 'fahrenheit']),
  days: z.number().int().min(1).max(7),
  detailed: z.boolean(),
  hours: z.array(z.number().int().min(0).max(23)).min(1).max(3),
  where: z.object({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) }),
});
const Time = z.object({ zone: z.string() });

/** The SDK's JSON document type (what `inputSchema.json` takes). */
type Document = NonNullable<ConverseStreamCommandInput['additionalModelRequestFields']>;

/** A zod schema as the JSON document the SDK sends in `inputSchema.json`. */
function jsonSchema(schema: z.ZodType): Document {
  return JSON.parse(JSON.stringify(z.toJSONSchema(schema))) as Document;
}

const TOOLS: Tool[] = [
  {
    toolSpec: {
      name: 'get_weather',
      description: 'Weather forecast for a city',
      inputSchema: { json: jsonSchema(Weather) },
    },
  },
  {
    toolSpec: {
      name: 'get_time',
      description: 'Current time in a zone',
      inputSchema: { json: jsonSchema(Time) },
    },
  },
];

function converseInput(
  messages: Message[],
  toolChoice?: ToolChoice,
): {
  modelId: string;
  messages: Message[];
  toolConfig: { tools: Tool[]; toolChoice?: ToolChoice };
} {
  return {
    modelId: MODEL,
    messages,
    toolConfig: { tools: TOOLS, ...(toolChoice ? { toolChoice } : {}) },
  };
}

const user = (text: string): Message => ({ role: 'user', content: [{ text }] });

describe('bedrock endpoint: tools on ConverseStream (real SDK)', () => {
  let server: BedrockServer;
  let client: BedrockRuntimeClient;
  beforeAll(async () => {
    server = await startBedrockServer({ port: 0, outputTokens: 12 });
    client = sdkClient(server.url);
  });
  afterAll(async () => {
    client.destroy();
    await server.close();
  });

  it('auto: naming a tool calls it; the input streams as partial JSON valid against the schema', async () => {
    const input = converseInput([
      user('What is the weather like? Use get_weather with city=Lisbon'),
    ]);
    const expected = deterministicConverseAnswer(input, { outputTokens: 12 });
    const out = await client.send(new ConverseStreamCommand(input));
    const { events } = await collectConverse(out.stream);
    const blocks = converseBlocks(events);
    // Claude's short announcement, then the call.
    expect(blocks.map((b) => b.kind)).toEqual(['text', 'toolUse']);
    expect(blocks[0]?.text).toBe('I will call get_weather.');
    const call = blocks[1];
    expect(call?.name).toBe('get_weather');
    expect(call?.toolUseId).toMatch(/^tooluse_[A-Za-z0-9]{22}$/);
    expect(call?.pieces.length).toBeGreaterThan(1);
    const parsed = Weather.parse(JSON.parse(call?.json ?? ''));
    expect(parsed.city).toBe('Lisbon');
    expect(events.find((e) => e.messageStop)?.messageStop?.stopReason).toBe('tool_use');
    expect(expected.stopReason).toBe('tool_use');
    expect(expected.toolUses).toEqual([
      { id: call?.toolUseId, name: 'get_weather', input: parsed },
    ]);
    const usage = events.at(-1)?.metadata?.usage;
    expect(usage?.outputTokens).toBe(expected.outputTokens);
    // contentBlockStart only for the tool-use block, contentBlockStop for both.
    expect(events.filter((e) => e.contentBlockStart)).toHaveLength(1);
    expect(
      events.filter((e) => e.contentBlockStop).map((e) => e.contentBlockStop?.contentBlockIndex),
    ).toEqual([0, 1]);
  });

  it('auto without naming a tool answers in text; naming two calls both', async () => {
    const plain = await client.send(
      new ConverseStreamCommand(converseInput([user('Tell me a story')])),
    );
    const p = await collectConverse(plain.stream);
    expect(converseBlocks(p.events).map((b) => b.kind)).toEqual(['text']);
    expect(p.events.find((e) => e.messageStop)?.messageStop?.stopReason).toBe('end_turn');

    const both = await client.send(
      new ConverseStreamCommand(converseInput([user('get_time zone=UTC then get_weather')])),
    );
    const b = converseBlocks((await collectConverse(both.stream)).events);
    expect(b.filter((x) => x.kind === 'toolUse').map((x) => x.name)).toEqual([
      'get_time',
      'get_weather',
    ]);
    expect(Time.parse(JSON.parse(b[1]?.json ?? ''))).toEqual({ zone: 'UTC' });
    Weather.parse(JSON.parse(b[2]?.json ?? ''));
  });

  it('maxTokens inside the tool input streams partial JSON and stops with max_tokens', async () => {
    const prompt = 'use get_time zone=UTC';
    const inside = converseInput([user(prompt)]);
    const cut = await client.send(
      new ConverseStreamCommand({ ...inside, inferenceConfig: { maxTokens: 5 } }),
    );
    const c = await collectConverse(cut.stream);
    const blocks = converseBlocks(c.events);
    expect(blocks.map((b) => b.kind)).toEqual(['text', 'toolUse']);
    expect(blocks[1]?.pieces).toHaveLength(1);
    expect(c.events.find((e) => e.messageStop)?.messageStop?.stopReason).toBe('max_tokens');
    const expected = deterministicConverseAnswer({ ...inside, inferenceConfig: { maxTokens: 5 } });
    expect(expected.toolUses).toEqual([]);
    // A cut right after the announcement leaves no empty tool-use block behind.
    const before = await client.send(
      new ConverseStreamCommand({ ...inside, inferenceConfig: { maxTokens: 4 } }),
    );
    expect(
      converseBlocks((await collectConverse(before.stream)).events).map((b) => b.kind),
    ).toEqual(['text']);
  });

  it('any: a tool call is forced (the named one, else the first); tool: that tool', async () => {
    const any = await client.send(
      new ConverseStreamCommand(converseInput([user('Just chat with me')], { any: {} })),
    );
    const a = converseBlocks((await collectConverse(any.stream)).events);
    // Forced calls start with the call itself.
    expect(a.map((x) => x.kind)).toEqual(['toolUse']);
    expect(a[0]?.name).toBe('get_weather');
    const tool = await client.send(
      new ConverseStreamCommand(
        converseInput([user('The weather please, get_weather')], { tool: { name: 'get_time' } }),
      ),
    );
    const t = await collectConverse(tool.stream);
    expect(converseBlocks(t.events).map((x) => x.name)).toEqual(['get_time']);
    expect(t.events.find((e) => e.messageStop)?.messageStop?.stopReason).toBe('tool_use');
  });

  it('a following turn with toolResult gets a text answer that uses the result', async () => {
    const first = await client.send(
      new ConverseCommand(converseInput([user('get_weather for city=Oslo')])),
    );
    expect(first.stopReason).toBe('tool_use');
    const assistant = first.output?.message as Message;
    const call = assistant.content?.find((c) => c.toolUse)?.toolUse;
    expect(call?.name).toBe('get_weather');
    Weather.parse(call?.input);
    const followUp = converseInput([
      user('get_weather for city=Oslo'),
      assistant,
      {
        role: 'user',
        content: [
          {
            toolResult: {
              toolUseId: call?.toolUseId,
              content: [{ json: { temperature: 21, sky: 'clear' } }],
              status: 'success',
            },
          },
        ],
      },
    ]);
    const out = await client.send(new ConverseStreamCommand(followUp));
    const { events, text } = await collectConverse(out.stream);
    expect(text.startsWith('get_weather returned {"temperature":21,"sky":"clear"}.')).toBe(true);
    expect(text).toBe(deterministicConverseAnswer(followUp, { outputTokens: 12 }).text);
    expect(events.find((e) => e.messageStop)?.messageStop?.stopReason).toBe('end_turn');
  });

  it('Bedrock validation: tool blocks without toolConfig, unknown forced tool, unanswered tool use', async () => {
    const withoutConfig = await rejection(
      client.send(
        new ConverseStreamCommand({
          modelId: MODEL,
          messages: [
            user('x'),
            {
              role: 'assistant',
              content: [{ toolUse: { toolUseId: 't1', name: 'get_time', input: {} } }],
            },
            {
              role: 'user',
              content: [{ toolResult: { toolUseId: 't1', content: [{ text: 'noon' }] } }],
            },
          ],
        }),
      ),
    );
    expect(withoutConfig).toBeInstanceOf(ValidationException);
    expect(withoutConfig.message).toBe(
      'The toolConfig field must be defined when using toolUse and toolResult content blocks.',
    );
    const unknown = await rejection(
      client.send(
        new ConverseStreamCommand(converseInput([user('x')], { tool: { name: 'nope' } })),
      ),
    );
    expect(unknown.message).toMatch(
      /^The model returned the following errors: tool_choice: Tool 'nope' not found/,
    );
    const unanswered = await rejection(
      client.send(
        new ConverseStreamCommand(
          converseInput([
            user('x'),
            {
              role: 'assistant',
              content: [{ toolUse: { toolUseId: 't9', name: 'get_time', input: {} } }],
            },
            user('and?'),
          ]),
        ),
      ),
    );
    expect(unanswered.message).toMatch(
      /`tool_use` ids were found without `tool_result` blocks immediately after: t9/,
    );
    const badName = await rejection(
      client.send(
        new ConverseStreamCommand({
          modelId: MODEL,
          messages: [user('x')],
          toolConfig: { tools: [{ toolSpec: { name: 'bad name', inputSchema: { json: {} } } }] },
        }),
      ),
    );
    expect(badName.message).toMatch(
      /failed to satisfy constraint: Member must satisfy regular expression pattern/,
    );
  });
});

describe('bedrock endpoint: tools on InvokeModelWithResponseStream (Anthropic body, real SDK)', () => {
  let server: BedrockServer;
  let client: BedrockRuntimeClient;
  beforeAll(async () => {
    server = await startBedrockServer({ port: 0, outputTokens: 12 });
    client = sdkClient(server.url);
  });
  afterAll(async () => {
    client.destroy();
    await server.close();
  });

  const tools = [
    { name: 'get_weather', description: 'Weather', input_schema: z.toJSONSchema(Weather) },
    { name: 'get_time', description: 'Time', input_schema: z.toJSONSchema(Time) },
  ];

  it('tool_use blocks with input_json_delta, stop_reason tool_use, then a text answer to tool_result', async () => {
    const body = {
      anthropic_version: 'bedrock-2023-05-31',
      max_tokens: 500,
      tools,
      messages: [{ role: 'user', content: 'call get_weather with city="New York"' }],
    };
    const out = await client.send(
      new InvokeModelWithResponseStreamCommand({ modelId: MODEL, body: JSON.stringify(body) }),
    );
    const { events } = await collectInvoke(out.body);
    const blocks = anthropicBlocks(events);
    expect(blocks.map((b) => b.kind)).toEqual(['text', 'toolUse']);
    const call = blocks[1];
    expect(call?.toolUseId).toMatch(/^toolu_bdrk_01[A-Za-z0-9]{22}$/);
    expect(call?.pieces.length).toBeGreaterThan(1);
    const input = Weather.parse(JSON.parse(call?.json ?? ''));
    expect(input.city).toBe('New York');
    const delta = events.find((e) => e.type === 'message_delta') as {
      delta: { stop_reason: string };
    };
    expect(delta.delta.stop_reason).toBe('tool_use');
    const expected = deterministicAnthropicAnswer(body, { outputTokens: 12 });
    expect(nativeToolUseId(expected.toolUses[0]?.id ?? '')).toBe(call?.toolUseId);

    const followUp = {
      ...body,
      messages: [
        ...body.messages,
        {
          role: 'assistant',
          content: [
            { type: 'text', text: blocks[0]?.text },
            { type: 'tool_use', id: call?.toolUseId, name: 'get_weather', input },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: call?.toolUseId, content: 'rainy, 12 degrees' },
          ],
        },
      ],
    };
    const next = await client.send(
      new InvokeModelWithResponseStreamCommand({ modelId: MODEL, body: JSON.stringify(followUp) }),
    );
    const answer = await collectInvoke(next.body);
    expect(answer.text.startsWith('get_weather returned rainy, 12 degrees.')).toBe(true);
    expect(answer.text).toBe(deterministicAnthropicAnswer(followUp, { outputTokens: 12 }).text);
    const stop = answer.events.find((e) => e.type === 'message_delta') as {
      delta: { stop_reason: string };
    };
    expect(stop.delta.stop_reason).toBe('end_turn');
  });

  it('tool_choice any / tool / none', async () => {
    const send = async (tool_choice: object, prompt = 'hello'): Promise<string[]> => {
      const out = await client.send(
        new InvokeModelWithResponseStreamCommand({
          modelId: MODEL,
          body: JSON.stringify({
            anthropic_version: 'bedrock-2023-05-31',
            max_tokens: 300,
            tools,
            tool_choice,
            messages: [{ role: 'user', content: prompt }],
          }),
        }),
      );
      return anthropicBlocks((await collectInvoke(out.body)).events).map((b) => b.name ?? b.kind);
    };
    expect(await send({ type: 'any' })).toEqual(['get_weather']);
    expect(await send({ type: 'tool', name: 'get_time' })).toEqual(['get_time']);
    expect(await send({ type: 'none' }, 'use get_time')).toEqual(['text']);
    expect(await send({ type: 'auto' }, 'use get_time')).toEqual(['text', 'get_time']);
  });
});
