import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import {
  STOP_REASON_MAX_CHARS,
  STOP_REASON_PATTERN,
  type InferenceConfig,
  type Message,
  type StartStreamInputParsed,
  type StopReason,
  type Usage,
} from '@org/bedrock-stream-contracts';
import { streamAnthropic } from './anthropic.js';
import { streamConverse } from './converse.js';

/** A JSON object (a tool call's input). */
export type JsonObject = { [key: string]: JsonValue };
/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

/** One normalized model event, whichever Bedrock API produced it. */
export type ModelEvent =
  | { type: 'text'; text: string }
  | { type: 'reasoning'; text: string }
  | { type: 'reasoning-signature'; signature: string }
  /** Redacted (encrypted) reasoning, base64. */
  | { type: 'reasoning-redacted'; data: string }
  | { type: 'tool-call-start'; toolCallId: string; toolName: string }
  | { type: 'tool-call-delta'; toolCallId: string; inputDelta: string }
  /** The tool-use block ended: its whole input, parsed. */
  | { type: 'tool-call'; toolCallId: string; toolName: string; input: JsonObject }
  | { type: 'stop'; stopReason: StopReason }
  | { type: 'usage'; usage: Usage }
  | { type: 'latency'; latencyMs: number };

/** The stored stream input (StartStreamInput without streamId). */
export type StoredInput = Omit<StartStreamInputParsed, 'streamId'>;

/** A tool offered to the model (client-declared or the worker's own). */
export interface ModelToolSpec {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

/** The guardrail every model call goes through (WorkerConfig). */
export interface GuardrailSettings {
  id: string;
  version: string;
  streamMode: 'sync' | 'async';
  trace: 'enabled' | 'disabled';
}

/** One model call: the conversation so far and everything that shapes the answer. */
export interface ModelRequest {
  modelId: string;
  api: 'CONVERSE' | 'INVOKE_MODEL';
  system?: string | null;
  /** A prompt-cache checkpoint after the system prompt. */
  cacheSystem?: boolean | null;
  /** The conversation in the contract's block form (earlier steps appended). */
  messages: Message[];
  inferenceConfig?: InferenceConfig | null;
  tools: ModelToolSpec[];
  toolChoice?: { mode: 'AUTO' | 'ANY' | 'TOOL'; name?: string | null } | null;
  thinkingBudgetTokens?: number | null;
  guardrail?: GuardrailSettings | null;
}

/** The first model request of a stored input (no tools, no guardrail yet). */
export function requestOf(input: StoredInput): ModelRequest {
  return {
    modelId: input.modelId,
    api: input.api ?? 'CONVERSE',
    system: input.system,
    cacheSystem: input.cacheSystem,
    messages: input.messages ?? [{ role: 'USER', text: input.prompt ?? '' }],
    inferenceConfig: input.inferenceConfig,
    tools: input.toolConfig?.tools ?? [],
    toolChoice: input.toolConfig?.toolChoice,
    thinkingBudgetTokens: input.thinking?.budgetTokens,
  };
}

/** Tool-input JSON as streamed: parsed at the block's end (`{}` when empty). */
export function parseToolInput(json: string): JsonObject {
  if (!json.trim()) return {};
  const value = JSON.parse(json) as unknown;
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new SyntaxError('tool input is not a JSON object');
  return value as JsonObject;
}

const STOP_REASON = new RegExp(`^${STOP_REASON_PATTERN}$`);

/**
 * Bedrock's stop reason as the contract carries it: unchanged (a reason this worker does
 * not know, e.g. a new one, passes through). A stop event without a reason still ended
 * the answer (a stream cut before its stop event is TruncatedStreamError, not this), so
 * it stays `end_turn`. A reason not in Bedrock's snake_case form is brought into it: the
 * terminal chunk must pass the contract, and a complete answer must not fail over it.
 */
export function toStopReason(value: string | undefined | null): StopReason {
  if (!value) return 'end_turn';
  if (value.length <= STOP_REASON_MAX_CHARS && STOP_REASON.test(value)) return value;
  const snake = value
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^[^a-z]+/, '')
    .slice(0, STOP_REASON_MAX_CHARS);
  return snake || 'end_turn';
}

/**
 * Streams one model call: ConverseStream by default, InvokeModelWithResponseStream with
 * the native Anthropic Messages body when `request.api` is INVOKE_MODEL.
 */
export function generate(
  client: BedrockRuntimeClient,
  request: ModelRequest,
  signal: AbortSignal,
): AsyncGenerator<ModelEvent> {
  return request.api === 'INVOKE_MODEL'
    ? streamAnthropic(client, request, signal)
    : streamConverse(client, request, signal);
}
