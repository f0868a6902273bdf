import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { StreamIdSchema } from '@org/bedrock-stream-contracts';
import { z } from 'zod';
import { loadConfig } from './config.js';
import { processStream, type ProcessDeps, type ProcessOutcome } from './process-stream.js';
import { createPublisher } from './publisher.js';
import { StreamRecordStore } from './record.js';

/** The Event invocation's payload: only the stream id (the input is in the record). */
export const WorkerEventSchema = z.strictObject({ streamId: StreamIdSchema });

/** The subset of the Lambda context the worker uses. */
export interface WorkerContext {
  awsRequestId?: string;
  getRemainingTimeInMillis?: () => number;
}

// Prompts never reach the logs: only ids, attempts, codes and counts are logged.
const logger = new Logger({
  serviceName: 'bedrock-stream-worker',
  logLevel: (process.env['LOG_LEVEL'] as 'INFO' | undefined) ?? 'INFO',
});
const metrics = new Metrics({ namespace: 'BedrockStream', serviceName: 'bedrock-stream-worker' });
let deps: ProcessDeps | null = null;

function createDeps(): ProcessDeps {
  const config = loadConfig();
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
    }),
    logger,
    count: config.metricsEnabled
      ? (name, value = 1) => metrics.addMetric(name, MetricUnit.Count, value)
      : undefined,
  };
}

/**
 * The Lambda handler for AppSync's `Event` invocation. A thin shell: validate the
 * event, then claim -> generate -> coalesce -> publish -> finish (processStream).
 * Throws only to ask Lambda for a retry (a failed run after text went out).
 */
export async function handler(
  event: unknown,
  context: WorkerContext = {},
): Promise<{ outcome: ProcessOutcome | 'rejected' }> {
  const parsed = WorkerEventSchema.safeParse(event);
  if (!parsed.success) {
    // A malformed event can never succeed: do not ask Lambda to retry it.
    logger.error('invalid worker event', { issues: parsed.error.issues.map((i) => i.message) });
    return { outcome: 'rejected' };
  }
  deps ??= createDeps();
  logger.appendKeys({ streamId: parsed.data.streamId, requestId: context.awsRequestId });
  try {
    const remaining = () => context.getRemainingTimeInMillis?.() ?? 15 * 60_000;
    return { outcome: await processStream(deps, parsed.data.streamId, remaining) };
  } finally {
    if (deps.config.metricsEnabled) metrics.publishStoredMetrics();
    logger.removeKeys(['streamId', 'requestId']);
  }
}
