// publishChunk step 1: the chunk must belong to the stream's current, running attempt
// and may not skip ahead (seq <= lastSeq + 1), so a stale or confused worker can
// neither overwrite a newer attempt nor leave a gap. The payload must fit the size bound
// and the contracts' ChunkPayload schema; all of it is checked before the stream is read,
// so a rejected chunk is never stored or fanned out.
import { util, type Context } from '@aws-appsync/utils';
import { LIMITS, assertStreamId, failOnError, recordKey } from '../lib/common.js';
import { utf8Bytes, validateChunkPayload } from '../lib/validate-chunk.js';

export function request(ctx: Context) {
  const input = ctx.args['input'] as Record<string, unknown>;
  const streamId = assertStreamId(input['streamId']);
  const attempt = input['attempt'] as number;
  const seq = input['seq'] as number;
  if (attempt < 1) util.error('attempt must be >= 1', 'ValidationError');
  if (seq < 0) util.error('seq must be >= 0', 'ValidationError');
  // AWSJSON arrives parsed. The size bound (UTF-8 bytes) comes first: it caps the work of the
  // validation below (undefined, from a caller that bypassed the schema, stringifies to
  // nothing and is rejected by the validator).
  const raw = input['payload'];
  const payload = raw === undefined ? '' : JSON.stringify(raw);
  if (utf8Bytes(payload) > LIMITS.chunkPayloadBytes) {
    util.error(`payload exceeds ${LIMITS.chunkPayloadBytes} bytes`, 'ValidationError');
  }
  validateChunkPayload(raw);
  ctx.stash['payload'] = payload;
  // A valid payload is an object whose events end with at most one terminal event.
  const events = (raw as Record<string, unknown>)['events'] as Array<Record<string, unknown>>;
  const lastType = events[events.length - 1]!['type'];
  ctx.stash['terminal'] = lastType === 'end' || lastType === 'error';
  return { operation: 'GetItem', key: recordKey(streamId), consistentRead: true };
}

export function response(ctx: Context) {
  failOnError(ctx.error);
  const record = ctx.result as Record<string, unknown> | null;
  const input = ctx.args['input'] as Record<string, unknown>;
  if (!record) util.error('stream not found', 'NotFound');
  const current = (record as Record<string, unknown>)['attempt'] as number;
  if (input['attempt'] !== current) {
    util.error(
      `attempt ${input['attempt'] as number} is not the current attempt ${current}`,
      'StaleAttempt',
    );
  }
  const lastSeq = (record as Record<string, unknown>)['lastSeq'] as number;
  if ((input['seq'] as number) > lastSeq + 1) {
    util.error(
      `seq ${input['seq'] as number} skips ahead of the last stored seq ${lastSeq}`,
      'SeqOutOfOrder',
    );
  }
  const status = (record as Record<string, unknown>)['status'] as string;
  // Only a claimed, running stream takes chunks: nothing lands after its terminal chunk.
  if (status !== 'RUNNING') {
    util.error(`stream is ${status}; chunks are accepted only while it runs`, 'StreamNotRunning');
  }
  ctx.stash['record'] = record;
  return record;
}
