import type { GenerationResult } from '../backend.js';
import { guardrailTrace } from '../guardrail.js';
import { nativeToolUseId, type AnswerBlock, type ModelDelta } from '../output.js';
import {
  usageOf,
  type ResponseContext,
  type ResponseTiming,
  type StreamFormat,
} from '../respond.js';

/** Anthropic's message id shape, derived from the request id. */
function messageId(requestId: string): string {
  return `msg_bdrk_${requestId.replace(/-/g, '').slice(0, 24)}`;
}

/**
 * The Anthropic spelling of a stop reason: `content_filtered` is Anthropic's `refusal`; Bedrock-only
 * reasons (a guardrail, malformed output) end the turn and are told by other fields.
 */
export function anthropicStopReason(reason: string | undefined): string | null {
  // A custom backend may end without a reason; Anthropic's wire form for that is null.
  if (!reason) return null;
  if (reason === 'content_filtered') return 'refusal';
  if (reason === 'guardrail_intervened' || reason.startsWith('malformed_')) return 'end_turn';
  return reason;
}

function cached(ctx: ResponseContext): boolean {
  return (ctx.chat.cacheCheckpoints?.length ?? 0) > 0;
}

function anthropicUsage(ctx: ResponseContext, r: GenerationResult): Record<string, number> {
  const u = usageOf(ctx, r);
  return {
    input_tokens: u.inputTokens,
    output_tokens: u.outputTokens,
    ...(cached(ctx)
      ? {
          cache_creation_input_tokens: u.cacheWriteInputTokens,
          cache_read_input_tokens: u.cacheReadInputTokens,
        }
      : {}),
  };
}

/** Bedrock's guardrail fields on native responses (present when the request used a guardrail). */
function guardrailFields(
  ctx: ResponseContext,
  r: GenerationResult,
  text: string,
): Record<string, unknown> {
  if (!ctx.chat.guardrail) return {};
  const trace = guardrailTrace(ctx.chat.guardrail, r.guardrail, text);
  return {
    'amazon-bedrock-guardrailAction': r.guardrail ? 'INTERVENED' : 'NONE',
    ...(trace ? { 'amazon-bedrock-trace': { guardrail: trace } } : {}),
  };
}

/** Bedrock's per-invocation metrics, appended to the last event of native streams. */
export function invocationMetrics(
  ctx: ResponseContext,
  r: GenerationResult,
  timing: ResponseTiming,
): Record<string, number> {
  const u = usageOf(ctx, r);
  return {
    inputTokenCount: u.inputTokens,
    outputTokenCount: u.outputTokens,
    invocationLatency: timing.latencyMs,
    firstByteLatency: timing.firstByteLatencyMs,
    ...(cached(ctx)
      ? {
          cacheReadInputTokenCount: u.cacheReadInputTokens,
          cacheWriteInputTokenCount: u.cacheWriteInputTokens,
        }
      : {}),
  };
}

function blockOpening(first: ModelDelta): Record<string, unknown> {
  switch (first.type) {
    case 'text':
      return { type: 'text', text: '' };
    case 'reasoning':
    case 'signature':
      return { type: 'thinking', thinking: '', signature: '' };
    case 'redactedReasoning':
      return { type: 'redacted_thinking', data: first.data };
    case 'toolUse':
      return { type: 'tool_use', id: nativeToolUseId(first.id), name: first.name, input: {} };
    case 'toolInput':
      return { type: 'tool_use', id: '', name: '', input: {} };
  }
}

function blockDelta(d: ModelDelta): Record<string, unknown> | undefined {
  switch (d.type) {
    case 'text':
      return { type: 'text_delta', text: d.text };
    case 'reasoning':
      return { type: 'thinking_delta', thinking: d.text };
    case 'signature':
      return { type: 'signature_delta', signature: d.signature };
    case 'toolInput':
      return { type: 'input_json_delta', partial_json: d.json };
    default:
      // Redacted reasoning travels whole in its content_block_start.
      return undefined;
  }
}

/**
 * The Anthropic Messages stream inside InvokeModelWithResponseStream `chunk` events, ending with
 * Bedrock's `amazon-bedrock-invocationMetrics` on `message_stop`.
 */
export function anthropicStreamFormat(ctx: ResponseContext): StreamFormat {
  return {
    headers: { 'x-amzn-bedrock-content-type': 'application/json' },
    start: (out) => {
      const atStart = usageOf(ctx, {
        stopReason: 'end_turn',
        inputTokens: ctx.gen.inputTokens,
        outputTokens: 1,
      });
      return out.chunk({
        type: 'message_start',
        message: {
          id: messageId(ctx.requestId),
          type: 'message',
          role: 'assistant',
          model: ctx.modelId,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: {
            input_tokens: atStart.inputTokens,
            output_tokens: 1,
            ...(cached(ctx)
              ? {
                  cache_creation_input_tokens: atStart.cacheWriteInputTokens,
                  cache_read_input_tokens: atStart.cacheReadInputTokens,
                }
              : {}),
          },
        },
      });
    },
    blockStart: (out, index, first) =>
      out.chunk({ type: 'content_block_start', index, content_block: blockOpening(first) }),
    delta: async (out, index, d) => {
      const delta = blockDelta(d);
      if (delta) await out.chunk({ type: 'content_block_delta', index, delta });
    },
    blockStop: (out, index) => out.chunk({ type: 'content_block_stop', index }),
    end: async (out, r, timing, text) => {
      await out.chunk({
        type: 'message_delta',
        delta: {
          stop_reason: anthropicStopReason(r.stopReason),
          stop_sequence: r.stopSequence ?? null,
        },
        usage: { output_tokens: r.outputTokens },
      });
      await out.chunk({
        type: 'message_stop',
        'amazon-bedrock-invocationMetrics': invocationMetrics(ctx, r, timing),
        ...guardrailFields(ctx, r, text),
      });
    },
  };
}

/** The Anthropic content blocks of a whole answer. */
function anthropicContent(blocks: readonly AnswerBlock[]): Array<Record<string, unknown>> {
  return blocks.map((b) => {
    if (b.type === 'text') return { type: 'text', text: b.text };
    if (b.type === 'reasoning')
      return { type: 'thinking', thinking: b.text, signature: b.signature ?? '' };
    if (b.type === 'redactedReasoning') return { type: 'redacted_thinking', data: b.data };
    return { type: 'tool_use', id: nativeToolUseId(b.id), name: b.name, input: b.input ?? {} };
  });
}

/** The InvokeModel response body for the Anthropic dialect. */
export function anthropicBody(
  ctx: ResponseContext,
  content: readonly AnswerBlock[],
  r: GenerationResult,
): Record<string, unknown> {
  const text = content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('');
  return {
    id: messageId(ctx.requestId),
    type: 'message',
    role: 'assistant',
    model: ctx.modelId,
    content: anthropicContent(content),
    stop_reason: anthropicStopReason(r.stopReason),
    stop_sequence: r.stopSequence ?? null,
    usage: anthropicUsage(ctx, r),
    ...guardrailFields(ctx, r, text),
  };
}
