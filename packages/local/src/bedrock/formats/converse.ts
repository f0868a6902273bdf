import type { GenerationResult } from '../backend.js';
import type { ResponseTiming, StreamFormat } from '../respond.js';

/** ConverseStream events: `messageStart`, text deltas, `contentBlockStop`, `messageStop`, `metadata`. */
export function converseStreamFormat(): StreamFormat {
  return {
    start: (out) => out.event('messageStart', { role: 'assistant' }),
    delta: (out, text) => out.event('contentBlockDelta', { contentBlockIndex: 0, delta: { text } }),
    end: async (out, r, timing) => {
      await out.event('contentBlockStop', { contentBlockIndex: 0 });
      await out.event('messageStop', { stopReason: r.stopReason });
      await out.event('metadata', {
        usage: converseUsage(r),
        metrics: { latencyMs: timing.latencyMs },
      });
    },
  };
}

/** The Converse response body. */
export function converseBody(
  text: string,
  r: GenerationResult,
  timing: ResponseTiming,
): Record<string, unknown> {
  return {
    output: { message: { role: 'assistant', content: [{ text }] } },
    stopReason: r.stopReason,
    usage: converseUsage(r),
    metrics: { latencyMs: timing.latencyMs },
  };
}

function converseUsage(r: GenerationResult): Record<string, number> {
  return {
    inputTokens: r.inputTokens,
    outputTokens: r.outputTokens,
    totalTokens: r.inputTokens + r.outputTokens,
  };
}
