import { isTerminalStatus, sleep, storedErrorSchema } from '@org/bedrock-stream-contracts';
import type { ProcessDeps } from './deps.js';
import type { ProcessOutcome } from './outcome.js';
import type { StreamRecord } from './record.js';
import { StreamRun } from './stream-run.js';

export type { ProcessDeps } from './deps.js';
export type { ProcessOutcome } from './outcome.js';
export { RetryableRunError } from './errors.js';
export { deadlineMarginMs } from './deadline.js';

/**
 * One invocation: claim the stream (idempotently), then run the claimed attempt
 * (StreamRun: generate -> coalesce -> publish -> finish, with cancel and deadline).
 */
export async function processStream(
  deps: ProcessDeps,
  streamId: string,
  remainingMs: () => number,
): Promise<ProcessOutcome> {
  const claimed = await claimStream(deps, streamId, remainingMs);
  if (typeof claimed === 'string') return claimed;
  return new StreamRun(deps, claimed, remainingMs).run();
}

/**
 * Claims the stream for a new attempt, or says why this invocation has nothing to do.
 * Another run holding a live lease (a concurrent duplicate, or a crashed run whose lease
 * has not lapsed yet) is waited out; the stream is taken over only if the lease lapses.
 */
async function claimStream(
  deps: ProcessDeps,
  streamId: string,
  remainingMs: () => number,
): Promise<StreamRecord | ProcessOutcome> {
  const { config, store, logger } = deps;
  for (;;) {
    const claim = await store.claim(streamId, config.leaseMs);
    switch (claim.kind) {
      case 'claimed':
        return claim.record;
      case 'missing':
        logger.warn('stream record not found', { streamId });
        return 'missing';
      case 'finished':
        logger.info('duplicate delivery of a finished stream: nothing to do', { streamId });
        return 'duplicate';
      case 'published':
        // A run stored its terminal chunk and died before recording it: record that
        // outcome rather than redo an answer clients already have.
        await settleFromStoredChunks(deps, claim.record);
        return 'duplicate';
      case 'held': {
        const waited = await waitForHolder(
          deps,
          streamId,
          Date.now() + Math.max(0, remainingMs() - 2_000),
        );
        if (waited === 'finished') return 'duplicate';
        if (waited === 'missing') return 'missing';
        if (waited === 'timeout') {
          logger.info('stream still held by a live run; leaving it', { streamId });
          return 'duplicate';
        }
      }
    }
  }
}

/** Waits out a live lease held by another run: until the stream ends or the lease lapses. */
async function waitForHolder(
  deps: ProcessDeps,
  streamId: string,
  deadline: number,
): Promise<'finished' | 'expired' | 'missing' | 'timeout'> {
  const pollMs = Math.min(500, Math.max(50, Math.floor(deps.config.leaseMs / 4)));
  while (Date.now() < deadline) {
    await sleep(pollMs);
    const record = await deps.store.get(streamId);
    if (!record) return 'missing';
    if (isTerminalStatus(record.status)) return 'finished';
    if ((record.leaseExpiresAt ?? 0) < Date.now()) return 'expired';
  }
  return 'timeout';
}

/**
 * Records the outcome a dead run had already published: its attempt's last stored chunk
 * is terminal, but the run died before finishing the record. Taking the stream over
 * instead would replace an answer clients already have. Returns whether it did.
 */
export async function settleFromStoredChunks(
  deps: Pick<ProcessDeps, 'store' | 'logger'>,
  record: StreamRecord,
): Promise<boolean> {
  const terminal = await deps.store.storedTerminal(record);
  if (!terminal) return false;
  await deps.store.finish(
    record,
    terminal.type === 'end'
      ? {
          status: terminal.stopReason === 'cancelled' ? 'CANCELLED' : 'COMPLETED',
          stopReason: terminal.stopReason,
          usage: terminal.usage,
          metrics: terminal.timings,
        }
      : // The error clients already saw, recorded as it was published.
        { status: 'FAILED', error: storedErrorSchema().parse(terminal) },
  );
  deps.logger.info('the previous run had published its terminal chunk; recorded its outcome', {
    streamId: record.streamId,
    attempt: record.attempt,
  });
  return true;
}
