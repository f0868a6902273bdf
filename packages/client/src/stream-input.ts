import {
  parseStartStreamInput,
  type ContentBlockInput,
  type MessageInput,
  type StartStreamInput,
  type ToolConfigInput,
  type ToolResultBlockInput,
  type ToolSpecInput,
  type ToolUseBlockInput,
} from '@org/bedrock-stream-contracts';
import type { JsonObject, JsonValue } from './parts.js';

// The startStream input as an app writes it. GraphQL's AWSJSON fields (a tool's input
// schema, a tool call's input, a tool result's content) travel as JSON strings; here they
// may also be the values themselves, and encodeStreamInput turns them into strings.

/** A tool the app declares; `inputSchema` is a JSON Schema object (or its JSON text). */
export interface StreamToolSpec extends Omit<ToolSpecInput, 'inputSchema'> {
  inputSchema: JsonObject | string;
}

/** `toolConfig` of {@link StreamInput}. */
export interface StreamToolConfig extends Omit<ToolConfigInput, 'tools'> {
  tools: readonly StreamToolSpec[];
}

/** A tool call the model made earlier; `input` is an object (or its JSON text). */
export interface StreamToolUseBlock extends Omit<ToolUseBlockInput, 'input'> {
  input: JsonObject | string;
}

/**
 * A tool's result sent back to the model. `content` is any JSON value; a string is taken as
 * JSON text (send the text `sunny` as `JSON.stringify('sunny')` or `{ text: 'sunny' }`).
 */
export interface StreamToolResultBlock extends Omit<ToolResultBlockInput, 'content'> {
  content: JsonValue;
}

/** One content block of a {@link StreamMessage}: set exactly one field. */
export interface StreamContentBlock extends Omit<ContentBlockInput, 'toolUse' | 'toolResult'> {
  toolUse?: StreamToolUseBlock | null;
  toolResult?: StreamToolResultBlock | null;
}

/** A message of the conversation: `text` or `content` blocks. */
export interface StreamMessage extends Omit<MessageInput, 'content'> {
  content?: readonly StreamContentBlock[] | null;
}

/** What `client.stream()` takes: the startStream input without `streamId` (the client makes it). */
export interface StreamInput extends Omit<
  StartStreamInput,
  'streamId' | 'messages' | 'toolConfig'
> {
  messages?: readonly StreamMessage[] | null;
  toolConfig?: StreamToolConfig | null;
}

/**
 * Validates an input with contracts' StartStreamInputSchema and returns it as GraphQL takes
 * it: every AWSJSON field a JSON string.
 * @throws ContractError `INVALID_INPUT` naming each offending field.
 */
export function encodeStreamInput(input: StreamInput & { streamId: string }): StartStreamInput {
  const parsed = parseStartStreamInput(input);
  const { messages, toolConfig, ...rest } = parsed;
  const encoded: StartStreamInput = rest;
  if (messages !== undefined) {
    encoded.messages =
      messages &&
      messages.map(({ content, ...message }) => {
        const out: MessageInput = message;
        if (content !== undefined) out.content = content && content.map(encodeBlock);
        return out;
      });
  }
  if (toolConfig !== undefined) {
    encoded.toolConfig = toolConfig && {
      ...toolConfig,
      tools: toolConfig.tools.map((t) => ({ ...t, inputSchema: JSON.stringify(t.inputSchema) })),
    };
  }
  return encoded;
}

type ParsedBlock = NonNullable<
  NonNullable<ReturnType<typeof parseStartStreamInput>['messages']>[number]['content']
>[number];

function encodeBlock({ toolUse, toolResult, ...block }: ParsedBlock): ContentBlockInput {
  const out: ContentBlockInput = block;
  if (toolUse !== undefined)
    out.toolUse = toolUse && { ...toolUse, input: JSON.stringify(toolUse.input) };
  if (toolResult !== undefined)
    out.toolResult = toolResult && { ...toolResult, content: JSON.stringify(toolResult.content) };
  return out;
}
