import type { GenerationResult } from '../backend.js';
import { guardrailTrace } from '../guardrail.js';
import type { AnswerBlock, ModelDelta } from '../output.js';
import {
  usageOf,
  type ResponseContext,
  type ResponseTiming,
  type StreamFormat,
} from '../respond.js';

/** The Converse `delta` union member of one model delta. */
export function converseDelta(d: ModelDelta): Record<string, unknown> {
  switch (d.type) {
    case 'text':
      return { text: d.text };
    case 'reasoning':
      return { reasoningContent: { text: d.text } };
    case 'signature':
      return { reasoningContent: { signature: d.signature } };
    case 'redactedReasoning':
      // A blob: base64 in JSON, bytes once the SDK decoded it.
      return { reasoningContent: { redactedContent: d.data } };
    case 'toolInput':
      return { toolUse: { input: d.json } };
    case 'toolUse':
      return {};
  }
}

/** The Converse content blocks of a whole answer. */
export function converseContent(blocks: readonly AnswerBlock[]): Array<Record<string, unknown>> {
  return blocks.map((b) => {
    if (b.type === 'text') return { text: b.text };
    if (b.type === 'reasoning') {
      return { reasoningContent: { reasoningText: { text: b.text, signature: b.signature } } };
    }
    if (b.type === 'redactedReasoning') return { reasoningContent: { redactedContent: b.data } };
    return { toolUse: { toolUseId: b.id, name: b.name, input: b.input ?? {} } };
  });
}

/** Converse usage: cache fields appear when the request asked for caching. */
export function converseUsage(ctx: ResponseContext, r: GenerationResult): Record<string, number> {
  const u = usageOf(ctx, r);
  return {
    inputTokens: u.inputTokens,
    outputTokens: u.outputTokens,
    totalTokens: u.totalTokens,
    ...(ctx.chat.cacheCheckpoints?.length
      ? {
          cacheReadInputTokens: u.cacheReadInputTokens,
          cacheWriteInputTokens: u.cacheWriteInputTokens,
        }
      : {}),
  };
}

/** `messageStop` / response fields: the stop reason and the requested model response fields. */
function stopFields(ctx: ResponseContext, r: GenerationResult): Record<string, unknown> {
  const paths = ctx.chat.responseFieldPaths ?? [];
  return {
    stopReason: r.stopReason,
    ...(paths.includes('/delta/stop_sequence')
      ? { additionalModelResponseFields: { delta: { stop_sequence: r.stopSequence ?? null } } }
      : {}),
  };
}

/** `metadata.trace`, present when the request's guardrail asked for tracing. */
function traceOf(ctx: ResponseContext, r: GenerationResult, text: string): Record<string, unknown> {
  const guardrail = guardrailTrace(ctx.chat.guardrail, r.guardrail, text);
  return guardrail ? { trace: { guardrail } } : {};
}

/**
 * ConverseStream events: `messageStart`; per content block `contentBlockStart` (tool use only,
 * as Bedrock does), `contentBlockDelta`s and `contentBlockStop`; `messageStop`; `metadata`.
 */
export function converseStreamFormat(ctx: ResponseContext): StreamFormat {
  return {
    start: (out) => out.event('messageStart', { role: 'assistant' }),
    blockStart: async (out, index, first) => {
      if (first.type !== 'toolUse') return;
      await out.event('contentBlockStart', {
        contentBlockIndex: index,
        start: { toolUse: { toolUseId: first.id, name: first.name } },
      });
    },
    delta: (out, index, d) =>
      out.event('contentBlockDelta', { contentBlockIndex: index, delta: converseDelta(d) }),
    blockStop: (out, index) => out.event('contentBlockStop', { contentBlockIndex: index }),
    end: async (out, r, timing, text) => {
      await out.event('messageStop', stopFields(ctx, r));
      await out.event('metadata', {
        usage: converseUsage(ctx, r),
        metrics: { latencyMs: timing.latencyMs },
        ...traceOf(ctx, r, text),
      });
    },
  };
}

/** The Converse response body. */
export function converseBody(
  ctx: ResponseContext,
  content: readonly AnswerBlock[],
  r: GenerationResult,
  timing: ResponseTiming,
): Record<string, unknown> {
  const text = content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('');
  return {
    output: { message: { role: 'assistant', content: converseContent(content) } },
    ...stopFields(ctx, r),
    usage: converseUsage(ctx, r),
    metrics: { latencyMs: timing.latencyMs },
    ...traceOf(ctx, r, text),
  };
}
