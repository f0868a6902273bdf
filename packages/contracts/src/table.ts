/**
 * The single-table design shared by the resolvers (which write the stream record
 * and chunk items), the worker (which claims and finishes the record) and infra.
 *
 * Item keys: `pk` = `STREAM#<streamId>`; the record has `sk` = `META`, chunk items
 * `sk` = `CHUNK#<attempt:6>#<seq:9>` so one Query with `sk > chunkSortKey(a, s)`
 * returns every later chunk in (attempt, seq) order. `expiresAt` is the TTL attribute.
 */
export const TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
  recordSortKey: 'META',
  chunkPrefix: 'CHUNK#',
} as const;

export function streamPartitionKey(streamId: string): string {
  return `STREAM#${streamId}`;
}

export function chunkSortKey(attempt: number, seq: number): string {
  return `${TABLE.chunkPrefix}${String(attempt).padStart(6, '0')}#${String(seq).padStart(9, '0')}`;
}

/**
 * Attributes of the stream record item (sk = META). Written by startStream
 * (ACCEPTED), claimed and finished by the worker, read by getStream.
 */
export interface StreamRecordItem {
  pk: string;
  sk: typeof TABLE.recordSortKey;
  streamId: string;
  /** Identity key of the caller of startStream; see the resolvers' `ownerOf`. */
  owner: string;
  status: 'ACCEPTED' | 'RUNNING' | 'COMPLETED' | 'CANCELLED' | 'FAILED';
  /** The validated StartStreamInput, without streamId. */
  input: Record<string, unknown>;
  modelId: string;
  attempt: number;
  lastSeq: number;
  /**
   * Seq of the current attempt's terminal chunk (end or error) once stored. Set by
   * publishChunk, so a run that dies before recording its outcome is not redone: the
   * next run records the outcome from that chunk instead of taking the stream over.
   */
  terminalSeq?: number;
  cancelRequested: boolean;
  stopReason?: string;
  usage?: Record<string, unknown>;
  metrics?: Record<string, unknown>;
  error?: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  expiresAt: number;
}

/** Attributes of a stored chunk item. */
export interface StreamChunkItem {
  pk: string;
  sk: string;
  streamId: string;
  owner: string;
  attempt: number;
  seq: number;
  /** The ChunkPayload JSON string exactly as published. */
  payload: string;
  createdAt: string;
  expiresAt: number;
}
