import type { JsonObject, JsonValue, ToolConfig } from '@org/bedrock-stream-contracts';

/** The demo client tool's name: a message naming it makes the local model call it. */
export const DICE_TOOL = 'roll_dice';

/**
 * The turn's client tools: `roll_dice` runs in the browser (the worker has no such tool), so
 * the answer pauses when the model calls it, the page rolls and sends the result back, and the
 * answer goes on.
 */
export const CLIENT_TOOLS: ToolConfig = {
  tools: [
    {
      name: DICE_TOOL,
      description: 'Rolls dice in the user’s browser and returns each roll and the total.',
      inputSchema: {
        type: 'object',
        properties: {
          count: { type: 'integer', minimum: 1, maximum: 10, description: 'How many dice.' },
          sides: { type: 'integer', minimum: 2, maximum: 100, description: 'Sides of each die.' },
        },
        required: ['count', 'sides'],
      },
    },
  ],
};

function clampInt(value: JsonValue | undefined, min: number, max: number, fallback: number) {
  return typeof value === 'number' && Number.isFinite(value)
    ? Math.min(max, Math.max(min, Math.round(value)))
    : fallback;
}

/**
 * Runs `roll_dice` (model input is untrusted: out-of-range or missing numbers are clamped to
 * the schema's bounds). `random` is injectable for tests.
 */
export function rollDice(input: JsonObject | undefined, random: () => number = Math.random) {
  const count = clampInt(input?.['count'], 1, 10, 1);
  const sides = clampInt(input?.['sides'], 2, 100, 6);
  const rolls = Array.from({ length: count }, () => 1 + Math.floor(random() * sides));
  return { rolls, total: rolls.reduce((a, b) => a + b, 0), sides };
}

/**
 * The page's `onToolCall`: the result of a client tool it knows, or undefined for any other
 * (the chat then leaves that call waiting, as the design says).
 */
export function runClientTool(
  toolName: string,
  input: JsonObject | undefined,
): JsonValue | undefined {
  if (toolName === DICE_TOOL) return rollDice(input);
  return undefined;
}
