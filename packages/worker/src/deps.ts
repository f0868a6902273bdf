import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import type { WorkerConfig } from './config.js';
import type { Log } from './log.js';
import { createPublisher, type Publisher } from './publisher.js';
import { StreamRecordStore } from './record.js';
import type { ServerTool } from './tools.js';

/** The metrics a run counts. */
export type WorkerMetric = 'ChunksPublished' | 'Attempts' | 'Failures';

/** Everything a run talks to. */
export interface ProcessDeps {
  config: WorkerConfig;
  store: StreamRecordStore;
  bedrock: BedrockRuntimeClient;
  publish: Publisher;
  logger: Log;
  /** The worker's own (server-side) tools, offered to the model beside the client's. */
  tools?: ServerTool[];
  /** Counts for metrics: publishes, attempts, failures. */
  count?: (metric: WorkerMetric, value?: number) => void;
}

/** The real clients for `config` (created once per cold start). */
export function createProcessDeps(
  config: WorkerConfig,
  logger: ProcessDeps['logger'],
  count?: ProcessDeps['count'],
  tools: ServerTool[] = [],
): ProcessDeps {
  const dynamo = new DynamoDBClient({
    region: config.region,
    ...(config.dynamodbEndpoint ? { endpoint: config.dynamodbEndpoint } : {}),
  });
  return {
    config,
    store: new StreamRecordStore(dynamo, config.tableName),
    // The worker decides retries itself (in place before text, new attempt after).
    bedrock: new BedrockRuntimeClient({
      region: config.region,
      maxAttempts: 1,
      ...(config.bedrockEndpoint ? { endpoint: config.bedrockEndpoint } : {}),
    }),
    publish: createPublisher({
      graphqlUrl: config.graphqlUrl,
      region: config.region,
      credentials: defaultProvider(),
      retryPolicy: config.publishRetry,
    }),
    logger,
    count,
    tools,
  };
}
