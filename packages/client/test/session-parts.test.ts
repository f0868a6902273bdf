/**
 * Parts through the stream handle (over MemoryTransport, the boundary stub of AppSync +
 * the store): a reasoning + tool-use answer delivered with loss and duplicates, the input's
 * tool JSON reaching the transport as AWSJSON strings, and a client-side tool loop.
 */
import type { StartStreamInput } from '@org/bedrock-stream-contracts';
import { describe, expect, it } from 'vitest';
import { createStreamClient } from '../src/client.js';
import { partsToMessages, pendingToolCalls } from '../src/messages.js';
import type { StreamPart } from '../src/parts.js';
import type { StreamMessage } from '../src/stream-input.js';
import type { StreamUpdate } from '../src/stream-types.js';
import { MemoryTransport } from './memory-transport.js';
import { chunksOf, expectedParts, turnEvents, type TurnSpec } from './turns.js';

const modelId = 'anthropic.claude-sonnet-4-20250514-v1:0';
const cacheUsage = {
  inputTokens: 20,
  outputTokens: 30,
  totalTokens: 1550,
  cacheReadInputTokens: 1000,
  cacheWriteInputTokens: 500,
};

/** Step 1 ran the server-side `search`; step 2 calls the app's `get_weather`. */
const turn: TurnSpec = {
  withSteps: true,
  stopReason: 'tool_use',
  usage: cacheUsage,
  steps: [
    {
      reasoning: { texts: ['Search ', 'first.'], signature: 'sig-1' },
      redacted: [],
      texts: ['Searching. '],
      calls: [
        {
          id: 'srv_1',
          name: 'search',
          input: { q: 'Paris' },
          streamed: true,
          cuts: [3, 7],
          result: { output: { hits: ['Paris, France'] }, isError: false },
        },
      ],
      usage: { inputTokens: 10, outputTokens: 10, totalTokens: 20 },
    },
    {
      reasoning: { texts: ['Now the weather.'], signature: 'sig-2' },
      redacted: ['AQID'],
      texts: ['Asking the weather service.'],
      calls: [
        { id: 'app_1', name: 'get_weather', input: { city: 'Paris' }, streamed: true, cuts: [5] },
      ],
      usage: cacheUsage,
    },
  ],
};

function setup() {
  const transport = new MemoryTransport();
  const client = createStreamClient(
    {
      url: 'http://127.0.0.1:1/graphql',
      region: 'us-east-1',
      auth: { type: 'API_KEY', apiKey: 'k' },
      gapFillDelayMs: 5,
      stallTimeoutMs: 40,
    },
    { transport },
  );
  return { client, transport };
}

describe('parts through the stream handle', () => {
  it('a lossy, duplicated delivery of a reasoning + tools answer gives the stored parts', async () => {
    const { client, transport } = setup();
    transport.onStart = ({ streamId }) => {
      const chunks = chunksOf(1, turnEvents(turn), [2, 3], streamId);
      chunks.forEach((c, i) =>
        transport.publish(c, { deliver: i % 4 !== 1, times: i % 3 === 0 ? 2 : 1 }),
      );
    };
    const handle = client.stream({ modelId, prompt: 'Weather in Paris?' });
    const mirror: StreamPart[] = [];
    const updates: StreamUpdate[] = [];
    handle.subscribe((u) => {
      updates.push(u);
      if (u.type === 'part') mirror[u.index] = u.part;
    });
    const result = await handle.done;
    expect(result.status).toBe('done');
    expect(result.parts).toEqual(expectedParts(turn));
    expect(handle.parts).toBe(result.parts);
    expect(mirror).toEqual(result.parts);
    expect(result.text).toBe('Searching. Asking the weather service.');
    expect(result.stopReason).toBe('tool_use');
    expect(result.usage).toEqual(cacheUsage);
    expect(result.metrics.catchUpChunks).toBeGreaterThan(0);
    const end = updates.find((u) => u.type === 'end');
    expect(end).toMatchObject({ parts: result.parts, usage: cacheUsage });
  });

  it('an unknown stop reason ends the stream done, carried as written', async () => {
    const { client, transport } = setup();
    transport.onStart = ({ streamId }) => {
      const events = turnEvents({ ...turn, stopReason: 'paused_for_reflection' });
      for (const c of chunksOf(1, events, [64], streamId)) transport.publish(c);
    };
    const result = await client.stream({ modelId, prompt: 'x' }).done;
    expect(result.status).toBe('done');
    expect(result.stopReason).toBe('paused_for_reflection');
    expect(result.parts[4]).toMatchObject({
      type: 'step-start',
      stopReason: 'paused_for_reflection',
    });
  });

  it('runs a client-side tool and continues: tool JSON travels as AWSJSON strings', async () => {
    const { client, transport } = setup();
    const sent: StartStreamInput[] = [];
    transport.onStart = (input) => {
      sent.push(input);
      const answer: TurnSpec =
        sent.length === 1
          ? { ...turn, withSteps: false, steps: [turn.steps[1]!] }
          : {
              withSteps: false,
              stopReason: 'end_turn',
              usage: null,
              steps: [{ redacted: [], texts: ['It is 21 °C.'], calls: [], usage: null }],
            };
      for (const c of chunksOf(1, turnEvents(answer), [4], input.streamId)) transport.publish(c);
    };
    const toolConfig = {
      tools: [
        {
          name: 'get_weather',
          description: 'Weather in a city',
          inputSchema: { type: 'object', properties: { city: { type: 'string' } } },
        },
      ],
    };
    let messages: StreamMessage[] = [{ role: 'USER', text: 'Weather in Paris?' }];
    let text = '';
    for (let turns = 0; turns < 3; turns++) {
      const result = await client.stream({ modelId, messages, toolConfig }).done;
      const calls = pendingToolCalls(result.parts);
      if (calls.length === 0) {
        text = result.text;
        break;
      }
      const toolResults = calls.map((c) => ({ toolCallId: c.toolCallId, output: { tempC: 21 } }));
      messages = [...messages, ...partsToMessages(result.parts, { toolResults })];
    }
    expect(text).toBe('It is 21 °C.');
    expect(sent).toHaveLength(2);
    expect(sent[0]!.toolConfig?.tools[0]?.inputSchema).toBe(
      '{"type":"object","properties":{"city":{"type":"string"}}}',
    );
    expect(sent[1]!.messages).toEqual([
      { role: 'USER', text: 'Weather in Paris?' },
      {
        role: 'ASSISTANT',
        content: [
          { reasoning: { text: 'Now the weather.', signature: 'sig-2' } },
          { reasoning: { redactedContent: 'AQID' } },
          { text: 'Asking the weather service.' },
          { toolUse: { toolUseId: 'app_1', name: 'get_weather', input: '{"city":"Paris"}' } },
        ],
      },
      {
        role: 'USER',
        content: [
          { toolResult: { toolUseId: 'app_1', content: '{"tempC":21}', status: 'SUCCESS' } },
        ],
      },
    ]);
  });
});
