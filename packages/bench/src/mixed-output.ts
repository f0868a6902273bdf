// Publish cost of an answer that mixes reasoning, a server-side tool call and text (issue
// 14's bound: at most 60 publishes per 1,000 output tokens at 200 tok/s), through the
// whole local stack with its demo tools and a thinking model.
import { createStreamClient, type StreamPart } from '@org/bedrock-stream-client';
import { startLocalStack } from '@org/bedrock-stream-stack';
import type { ScenarioResult } from './scenarios.js';

const THINKING_MODEL = 'us.anthropic.claude-3-7-sonnet-20250219-v1:0';

function countParts(parts: readonly StreamPart[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const p of parts) counts[p.type] = (counts[p.type] ?? 0) + 1;
  return counts;
}

/** Publishes per 1,000 output tokens for reasoning + tool + text answers at 200 tok/s. */
export async function mixedPublishCost(quick: boolean): Promise<ScenarioResult> {
  const answers = quick ? 1 : 5;
  const outputTokens = quick ? 200 : 1000;
  const stack = await startLocalStack({
    stateFile: false,
    model: { timeToFirstTokenMs: 50, tokensPerSecond: 200, outputTokens },
    worker: { demoTools: true },
  });
  const client = createStreamClient({
    url: stack.config.graphqlUrl,
    region: stack.config.region,
    auth: { type: 'API_KEY', apiKey: stack.config.apiKey },
  });
  const rows: Array<Record<string, unknown>> = [];
  let lost = 0;
  try {
    for (let i = 0; i < answers; i += 1) {
      const before = stack.emulator.stats().mutations['publishChunk'] ?? 0;
      const handle = client.stream({
        modelId: THINKING_MODEL,
        prompt: `Call get_weather for city=Paris, then tell a long story ${i}.`,
        thinking: { budgetTokens: 1024 },
        inferenceConfig: { maxTokens: 8000 },
      });
      const result = await handle.done;
      const publishes = (stack.emulator.stats().mutations['publishChunk'] ?? 0) - before;
      const tokens = result.usage?.outputTokens ?? 0;
      const parts = countParts(result.parts);
      const toolDone = result.parts.some(
        (p) => p.type === 'tool-call' && p.state === 'output-available',
      );
      if (result.status !== 'done' || !toolDone || !parts['reasoning'] || !result.text) lost += 1;
      rows.push({
        outputTokens: tokens,
        publishes,
        publishesPer1000OutputTokens: tokens ? Math.round((publishes / tokens) * 1000) : null,
        parts,
      });
    }
  } finally {
    client.close();
    await stack.stop();
  }
  return {
    name: 'publish cost, reasoning + tool + text',
    settings: {
      model: THINKING_MODEL,
      tokensPerSecond: 200,
      outputTokens,
      answers,
      target: '<= 60 publishes per 1,000 output tokens at 200 tok/s',
    },
    figures: { rows },
    lost,
    duplicated: 0,
  };
}
