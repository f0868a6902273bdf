import { createHash } from 'node:crypto';
import type { CacheCheckpoint } from './chat.js';

/** Cache tokens of one request, as Bedrock reports them in usage. */
export interface CacheUsage {
  /** Prompt tokens served from the cache. */
  readTokens: number;
  /** Prompt tokens written to the cache by this request. */
  writeTokens: number;
}

/** The token estimate of a cached prefix (the same ~4 characters a token as the rest). */
function prefixTokens(prefix: string): number {
  return Math.ceil(prefix.length / 4);
}

/**
 * The server's prompt cache, keyed by model and prompt prefix, like Bedrock's: a checkpoint whose
 * prefix reaches the model's minimum is written on first use and read while its entry lives
 * (5 minutes, or 1 hour with `ttl: '1h'`; each read refreshes it). Deterministic for a given
 * sequence of requests.
 */
export class PromptCache {
  private readonly entries = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  private key(modelId: string, prefix: string): string {
    return createHash('sha256').update(modelId).update('\0').update(prefix).digest('hex');
  }

  /**
   * Reads and writes the checkpoints of one request: the longest live prefix is read, the
   * tokens between it and the last eligible checkpoint are written.
   */
  use(
    modelId: string,
    checkpoints: readonly CacheCheckpoint[],
    minTokens: number,
    totalInput: number,
  ): CacheUsage {
    const now = this.now();
    const eligible = checkpoints.filter((c) => prefixTokens(c.prefix) >= minTokens);
    if (eligible.length === 0) return { readTokens: 0, writeTokens: 0 };
    let read = 0;
    for (const c of eligible) {
      const expires = this.entries.get(this.key(modelId, c.prefix));
      if (expires !== undefined && expires > now) read = Math.max(read, prefixTokens(c.prefix));
    }
    const last = Math.max(...eligible.map((c) => prefixTokens(c.prefix)));
    for (const c of eligible)
      this.entries.set(this.key(modelId, c.prefix), now + c.ttlSeconds * 1000);
    // The cached part can never exceed the request's whole input estimate.
    const cap = Math.max(0, totalInput - 1);
    const readTokens = Math.min(read, cap);
    return { readTokens, writeTokens: Math.min(Math.max(0, last - read), cap - readTokens) };
  }

  /** Forgets every entry. */
  clear(): void {
    this.entries.clear();
  }
}
