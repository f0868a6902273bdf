import { StreamClientError } from './errors.js';
import type { JsonObject, JsonValue, StreamPart, ToolCallPart } from './parts.js';
import type { StreamContentBlock, StreamMessage } from './stream-input.js';

// Turning a finished answer back into conversation messages, so an app can run its own
// (client-side) tools and continue: the model must get its own turn back exactly, with
// the reasoning's signature, before the tool results.

/** The result of a tool the app ran, for {@link partsToMessages}. */
export interface ToolResult {
  /** The `toolCallId` of the call this answers. */
  toolCallId: string;
  /** What the tool returned (any JSON); with `isError`, what went wrong. */
  output: JsonValue;
  isError?: boolean;
}

/** A tool call whose input is complete and that has no result yet. */
export type PendingToolCall = ToolCallPart & { state: 'input-available'; input: JsonObject };

/**
 * The tool calls the app has to run: complete input and no output (the worker runs its own,
 * server-side tools and reports their output). An answer that ended with stop reason
 * `tool_use` waits for these.
 */
export function pendingToolCalls(parts: readonly StreamPart[]): PendingToolCall[] {
  return parts.filter(
    (p): p is PendingToolCall =>
      p.type === 'tool-call' && p.state === 'input-available' && p.input !== undefined,
  );
}

/**
 * The answer's parts as conversation messages, to append to the messages that asked for
 * it: per step (model call) an `ASSISTANT` message with its reasoning (signed or redacted
 * only: reasoning without a signature cannot be sent back), text and tool calls, then,
 * when it called tools, a `USER` message with their results — the server-side tools'
 * from the parts, the app's from `toolResults`. Tool calls whose input never completed
 * are left out. AWSJSON fields are JSON strings, so the messages are valid GraphQL input.
 *
 * @throws StreamClientError `INVALID_INPUT` when a complete tool call has no result, or a
 *   result answers no tool call of the answer.
 */
export function partsToMessages(
  parts: readonly StreamPart[],
  options: { toolResults?: readonly ToolResult[] } = {},
): StreamMessage[] {
  const given = new Map((options.toolResults ?? []).map((r) => [r.toolCallId, r]));
  const used = new Set<string>();
  const messages: StreamMessage[] = [];
  for (const step of splitSteps(parts)) {
    const blocks: StreamContentBlock[] = [];
    const results: StreamContentBlock[] = [];
    for (const part of step) {
      switch (part.type) {
        case 'text':
          blocks.push({ text: part.text });
          break;
        case 'reasoning':
          if (part.redacted !== undefined) {
            blocks.push({ reasoning: { redactedContent: part.redacted } });
          } else if (part.signature !== undefined) {
            blocks.push({ reasoning: { text: part.text, signature: part.signature } });
          }
          break;
        case 'tool-call': {
          if (part.input === undefined) break; // its input never completed
          blocks.push({
            toolUse: {
              toolUseId: part.toolCallId,
              name: part.toolName,
              input: JSON.stringify(part.input),
            },
          });
          const result = given.get(part.toolCallId) ?? resultOfPart(part);
          if (!result) {
            throw new StreamClientError(
              'INVALID_INPUT',
              `tool call ${part.toolCallId} (${part.toolName}) has no result: pass it in toolResults`,
              false,
            );
          }
          used.add(part.toolCallId);
          results.push({
            toolResult: {
              toolUseId: part.toolCallId,
              content: JSON.stringify(result.output),
              status: result.isError ? 'ERROR' : 'SUCCESS',
            },
          });
          break;
        }
        case 'step-start':
          break;
      }
    }
    if (blocks.length > 0) messages.push({ role: 'ASSISTANT', content: blocks });
    if (results.length > 0) messages.push({ role: 'USER', content: results });
  }
  const unknown = [...given.keys()].filter((id) => !used.has(id));
  if (unknown.length > 0) {
    throw new StreamClientError(
      'INVALID_INPUT',
      `toolResults answer no tool call of the answer: ${unknown.join(', ')}`,
      false,
    );
  }
  return messages;
}

/** The parts of each step (a step-start part begins one; parts before any form the first). */
function splitSteps(parts: readonly StreamPart[]): StreamPart[][] {
  const steps: StreamPart[][] = [[]];
  for (const part of parts) {
    if (part.type === 'step-start') steps.push([]);
    steps[steps.length - 1]!.push(part);
  }
  return steps;
}

function resultOfPart(part: ToolCallPart): ToolResult | null {
  if (part.state !== 'output-available' && part.state !== 'output-error') return null;
  return {
    toolCallId: part.toolCallId,
    output: part.output ?? null,
    isError: part.state === 'output-error',
  };
}
