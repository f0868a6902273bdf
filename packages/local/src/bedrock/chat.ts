/**
 * The model-facing view of a request, whichever API and body dialect it came in: Converse,
 * the Anthropic Messages body or the Nova body all normalise to a {@link ChatRequest}.
 */

/** A JSON Schema object as sent in `inputSchema.json` / `input_schema`. */
export type JsonSchema = { [key: string]: unknown };

/** A tool the model may call. */
export interface ToolSpec {
  name: string;
  description?: string;
  inputSchema: JsonSchema;
}

/** How the model must choose tools (`none` exists only in the Anthropic body). */
export type ToolChoice =
  { type: 'auto' } | { type: 'any' } | { type: 'tool'; name: string } | { type: 'none' };

/** A tool call, as the model made it or as an assistant turn of the history carries it. */
export interface ToolCall {
  id: string;
  name: string;
  input: unknown;
}

/** A tool result of a user turn. */
export interface ToolResult {
  toolUseId: string;
  /** The result's content as text (JSON content is serialised). */
  text: string;
  isError: boolean;
}

/** A reasoning block sent back in an assistant turn. */
export type ReasoningInput =
  { kind: 'text'; text: string; signature?: string } | { kind: 'redacted'; data: string };

/** An image or document block, already checked against Bedrock's limits. */
export interface MediaInput {
  kind: 'image' | 'document';
  format: string;
  byteLength: number;
  /** Image dimensions (px). */
  width?: number;
  height?: number;
  /** Document name. */
  name?: string;
  /** Short content digest: different media give different answers. */
  digest: string;
  /** Estimated input tokens of this block. */
  tokens: number;
}

/** The kinds of content blocks, in the order a message carried them. */
export type BlockKind =
  'text' | 'image' | 'document' | 'toolUse' | 'toolResult' | 'reasoning' | 'cachePoint' | 'guard';

/** One turn of a conversation after the request body has been normalised. */
export interface ChatMessage {
  role: 'user' | 'assistant';
  /** The text blocks joined by newlines. */
  text: string;
  toolUses?: ToolCall[];
  toolResults?: ToolResult[];
  reasoning?: ReasoningInput[];
  media?: MediaInput[];
  /** Block kinds in order (for rules such as "a final assistant turn starts with thinking"). */
  blocks?: BlockKind[];
}

/** Extended thinking as requested. */
export type ThinkingRequest = { type: 'enabled'; budgetTokens: number } | { type: 'adaptive' };

/** A guardrail applied to the request (Converse `guardrailConfig` or the native headers). */
export interface GuardrailRequest {
  identifier: string;
  version: string;
  trace: 'enabled' | 'disabled' | 'enabled_full';
  /** Stream processing mode: `sync` buffers output before release, `async` streams at once. */
  mode: 'sync' | 'async';
}

/** A prompt-cache checkpoint: the prompt text before it and how long an entry lives. */
export interface CacheCheckpoint {
  prefix: string;
  ttlSeconds: number;
}

/** The model-facing view of any of the four operations' request bodies. */
export interface ChatRequest {
  system: string[];
  messages: ChatMessage[];
  maxTokens?: number;
  stopSequences?: string[];
  temperature?: number;
  tools?: ToolSpec[];
  toolChoice?: ToolChoice;
  thinking?: ThinkingRequest;
  guardrail?: GuardrailRequest;
  cacheCheckpoints?: CacheCheckpoint[];
  /** Converse `additionalModelResponseFieldPaths` (e.g. `/delta/stop_sequence`). */
  responseFieldPaths?: string[];
  /** Input tokens beyond the text (tool definitions, images, documents). */
  extraInputTokens?: number;
}
