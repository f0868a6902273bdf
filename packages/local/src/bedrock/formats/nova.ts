import { invocationMetrics } from './anthropic.js';
import { converseDelta, converseUsage } from './converse.js';
import type { ResponseContext, StreamFormat } from '../respond.js';

/** Nova's native stream: Converse-shaped JSON objects inside the chunk bytes. */
export function novaStreamFormat(ctx: ResponseContext): StreamFormat {
  return {
    headers: { 'x-amzn-bedrock-content-type': 'application/json' },
    start: (out) => out.chunk({ messageStart: { role: 'assistant' } }),
    blockStart: async (out, index, first) => {
      if (first.type !== 'toolUse') return;
      await out.chunk({
        contentBlockStart: {
          start: { toolUse: { toolUseId: first.id, name: first.name } },
          contentBlockIndex: index,
        },
      });
    },
    delta: (out, index, d) =>
      out.chunk({ contentBlockDelta: { delta: converseDelta(d), contentBlockIndex: index } }),
    blockStop: (out, index) => out.chunk({ contentBlockStop: { contentBlockIndex: index } }),
    end: async (out, r, timing) => {
      const { inputTokens, outputTokens } = converseUsage(ctx, r);
      await out.chunk({ messageStop: { stopReason: r.stopReason } });
      await out.chunk({
        metadata: { usage: { inputTokens, outputTokens }, metrics: {}, trace: {} },
        'amazon-bedrock-invocationMetrics': invocationMetrics(ctx, r, timing),
      });
    },
  };
}
