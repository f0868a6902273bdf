import { answerPartsToMessages, type Message } from '@org/bedrock-stream-contracts';
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
  // The per-step conversion is contracts' (the worker builds a conversation's history with it).
  const messages = answerPartsToMessages(parts, {
    resultOf: (call) => {
      const result = given.get(call.toolCallId) ?? resultOfPart(call);
      if (!result) {
        throw new StreamClientError(
          'INVALID_INPUT',
          `tool call ${call.toolCallId} (${call.toolName}) has no result: pass it in toolResults`,
          false,
        );
      }
      used.add(call.toolCallId);
      return { output: result.output, isError: result.isError === true };
    },
  });
  const unknown = [...given.keys()].filter((id) => !used.has(id));
  if (unknown.length > 0) {
    throw new StreamClientError(
      'INVALID_INPUT',
      `toolResults answer no tool call of the answer: ${unknown.join(', ')}`,
      false,
    );
  }
  return messages.map(toStreamMessage);
}

/** A contract message as GraphQL input: the AWSJSON fields as JSON text. */
function toStreamMessage(message: Message): StreamMessage {
  return {
    role: message.role,
    content: (message.content ?? []).map((block): StreamContentBlock => {
      if (block.toolUse)
        return { toolUse: { ...block.toolUse, input: JSON.stringify(block.toolUse.input) } };
      if (block.toolResult)
        return {
          toolResult: {
            toolUseId: block.toolResult.toolUseId,
            content: JSON.stringify(block.toolResult.content),
            status: block.toolResult.status,
          },
        };
      return block as StreamContentBlock;
    }),
  };
}

function resultOfPart(part: ToolCallPart): ToolResult | null {
  if (part.state !== 'output-available' && part.state !== 'output-error') return null;
  return {
    toolCallId: part.toolCallId,
    output: part.output ?? null,
    isError: part.state === 'output-error',
  };
}
