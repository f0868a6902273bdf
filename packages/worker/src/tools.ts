import { LIMITS, ToolNameSchema, utf8ByteLength } from '@org/bedrock-stream-contracts';
// zod/mini: the full builder would triple the worker bundle; user schemas of either build work.
import * as z from 'zod/mini';
import { ToolTimeoutError } from './errors.js';
import type { ModelToolSpec } from './generate.js';

/** What a server tool's `run` gets beside its input. */
export interface ToolRunContext {
  /** Aborted when the stream is cancelled, the run loses its lease, or the tool times out. */
  signal: AbortSignal;
  /** The model's toolUseId of this call (differs between attempts; do not key on it). */
  toolCallId: string;
}

/** A tool the worker runs itself (a "server-side tool"), made with {@link defineTool}. */
export interface ServerTool {
  readonly name: string;
  readonly description: string;
  /** The input's JSON Schema as the model sees it (from the zod schema). */
  readonly inputSchema: Record<string, unknown>;
  /** Per-tool timeout; the worker's `TOOL_TIMEOUT_MS` when absent. */
  readonly timeoutMs?: number;
  /** Validates `input` against the zod schema, then runs the tool. */
  execute(input: unknown, context: ToolRunContext): Promise<unknown>;
}

/** The definition {@link defineTool} takes. */
export interface ToolDefinition<S extends z.core.$ZodType<Record<string, unknown>>, R> {
  /** Bedrock's tool name pattern: 1-64 of `[a-zA-Z0-9_-]`. */
  name: string;
  description: string;
  /** The input schema (a zod object); the model sees its JSON Schema. */
  input: S;
  /** Runs the tool; what it returns (any JSON value) is the model's tool result. */
  run: (input: z.output<S>, context: ToolRunContext) => Promise<R> | R;
  timeoutMs?: number;
}

/**
 * Defines a server-side tool: the worker offers it to the model (JSON Schema from the zod
 * schema via `z.toJSONSchema`), validates each call's input, runs it and feeds the result
 * back. A throw, a timeout or invalid input becomes an error result the model sees.
 *
 * @example
 * const weather = defineTool({
 *   name: 'get_weather',
 *   description: 'Current weather of a city',
 *   input: z.object({ city: z.string() }),
 *   run: async ({ city }, { signal }) => fetchWeather(city, signal),
 * });
 */
export function defineTool<S extends z.core.$ZodType<Record<string, unknown>>, R>(
  definition: ToolDefinition<S, R>,
): ServerTool {
  ToolNameSchema.parse(definition.name);
  const jsonSchema = z.toJSONSchema(definition.input, { io: 'input' }) as Record<string, unknown>;
  // The $schema key is noise to the model and to Bedrock's validation.
  delete jsonSchema['$schema'];
  if (jsonSchema['type'] !== 'object')
    throw new Error(`tool '${definition.name}': the input schema must be a zod object`);
  return {
    name: definition.name,
    description: definition.description,
    inputSchema: jsonSchema,
    ...(definition.timeoutMs !== undefined ? { timeoutMs: definition.timeoutMs } : {}),
    async execute(input, context) {
      const parsed = z.safeParse(definition.input, input);
      if (!parsed.success)
        throw new Error(
          `invalid input: ${parsed.error.issues.map((i: z.core.$ZodIssue) => i.message).join('; ')}`,
        );
      return definition.run(parsed.data, context);
    },
  };
}

/** A tool call's outcome as the model and clients see it. */
export interface ToolOutcome {
  output: z.core.util.JSONType;
  isError: boolean;
}

/**
 * Runs one call of `tool` with its timeout, under `signal` (cancel / lost lease). Never
 * throws for the tool's own failures: a throw, a timeout or an output that is not JSON
 * (or too big for a chunk) becomes `{ isError: true, output: message }`. When `signal`
 * aborts, the tool's signal aborts too and this rejects with `signal.reason`.
 */
export async function runTool(
  tool: ServerTool,
  input: unknown,
  toolCallId: string,
  options: { signal: AbortSignal; timeoutMs: number },
): Promise<ToolOutcome> {
  const timeoutMs = tool.timeoutMs ?? options.timeoutMs;
  const timeout = new AbortController();
  const timer = setTimeout(
    () =>
      timeout.abort(new ToolTimeoutError(`tool '${tool.name}' timed out after ${timeoutMs} ms`)),
    timeoutMs,
  );
  const signal = AbortSignal.any([options.signal, timeout.signal]);
  try {
    const output = await new Promise<unknown>((resolve, reject) => {
      // A tool that ignores its signal still loses the race.
      const onAbort = () => reject(signal.reason as Error);
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      Promise.resolve()
        .then(() => tool.execute(input, { signal, toolCallId }))
        .then(resolve, reject)
        .finally(() => signal.removeEventListener('abort', onAbort));
    });
    return toOutcome(tool.name, output);
  } catch (error) {
    if (options.signal.aborted) throw options.signal.reason;
    const message = error instanceof Error ? error.message : String(error);
    return { output: message.slice(0, LIMITS.errorMessageChars) || 'tool failed', isError: true };
  } finally {
    clearTimeout(timer);
  }
}

function toOutcome(name: string, output: unknown): ToolOutcome {
  const json = z.json().safeParse(output === undefined ? null : output);
  if (!json.success)
    return { output: `tool '${name}' returned a value that is not JSON`, isError: true };
  if (utf8ByteLength(JSON.stringify(json.data)) > LIMITS.chunkTextBytes)
    return {
      output: `tool '${name}' returned more than ${LIMITS.chunkTextBytes} bytes of JSON`,
      isError: true,
    };
  return { output: json.data, isError: false };
}

/** The tool as the model is offered it. */
export function toModelToolSpec(tool: ServerTool): ModelToolSpec {
  return { name: tool.name, description: tool.description, inputSchema: tool.inputSchema };
}
