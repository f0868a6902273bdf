// Reads what the store holds after what a stream has assembled: after a gap, after a
// resubscription (nothing is replayed), when the record is ahead, when a stream is resumed.
import type { StreamChunksQueryVariables } from '@org/bedrock-stream-contracts';
import type { OperationRetrier, RetryHooks } from './operation-retry.js';
import type { StreamChunkMessage, StreamChunkPage, StreamTransport } from './transport.js';

/** What a catch-up needs from its stream. */
export interface CatchUpTarget {
  /** Where the assembled text ends: chunks strictly after it are read. */
  position(): { attempt: number; lastAppliedSeq: number };
  /** Applies one stored chunk. */
  apply(chunk: StreamChunkMessage): void;
  /** Whether the stream ended (reading stops). */
  finished(): boolean;
  /** Counts a page read and the chunks it held. */
  counted(chunks: number): void;
}

/**
 * One stream's catch-up, serialized: asked while one runs, that one reads again before it
 * settles, so awaiting it always covers what was stored when asked. Each page is retried
 * under the `streamChunks` budget.
 */
export class CatchUp {
  private running: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly transport: StreamTransport,
    private readonly retrier: OperationRetrier,
    private readonly streamId: string,
    private readonly pageSize: number,
    private readonly hooks: RetryHooks,
    private readonly target: CatchUpTarget,
  ) {}

  /**
   * Reads to the end of the store.
   * @throws StreamClientError `QUERY_FAILED` when a page failed for good (its budget spent).
   */
  run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const run = this.read().finally(() => {
      if (this.running === run) this.running = null;
    });
    this.running = run;
    return run;
  }

  private async read(): Promise<void> {
    do {
      this.again = false;
      let nextToken: string | null = null;
      const from = this.target.position();
      do {
        if (this.target.finished()) return;
        const variables: StreamChunksQueryVariables = {
          streamId: this.streamId,
          attempt: from.attempt > 0 ? from.attempt : null,
          afterSeq: from.attempt > 0 ? from.lastAppliedSeq : null,
          limit: this.pageSize,
          nextToken,
        };
        const page: StreamChunkPage = await this.retrier.run(
          'streamChunks',
          () => this.transport.streamChunks(variables),
          this.hooks,
        );
        this.target.counted(page.items.length);
        for (const item of page.items) {
          if (this.target.finished()) return;
          this.target.apply(item);
        }
        nextToken = page.nextToken;
      } while (nextToken);
    } while (this.again && !this.target.finished());
  }
}
