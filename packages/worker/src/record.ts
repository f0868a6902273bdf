import {
  ConditionalCheckFailedException,
  GetItemCommand,
  TransactWriteItemsCommand,
  TransactionCanceledException,
  UpdateItemCommand,
  type DynamoDBClient,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import {
  DEFAULT_RETRY_POLICY,
  TABLE,
  TERMINAL_STREAM_STATUSES,
  backoffDelayMs,
  chunkSortKey,
  isTerminalStatus,
  ownerPartitionKey,
  safeDecodeChunkPayload,
  sleep,
  streamPartitionKey,
  usageDaySortKey,
  utcDay,
  type ChunkEvent,
  type LedgerUsage,
  type StopReason,
  type StoredError,
  type StreamPart,
  type StreamRecordItem,
  type TerminalStreamStatus,
  type Usage,
} from '@org/bedrock-stream-contracts';
import { ConversationStore, answerEndItems } from './conversation.js';
import { ledgerItems, ledgerUsage, slotReleaseItems, type SpentEstimate } from './ledger.js';
import { readStoredAttempt } from './stored-attempt.js';

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
  /** Bedrock's usage, when it reported one (the ledger adds it; else an estimate). */
  usage?: Usage | null;
  metrics?: unknown;
  error?: StoredError;
  /**
   * What the attempt streamed, for the ledger's estimate when `usage` is absent. Left out,
   * it is read back from the attempt's stored chunks.
   */
  spent?: SpentEstimate;
  /**
   * The parts the attempt streamed, for a conversation's answer (StreamRecord
   * `conversation`). Left out, they are read back from the attempt's stored chunks.
   */
  answerParts?: readonly StreamPart[];
}

/** Tries of a stream's end transaction that met another transaction on the same item. */
const CONFLICT_TRIES = 5;

/**
 * Reads and writes the stream record (contracts TABLE design). The lease makes
 * Lambda's at-least-once delivery safe: only one run holds a stream at a time, a run
 * renews its lease while alive, and a new attempt can take over only an expired lease.
 */
export class StreamRecordStore {
  /** The conversations streams answer in (same table). */
  readonly conversations: ConversationStore;

  /**
   * @param client the table's client (also what a conversation's purge deletes with).
   */
  constructor(
    readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.conversations = new ConversationStore(client, tableName);
  }

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

  /**
   * Ends `record`'s attempt, in ONE transaction: the record's final status (conditional on
   * the attempt still being current and not yet ended, so each stream ends once however
   * often it is delivered), its quota slots given back, its usage added to its owner's
   * ledger (day and month, all models and its model) and, for a conversation's answer, the
   * answer stored into its message and the conversation unlocked (see answerEndItems; an
   * item whose message or lock is no longer this stream's is left out). Returns false when
   * the attempt was superseded or the stream had already ended (nothing written).
   */
  async finish(record: StreamRecord, outcome: RecordOutcome): Promise<boolean> {
    const stored =
      outcome.spent && (!record.conversation || outcome.answerParts)
        ? null
        : await readStoredAttempt(this.client, this.tableName, record);
    const ledger = ledgerUsage(outcome.usage, record.input, outcome.spent ?? stored!.spent);
    let conversationItems = record.conversation
      ? answerEndItems(
          this.tableName,
          {
            streamId: record.streamId,
            ref: record.conversation,
            status: outcome.status,
            stopReason: outcome.stopReason,
            usage: outcome.usage,
            error: outcome.error,
            parts: outcome.answerParts ?? stored?.parts ?? [],
          },
          await this.conversations.getMessage(record.conversation),
          new Date(),
        )
      : [];
    let current = record;
    for (let tries = 1; ; tries += 1) {
      const endedAt = new Date();
      const items: TransactWriteItem[] = [
        this.finishRecordItem(current, outcome, ledger, endedAt),
        ...conversationItems,
        ...slotReleaseItems(this.tableName, current),
        ...ledgerItems(this.tableName, current, ledger, endedAt),
      ];
      try {
        await this.client.send(new TransactWriteItemsCommand({ TransactItems: items }));
        return true;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = error.CancellationReasons ?? [];
        if (reasons[0]?.Code === 'ConditionalCheckFailed') {
          // Superseded or already ended: nothing to do. Otherwise the slots were given back
          // meanwhile (a failed invoke): end it with what the record holds now.
          const latest = await this.get(record.streamId);
          if (
            !latest ||
            latest.attempt !== record.attempt ||
            isTerminalStatus(latest.status) ||
            tries >= CONFLICT_TRIES
          )
            return false;
          current = latest;
          continue;
        }
        // A message replaced (regenerate, edit) or a conversation unlocked or deleted
        // meanwhile: that item is not this stream's to write any more.
        const stale = conversationItems.filter(
          (_, i) => reasons[1 + i]?.Code === 'ConditionalCheckFailed',
        );
        if (stale.length > 0) {
          conversationItems = conversationItems.filter((item) => !stale.includes(item));
          continue;
        }
        // Another transaction on a counter or ledger item: DynamoDB cancels instead of waiting.
        if (reasons.some((r) => r.Code === 'TransactionConflict') && tries < CONFLICT_TRIES) {
          await sleep(backoffDelayMs(DEFAULT_RETRY_POLICY, tries + 1));
          continue;
        }
        throw error;
      }
    }
  }

