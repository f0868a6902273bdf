import {
  createStreamClient,
  partsToMessages,
  pendingToolCalls,
  type StreamMessage,
} from '@org/bedrock-stream-client';

const client = createStreamClient({ url, region, auth: { type: 'API_KEY', apiKey } });

// A tool the app runs itself.
async function getWeather(input: { city?: unknown }) {
  return { city: String(input.city), tempC: 21, rain: true };
}

const toolConfig = {
  tools: [
    {
      name: 'get_weather',
      description: 'Current weather in a city',
      inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  ],
};
let messages: StreamMessage[] = [{ role: 'USER', text: 'Do I need an umbrella in Paris?' }];
for (;;) {
  const result = await client.stream({
    modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0',
    messages,
    toolConfig,
    thinking: { budgetTokens: 2048 },
    inferenceConfig: { maxTokens: 4096 },
  }).done;
  if (result.status !== 'done') throw result.error ?? new Error(`stream ${result.status}`);
  const calls = pendingToolCalls(result.parts);
  if (calls.length === 0) {
    console.log(result.text, result.usage);
    break;
  }
  const toolResults = await Promise.all(
    calls.map(async (call) => ({
      toolCallId: call.toolCallId,
      output: await getWeather(call.input),
    })),
  );
  messages = [...messages, ...partsToMessages(result.parts, { toolResults })];
}
client.close();
