import { parseAnthropicRequest } from './anthropic-request.js';
import { planAnswer, type DeterministicAnswer, type DeterministicModelOptions } from './answer.js';
import type { ChatRequest } from './chat.js';
import { parseConverseRequest } from './converse-request.js';

/** Loose conversation input accepted by {@link deterministicAnswer}: a bare prompt or a message list. */
export type ConversationInput =
  | string
  | {
      system?: string | Array<string | { text?: string }>;
      messages: Array<{
        role: 'user' | 'assistant';
        content: string | Array<{ text?: string; type?: string }>;
      }>;
    };

function contentText(content: string | Array<{ text?: string; type?: string }>): string {
  if (typeof content === 'string') return content;
  return content
    .map((b) => b.text)
    .filter((t): t is string => typeof t === 'string')
    .join('\n');
}

/** Normalises the loose {@link ConversationInput} into a {@link ChatRequest}. */
export function toChatRequest(input: ConversationInput): ChatRequest {
  if (typeof input === 'string') return { system: [], messages: [{ role: 'user', text: input }] };
  const sys = input.system;
  const system =
    sys === undefined
      ? []
      : typeof sys === 'string'
        ? [sys]
        : sys.map((s) => (typeof s === 'string' ? s : (s.text ?? '')));
  return {
    system,
    messages: input.messages.map((m) => ({ role: m.role, text: contentText(m.content) })),
  };
}

/**
 * Computes exactly what the local Bedrock endpoint's deterministic model answers (text, deltas,
 * token counts, stop reason), so tests in other packages can assert the reassembled output.
 * Pass the same `outputTokens` the server was started with (default 32).
 *
 * @example deterministicAnswer('Hello', { maxTokens: 5 }).stopReason === 'max_tokens'
 */
export function deterministicAnswer(
  input: ConversationInput,
  opts: DeterministicModelOptions = {},
): DeterministicAnswer {
  return planAnswer(toChatRequest(input), opts);
}

/**
 * The deterministic answer to a Converse request, given as the object the SDK command takes
 * (`messages`, `system`, `toolConfig`, `additionalModelRequestFields`, `guardrailConfig` ...;
 * binary fields as base64 strings, as on the wire). Reasoning, tool calls and guardrail
 * interventions are included.
 */
export function deterministicConverseAnswer(
  request: object,
  opts: DeterministicModelOptions = {},
): DeterministicAnswer {
  return planAnswer(parseConverseRequest(request), opts);
}

/** The deterministic answer to an Anthropic Messages body (InvokeModel*), given as an object. */
export function deterministicAnthropicAnswer(
  body: object,
  opts: DeterministicModelOptions = {},
): DeterministicAnswer {
  return planAnswer(parseAnthropicRequest(body), opts);
}
