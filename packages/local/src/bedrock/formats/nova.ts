import { invocationMetrics } from './anthropic.js';
import type { StreamFormat } from '../respond.js';

/** Nova's native stream: Converse-shaped JSON objects inside the chunk bytes. */
export function novaStreamFormat(): StreamFormat {
  return {
    headers: { 'x-amzn-bedrock-content-type': 'application/json' },
    start: (out) => out.chunk({ messageStart: { role: 'assistant' } }),
    delta: (out, text) =>
      out.chunk({ contentBlockDelta: { delta: { text }, contentBlockIndex: 0 } }),
    end: async (out, r, timing) => {
      await out.chunk({ contentBlockStop: { contentBlockIndex: 0 } });
      await out.chunk({ messageStop: { stopReason: r.stopReason } });
      await out.chunk({
        metadata: {
          usage: { inputTokens: r.inputTokens, outputTokens: r.outputTokens },
          metrics: {},
          trace: {},
        },
        'amazon-bedrock-invocationMetrics': invocationMetrics(r, timing),
      });
    },
  };
}
