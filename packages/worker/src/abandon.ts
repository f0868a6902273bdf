import {
  LIMITS,
  isTerminalStatus,
  type ChunkEvent,
  type StoredError,
  type WorkerErrorCode,
} from '@org/bedrock-stream-contracts';
import { settleFromStoredChunks, type ProcessDeps } from './process-stream.js';
import { SupersededError } from './errors.js';

/** What {@link endAbandonedStream} did. */
export type AbandonOutcome = 'failed' | 'finished' | 'missing';

/**
 * Ends a stream whose worker event was given up on (Lambda's on-failure destination:
 * retries exhausted, or the event expired) with a terminal `WorkerFailed` error, so no
 * client waits on it forever. A run that crashed on its last attempt could not do this
 * itself. Does nothing to a stream that already ended.
 */
export async function endAbandonedStream(
  deps: Pick<ProcessDeps, 'store' | 'publish' | 'logger'>,
  streamId: string,
  reason: string,
): Promise<AbandonOutcome> {
  const record = await deps.store.get(streamId);
  if (!record) return 'missing';
  if (isTerminalStatus(record.status)) return 'finished';
  // The last run published its end (or error) and died before recording it.
  if (await settleFromStoredChunks(deps, record)) return 'finished';
  const message = `the worker gave up on this stream: ${reason}`.slice(0, LIMITS.errorMessageChars);
  const error: StoredError = {
    code: 'WorkerFailed' satisfies WorkerErrorCode,
    message,
    retryable: true,
  };
  // A claimed stream gets the terminal chunk clients wait for; one never claimed has
  // no attempt to publish into (publishChunk takes chunks of running streams only).
  if (record.status === 'RUNNING') {
    const events: ChunkEvent[] = [{ type: 'error', ...error }];
    if (record.lastSeq < 0)
      events.unshift({
        type: 'start',
        modelId: record.modelId,
        attempt: record.attempt,
        startedAt: new Date().toISOString(),
      });
    try {
      await deps.publish({ streamId, attempt: record.attempt, seq: record.lastSeq + 1, events });
    } catch (err) {
      if (!(err instanceof SupersededError)) throw err;
      return 'finished';
    }
  }
  await deps.store.finish(streamId, record.attempt, { status: 'FAILED', error });
  deps.logger.warn('stream abandoned by its worker; ended with WorkerFailed', {
    streamId,
    attempt: record.attempt,
  });
  return 'failed';
}
