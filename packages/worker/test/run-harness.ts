import { randomUUID } from 'node:crypto';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import {
  ChunkEventSchema,
  LIMITS,
  TABLE,
  streamPartitionKey,
  type ChunkEvent,
} from '@org/bedrock-stream-contracts';
import {
  ensureStreamsTable,
  startBedrockServer,
  startDynamoDB,
  type BedrockServer,
  type LocalDynamoDB,
} from '@org/bedrock-stream-local';
import { loadConfig } from '../src/config.js';
import type { ProcessDeps } from '../src/deps.js';
import { processStream } from '../src/process-stream.js';
import { StreamRecordStore, type StreamRecord } from '../src/record.js';
import type { ServerTool } from '../src/tools.js';

/** A published chunk as the harness saw it (every event checked against the contract). */
export interface SeenChunk {
  attempt: number;
  seq: number;
  events: ChunkEvent[];
}

/**
 * Real parts around one worker run: dynalite for the record, the local Bedrock endpoint
 * for the model, and a publish that checks each chunk against the contract's strict
 * writer schemas and bounds (the AppSync path is covered by the stack and fault suites).
 */
export interface RunHarness {
  bedrock: BedrockServer;
  /** The table's client (table `streams`), to seed and read items. */
  dynamo: DynamoDBClient;
  store: StreamRecordStore;
  /** The deps a run gets (publish checks chunks against the contract, stores nothing). */
  deps(env?: Record<string, string>, tools?: ServerTool[]): ProcessDeps;
  /** Runs one stream with `input` (StartStreamInput without streamId) to its outcome. */
  run(
    input: Record<string, unknown>,
    options?: {
      tools?: ServerTool[];
      env?: Record<string, string>;
      /** Called with each chunk as it is published (e.g. to cancel mid-stream). */
      onChunk?: (chunk: SeenChunk, streamId: string) => Promise<void> | void;
      /** Reuse a stream: run its next attempt. */
      streamId?: string;
      /** The id of the new stream (default: a random one). */
      newStreamId?: string;
      /** Fields of the new stream record beside the harness's (e.g. `conversation`). */
      record?: Record<string, unknown>;
    },
  ): Promise<{ streamId: string; outcome: string; chunks: SeenChunk[]; record: StreamRecord }>;
  /** Sets cancelRequested on a stream's record. */
  cancel(streamId: string): Promise<void>;
  close(): Promise<void>;
}

export async function startRunHarness(): Promise<RunHarness> {
  const dynamo: LocalDynamoDB = await startDynamoDB();
  const bedrock = await startBedrockServer({});
  const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
  const dynamoClient = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: dynamo.endpoint,
    credentials,
  });
  await ensureStreamsTable(dynamoClient, 'streams', TABLE);
  const store = new StreamRecordStore(dynamoClient, 'streams');
  const bedrockClient = new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: bedrock.url,
    credentials,
    maxAttempts: 1,
  });
  const baseEnv = {
    GRAPHQL_URL: 'http://127.0.0.1:1/graphql',
    AWS_REGION: 'us-east-1',
    TABLE_NAME: 'streams',
    ALLOWED_MODEL_IDS: [
      'anthropic.claude-3-haiku-20240307-v1:0',
      'us.anthropic.claude-3-7-sonnet-20250219-v1:0',
    ].join(','),
    FLUSH_WINDOW_MS: '20',
    LEASE_MS: '3000',
    CANCEL_POLL_MS: '20',
    METRICS_ENABLED: 'false',
  };
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

  const depsFor = (
    env: Record<string, string> = {},
    tools: ServerTool[] = [],
    onPublish?: (chunk: SeenChunk) => Promise<void> | void,
  ): ProcessDeps => ({
    config: loadConfig({ ...baseEnv, ...env }),
    store,
    bedrock: bedrockClient,
    logger: quiet,
    tools,
    publish: async (chunk) => {
      const events = chunk.events.map((e) => ChunkEventSchema.parse(e));
      if (events.length > LIMITS.chunkEvents) throw new Error('too many events in a chunk');
      if (Buffer.byteLength(JSON.stringify(events)) > LIMITS.chunkPayloadBytes)
        throw new Error('chunk payload too big');
      await onPublish?.({ attempt: chunk.attempt, seq: chunk.seq, events });
    },
  });

  return {
    bedrock,
    dynamo: dynamoClient,
    store,
    deps: (env, tools) => depsFor(env, tools),
    async run(input, options = {}) {
      const streamId = options.streamId ?? options.newStreamId ?? randomUUID();
      if (!options.streamId)
        await dynamoClient.send(
          new PutItemCommand({
            TableName: 'streams',
            Item: marshall(
              {
                pk: streamPartitionKey(streamId),
                sk: 'META',
                streamId,
                owner: 'apikey',
                status: 'ACCEPTED',
                input,
                modelId: input['modelId'],
                attempt: 0,
                lastSeq: -1,
                cancelRequested: false,
                ...options.record,
              },
              { removeUndefinedValues: true },
            ),
          }),
        );
      const chunks: SeenChunk[] = [];
      const deps = depsFor(options.env, options.tools, async (seen) => {
        chunks.push(seen);
        await options.onChunk?.(seen, streamId);
      });
      const outcome = await processStream(deps, streamId, () => 60_000);
      const record = (await store.get(streamId))!;
      return { streamId, outcome, chunks, record };
    },
    async cancel(streamId) {
      await dynamoClient.send(
        new UpdateItemCommand({
          TableName: 'streams',
          Key: marshall({ [TABLE.partitionKey]: streamPartitionKey(streamId), sk: 'META' }),
          UpdateExpression: 'SET cancelRequested = :yes',
          ExpressionAttributeValues: marshall({ ':yes': true }),
        }),
      );
    },
    async close() {
      bedrockClient.destroy();
      dynamoClient.destroy();
      await bedrock.close();
      await dynamo.close();
    },
  };
}

/** Every event of a run, in order. */
export const eventsOf = (chunks: SeenChunk[]) => chunks.flatMap((c) => c.events);

/** The concatenated text events of a run. */
export const textOf = (chunks: SeenChunk[]) =>
  eventsOf(chunks)
    .map((e) => (e.type === 'text' ? e.text : ''))
    .join('');
