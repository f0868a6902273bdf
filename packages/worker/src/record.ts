import {
  ConditionalCheckFailedException,
  GetItemCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import {
  TABLE,
  chunkSortKey,
  isTerminalStatus,
  safeDecodeChunkPayload,
  streamPartitionKey,
  type ChunkEvent,
  type StopReason,
  type StoredError,
  type StreamRecordItem,
  type TerminalStreamStatus,
} from '@org/bedrock-stream-contracts';

/** A finished server-tool call, kept so a later attempt does not run the tool again. */
export interface StoredToolResult {
  output: unknown;
  isError: boolean;
}

/**
 * The stream record as the worker sees it, plus its lease and the results of the server
 * tools that finished (keyed by `toolResultKey`).
 */
export type StreamRecord = StreamRecordItem & {
  leaseExpiresAt?: number;
  toolResults?: Record<string, StoredToolResult>;
};

/** Outcome of a claim attempt. */
export type ClaimResult =
  | { kind: 'claimed'; record: StreamRecord }
  | { kind: 'missing' }
  | { kind: 'finished'; record: StreamRecord }
  | { kind: 'held'; record: StreamRecord }
  /** The current attempt stored its terminal chunk; only its outcome is unrecorded. */
  | { kind: 'published'; record: StreamRecord };

/** The final state of an attempt, as {@link StreamRecordStore.finish} records it. */
export interface RecordOutcome {
  status: TerminalStreamStatus;
  stopReason?: StopReason;
  usage?: unknown;
  metrics?: unknown;
  error?: StoredError;
}

/**
 * Reads and writes the stream record (contracts TABLE design). The lease makes
 * Lambda's at-least-once delivery safe: only one run holds a stream at a time, a run
 * renews its lease while alive, and a new attempt can take over only an expired lease.
 */
export class StreamRecordStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  private key(streamId: string) {
    return marshall({
      [TABLE.partitionKey]: streamPartitionKey(streamId),
      [TABLE.sortKey]: TABLE.recordSortKey,
    });
  }

  async get(streamId: string): Promise<StreamRecord | null> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: this.key(streamId),
        ConsistentRead: true,
      }),
    );
    return out.Item ? (unmarshall(out.Item) as StreamRecord) : null;
  }

  /**
   * The terminal event (end or error) of `record`'s current attempt if its last stored
   * chunk carries one: the run stored its last chunk but died before recording the outcome.
   */
  async storedTerminal(
    record: StreamRecord,
  ): Promise<Extract<ChunkEvent, { type: 'end' | 'error' }> | null> {
    const seq = record.terminalSeq ?? record.lastSeq;
    if (seq < 0) return null;
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: marshall({
          [TABLE.partitionKey]: streamPartitionKey(record.streamId),
          [TABLE.sortKey]: chunkSortKey(record.attempt, seq),
        }),
        ConsistentRead: true,
      }),
    );
    const payload = out.Item ? unmarshall(out.Item)['payload'] : undefined;
    const decoded = safeDecodeChunkPayload(payload);
    const last = decoded.ok ? decoded.value.events.at(-1) : undefined;
    return last?.type === 'end' || last?.type === 'error' ? last : null;
  }

  /** Starts attempt N+1 if the stream is new or its holder's lease has expired. */
  async claim(streamId: string, leaseMs: number, now = Date.now()): Promise<ClaimResult> {
    try {
      const out = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.key(streamId),
          UpdateExpression:
            'SET #status = :running, attempt = attempt + :one, lastSeq = :none, leaseExpiresAt = :lease, updatedAt = :now, toolResults = if_not_exists(toolResults, :noResults)',
          ConditionExpression:
            'attribute_exists(pk) AND attribute_not_exists(terminalSeq) AND (#status = :accepted OR (#status = :running AND (attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt < :nowMs)))',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: marshall({
            ':running': 'RUNNING',
            ':accepted': 'ACCEPTED',
            ':one': 1,
            ':none': -1,
            ':lease': now + leaseMs,
            ':now': new Date(now).toISOString(),
            ':nowMs': now,
            ':noResults': {},
          }),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { kind: 'claimed', record: unmarshall(out.Attributes!) as StreamRecord };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const record = await this.get(streamId);
      if (!record) return { kind: 'missing' };
      if (isTerminalStatus(record.status)) return { kind: 'finished', record };
      if (record.terminalSeq !== undefined) return { kind: 'published', record };
      return { kind: 'held', record };
    }
  }

  /** Extends the lease of `attempt`; false when this run no longer holds the stream. */
  async renewLease(streamId: string, attempt: number, leaseMs: number): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.key(streamId),
          UpdateExpression: 'SET leaseExpiresAt = :lease',
          ConditionExpression: 'attempt = :attempt AND #status = :running',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: marshall({
            ':lease': Date.now() + leaseMs,
            ':attempt': attempt,
            ':running': 'RUNNING',
          }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Stores a finished server-tool call's result under `key` (only while `attempt` holds
   * the stream; false otherwise). A later attempt finds it in the claimed record.
   */
  async saveToolResult(
    streamId: string,
    attempt: number,
    key: string,
    result: StoredToolResult,
  ): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.key(streamId),
          UpdateExpression: 'SET toolResults.#key = :result',
          ConditionExpression: 'attempt = :attempt AND #status = :running',
          ExpressionAttributeNames: { '#key': key, '#status': 'status' },
          ExpressionAttributeValues: marshall(
            { ':result': result, ':attempt': attempt, ':running': 'RUNNING' },
            { removeUndefinedValues: true, convertEmptyValues: false },
          ),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Gives the stream up after a failed run so Lambda's retry can claim it at once. */
  async releaseLease(streamId: string, attempt: number): Promise<void> {
    await this.client
      .send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.key(streamId),
          UpdateExpression: 'SET leaseExpiresAt = :zero',
          ConditionExpression: 'attempt = :attempt AND #status = :running',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: marshall({
            ':zero': 0,
            ':attempt': attempt,
            ':running': 'RUNNING',
          }),
        }),
      )
      .catch((error: unknown) => {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
  }

  /** Writes the final status of `attempt` (ignored if a newer attempt took over). */
  async finish(streamId: string, attempt: number, outcome: RecordOutcome): Promise<void> {
    const values: Record<string, unknown> = {
      ':status': outcome.status,
      ':attempt': attempt,
      ':now': new Date().toISOString(),
      ':zero': 0,
    };
    const names: Record<string, string> = { '#status': 'status' };
    const sets = ['#status = :status', 'updatedAt = :now', 'leaseExpiresAt = :zero'];
    // Names go through placeholders: `usage` and `error` are DynamoDB reserved words.
    for (const key of ['stopReason', 'usage', 'metrics', 'error'] as const) {
      if (outcome[key] !== undefined && outcome[key] !== null) {
        values[`:${key}`] = outcome[key];
        names[`#${key}`] = key;
        sets.push(`#${key} = :${key}`);
      }
    }
    await this.client
      .send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: this.key(streamId),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: 'attempt = :attempt',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: marshall(values, { removeUndefinedValues: true }),
        }),
      )
      .catch((error: unknown) => {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
  }
}
