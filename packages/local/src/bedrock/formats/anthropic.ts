import type { GenerationResult } from '../backend.js';
import type { ResponseContext, ResponseTiming, StreamFormat } from '../respond.js';

/** Anthropic's message id shape, derived from the request id. */
function messageId(requestId: string): string {
  return `msg_bdrk_${requestId.replace(/-/g, '').slice(0, 24)}`;
}

/**
 * The Anthropic Messages stream inside InvokeModelWithResponseStream `chunk` events, ending with
 * Bedrock's `amazon-bedrock-invocationMetrics` on `message_stop`.
 */
export function anthropicStreamFormat(ctx: ResponseContext): StreamFormat {
  return {
    headers: { 'x-amzn-bedrock-content-type': 'application/json' },
    start: async (out) => {
      await out.chunk({
        type: 'message_start',
        message: {
          id: messageId(ctx.requestId),
          type: 'message',
          role: 'assistant',
          model: ctx.modelId,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: ctx.gen.inputTokens, output_tokens: 1 },
        },
      });
      await out.chunk({
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'text', text: '' },
      });
    },
    delta: (out, text) =>
      out.chunk({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }),
    end: async (out, r, timing) => {
      await out.chunk({ type: 'content_block_stop', index: 0 });
      await out.chunk({
        type: 'message_delta',
        delta: { stop_reason: r.stopReason, stop_sequence: r.stopSequence ?? null },
        usage: { output_tokens: r.outputTokens },
      });
      await out.chunk({
        type: 'message_stop',
        'amazon-bedrock-invocationMetrics': invocationMetrics(r, timing),
      });
    },
  };
}

/** The InvokeModel response body for the Anthropic dialect. */
export function anthropicBody(
  ctx: ResponseContext,
  text: string,
  r: GenerationResult,
): Record<string, unknown> {
  return {
    id: messageId(ctx.requestId),
    type: 'message',
    role: 'assistant',
    model: ctx.modelId,
    content: [{ type: 'text', text }],
    stop_reason: r.stopReason,
    stop_sequence: r.stopSequence ?? null,
    usage: { input_tokens: r.inputTokens, output_tokens: r.outputTokens },
  };
}

/** Bedrock's per-invocation metrics, appended to the last event of native streams. */
export function invocationMetrics(
  r: GenerationResult,
  timing: ResponseTiming,
): Record<string, number> {
  return {
    inputTokenCount: r.inputTokens,
    outputTokenCount: r.outputTokens,
    invocationLatency: timing.latencyMs,
    firstByteLatency: timing.firstByteLatencyMs,
  };
}
