import { appendFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { defineTool, type ServerTool } from '@org/bedrock-stream-worker';
import { z } from 'zod';

// Deterministic server-side tools for the local stack's worker (`worker.demoTools`): the
// web and CLI demos and the tests use them with the local model, which calls a tool the
// last user message names (`get_weather city="Paris"` sets the input). Each run is logged
// (start and finish) to DEMO_TOOL_RUN_LOG when set, so tests can count runs across the
// invoker's worker processes.

/** One line of the run log. */
export interface DemoToolRun {
  phase: 'start' | 'finish';
  tool: string;
  input: unknown;
  toolCallId: string;
}

function logRun(run: DemoToolRun): void {
  const file = process.env['DEMO_TOOL_RUN_LOG'];
  if (file) appendFileSync(file, `${JSON.stringify(run)}\n`);
}

/** Wraps a tool's run with the run log. */
function logged<I, R>(
  tool: string,
  run: (input: I, signal: AbortSignal) => Promise<R> | R,
): (input: I, context: { signal: AbortSignal; toolCallId: string }) => Promise<R> {
  return async (input, { signal, toolCallId }) => {
    logRun({ phase: 'start', tool, input, toolCallId });
    const output = await run(input, signal);
    logRun({ phase: 'finish', tool, input, toolCallId });
    return output;
  };
}

const CONDITIONS = ['sunny', 'cloudy', 'rainy', 'windy', 'snowy'] as const;

/** The same city always has the same weather. */
function weatherOf(city: string) {
  const hash = createHash('sha256').update(city.toLowerCase()).digest();
  return {
    city,
    temperatureC: (hash[0]! % 36) - 5,
    conditions: CONDITIONS[hash[1]! % CONDITIONS.length]!,
  };
}

/** `get_weather({ city })`: deterministic weather of a city. */
export const getWeatherTool: ServerTool = defineTool({
  name: 'get_weather',
  description: 'Current weather of a city: temperature in °C and conditions.',
  input: z.object({ city: z.string().min(1).describe('City name') }),
  run: logged('get_weather', ({ city }: { city: string }) => weatherOf(city)),
});

/** `calculator({ a, b, operation })`; dividing by zero is an error the model sees. */
export const calculatorTool: ServerTool = defineTool({
  name: 'calculator',
  description: 'Computes a op b for op add, subtract, multiply or divide.',
  input: z.object({
    a: z.number(),
    b: z.number(),
    operation: z.enum(['add', 'subtract', 'multiply', 'divide']),
  }),
  run: logged('calculator', ({ a, b, operation }: { a: number; b: number; operation: string }) => {
    if (operation === 'divide' && b === 0) throw new Error('division by zero');
    const result =
      operation === 'add'
        ? a + b
        : operation === 'subtract'
          ? a - b
          : operation === 'multiply'
            ? a * b
            : a / b;
    return { result };
  }),
});

/** `slow_lookup({ query, ms })`: answers after `ms` (a tool that takes time; cancellable). */
export const slowLookupTool: ServerTool = defineTool({
  name: 'slow_lookup',
  description: 'Looks a query up in a slow catalogue; takes ms milliseconds.',
  input: z.object({ query: z.string().min(1), ms: z.number().int().min(0).max(8_000) }),
  run: logged('slow_lookup', async ({ query, ms }: { query: string; ms: number }, signal) => {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, ms);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(new Error('aborted'));
      });
    });
    return { query, found: true };
  }),
});

/** Every demo tool. */
export const DEMO_TOOLS: ServerTool[] = [getWeatherTool, calculatorTool, slowLookupTool];