  /** The record's part of the end transaction. */
  private finishRecordItem(
    record: StreamRecord,
    outcome: RecordOutcome,
    ledger: LedgerUsage,
    endedAt: Date,
  ): TransactWriteItem {
    const values: Record<string, unknown> = {
      ':status': outcome.status,
      ':attempt': record.attempt,
      ':now': endedAt.toISOString(),
      ':zero': 0,
      ':ledger': ledger,
    };
    const names: Record<string, string> = { '#status': 'status', '#ledger': 'ledger' };
    const sets = [
      '#status = :status',
      'updatedAt = :now',
      'leaseExpiresAt = :zero',
      '#ledger = :ledger',
    ];
    // Names go through placeholders: `usage` and `error` are DynamoDB reserved words.
    for (const key of ['stopReason', 'usage', 'metrics', 'error'] as const) {
      if (outcome[key] !== undefined && outcome[key] !== null) {
        values[`:${key}`] = outcome[key];
        names[`#${key}`] = key;
        sets.push(`#${key} = :${key}`);
      }
    }
    TERMINAL_STREAM_STATUSES.forEach((status, i) => (values[`:terminal${i}`] = status));
    const holdsSlots = (record.slots ?? []).length > 0;
    return {
      Update: {
        TableName: this.tableName,
        Key: this.key(record.streamId),
        // Whoever removes `slots` gives them back (see the resolvers' releaseStartSlots).
        UpdateExpression: `SET ${sets.join(', ')}${holdsSlots ? ' REMOVE slots' : ''}`,
        ConditionExpression: `attempt = :attempt AND NOT (#status IN (${TERMINAL_STREAM_STATUSES.map((_, i) => `:terminal${i}`).join(', ')})) AND ${holdsSlots ? 'attribute_exists(slots)' : 'attribute_not_exists(slots)'}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: marshall(values, { removeUndefinedValues: true }),
      },
    };
  }

  /** Output tokens `owner`'s ended streams used today (UTC), from the ledger. */
  async outputTokensToday(owner: string): Promise<number> {
    const out = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: marshall({
          [TABLE.partitionKey]: ownerPartitionKey(owner),
          [TABLE.sortKey]: usageDaySortKey(utcDay(new Date().toISOString())),
        }),
        ConsistentRead: true,
        ProjectionExpression: 'outputTokens',
      }),
    );
    const value = out.Item ? unmarshall(out.Item)['outputTokens'] : undefined;
    return typeof value === 'number' ? value : 0;
  }
}
