// The options of one conversation turn (TurnOptionsInput) as an app writes them: tool
// input schemas as values or JSON text, like `client.stream()`'s input. Checked with
// contracts' schemas and encoded for GraphQL (AWSJSON fields become JSON strings).
import {
  InferenceConfigSchema,
  LIMITS,
  ThinkingSchema,
  ToolConfigSchema,
  type TurnOptionsInput,
} from '@org/bedrock-stream-contracts';
import * as z from 'zod/mini';
import { StreamClientError } from './errors.js';
import type { StreamToolConfig } from './stream-input.js';

/** Options of one answer: sampling, client tools, extended thinking, tool-loop steps. */
export interface TurnOptions extends Omit<TurnOptionsInput, 'toolConfig'> {
  /** Tools the app runs itself (client-side tools); the worker adds its own. */
  toolConfig?: StreamToolConfig | null;
}

const TurnOptionsSchema = z.strictObject({
  inferenceConfig: z.nullish(InferenceConfigSchema),
  toolConfig: z.nullish(ToolConfigSchema),
  thinking: z.nullish(ThinkingSchema),
  maxSteps: z.nullish(z.int().check(z.gte(1), z.lte(LIMITS.maxSteps))),
  cacheSystem: z.nullish(z.boolean()),
});

/**
 * Validates turn options and encodes them for GraphQL; undefined stays undefined.
 * @throws StreamClientError `INVALID_INPUT` naming each offending field.
 */
export function encodeTurnOptions(options: TurnOptions | undefined): TurnOptionsInput | undefined {
  if (options === undefined) return undefined;
  const parsed = TurnOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .map((i) => `options${i.path.length ? `.${i.path.join('.')}` : ''}: ${i.message}`)
      .join('; ');
    throw new StreamClientError('INVALID_INPUT', detail, false);
  }
  const { toolConfig, ...rest } = parsed.data;
  const out: TurnOptionsInput = rest;
  if (toolConfig) {
    out.toolConfig = {
      ...toolConfig,
      tools: toolConfig.tools.map((t) => ({ ...t, inputSchema: JSON.stringify(t.inputSchema) })),
    };
  }
  if (
    out.thinking &&
    out.inferenceConfig?.maxTokens != null &&
    out.inferenceConfig.maxTokens <= out.thinking.budgetTokens
  ) {
    throw new StreamClientError(
      'INVALID_INPUT',
      'options.thinking.budgetTokens must be below options.inferenceConfig.maxTokens',
      false,
    );
  }
  return out;
}
