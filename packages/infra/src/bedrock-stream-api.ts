import { quotaEnvironment } from '@org/bedrock-stream-contracts';
import { apiDefinition as defaultApiDefinition } from '@org/bedrock-stream-resolvers';
import type {
  aws_cloudwatch as cloudwatch,
  aws_dynamodb as dynamodb,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import {
  Duration,
  Stack,
  aws_appsync as appsync,
  aws_lambda as lambda,
  aws_logs as logs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { buildFailureAlarm } from './alarms.js';
import { addApiOutputs, buildApi } from './api.js';
import { bundleWorker } from './bundle-worker.js';
import { buildFailureQueue, routeFailuresToQueue } from './failure-queue.js';
import { guardrailArn, guardrailEnvironment } from './guardrail.js';
import { modelArns } from './model-arns.js';
import { MAX_TIMEOUT_SECONDS, validateProps, type BedrockStreamApiProps } from './props.js';
import { buildDataSources, wireResolvers } from './resolvers.js';
import { buildStreamsTable } from './table.js';
import { buildWorkerFunction } from './worker-function.js';

export type {
  BedrockStreamApiProps,
  BedrockStreamAuth,
  BedrockStreamGuardrail,
  BedrockStreamTools,
} from './props.js';

/**
 * The whole bedrock-stream pattern in one construct:
 *
 * - an AppSync GraphQL API from `schema/schema.graphql` (the contracts package's deployable
 *   schema) with the chosen auth mode plus IAM;
 * - the APPSYNC_JS resolvers, functions and data sources exactly as `apiDefinition` wires
 *   them, with the same bundled files the local emulator runs (inlined byte for byte);
 * - a DynamoDB table for stream records and chunks (on-demand, TTL, point-in-time recovery);
 * - the worker Lambda (Node.js 22, arm64, bundled at synth time), invoked by the `startStream`
 *   pipeline with `invocationType: "Event"`, with async retries, a maximum event age and an
 *   on-failure SQS queue with an alarm;
 * - least-privilege roles: the worker may invoke only the configured models, call only
 *   `Mutation.publishChunk`, and get/update items of this table; the AppSync data source
 *   roles may perform only the DynamoDB operations the resolver files use, and invoke only
 *   the worker.
 */
export class BedrockStreamApi extends Construct {
  /** The AppSync API. */
  readonly api: appsync.GraphqlApi;
  /** The streams table (records and chunks). */
  readonly table: dynamodb.Table;
  /** The worker function. */
  readonly worker: lambda.Function;
  /** Where invocation events go after the last failed attempt (or when too old). */
  readonly failureQueue: sqs.Queue;
  /**
   * Consumes the failure queue (the worker bundle's `failureHandler`): ends each given-up
   * stream with a terminal `WorkerFailed` error, so clients never wait on it forever.
   */
  readonly failureHandler: lambda.Function;
  /** Alarms when a worker event is given up on (a message reaches the failure queue). */
  readonly failureAlarm: cloudwatch.Alarm;
  /** The AppSync data sources, by `apiDefinition` name. */
  readonly dataSources: Readonly<Record<string, appsync.BaseDataSource>>;
  /** The ARNs the worker may invoke Bedrock on. */
  readonly modelArns: readonly string[];

  constructor(scope: Construct, id: string, props: BedrockStreamApiProps) {
    super(scope, id);
    validateProps(props);
    const definition = props.apiDefinition ?? defaultApiDefinition;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

    this.table = buildStreamsTable(this, props);
    this.api = buildApi(this, {
      name: props.apiName ?? `${Stack.of(this).stackName}-bedrock-stream`,
      auth: props.auth ?? { mode: 'API_KEY' },
      // Quotas make startStream a transaction, and transactions name their table.
      environmentVariables: definition.environmentVariables({
        allowedModelIds: props.modelIds,
        quotas: props.quotas,
        tableName: this.table.tableName,
      }),
      fieldLogLevel: props.fieldLogLevel ?? appsync.FieldLogLevel.ERROR,
      xrayEnabled: props.xrayEnabled ?? false,
      logRetention,
    });
    this.modelArns = modelArns(this, props.modelIds);

    // Both functions run the worker bundle with the same environment.
    const code = lambda.Code.fromAsset(bundleWorker({ toolsEntry: props.tools?.entry }));
    const guardrail = props.guardrail;
    const environment = {
      ...props.workerEnvironment,
      GRAPHQL_URL: this.api.graphqlUrl,
      TABLE_NAME: this.table.tableName,
      ALLOWED_MODEL_IDS: props.modelIds.join(','),
      FLUSH_WINDOW_MS: String(props.flushWindowMs ?? 100),
      MAX_ATTEMPTS: String(props.maxAttempts ?? 3),
      ...quotaEnvironment(props.quotas),
      ...(guardrail ? guardrailEnvironment(guardrail) : {}),
    };
    const recordAndPublish = { table: this.table, api: this.api };
    this.worker = buildWorkerFunction(this, 'Worker', {
      description: 'bedrock-stream worker: streams a Bedrock generation into publishChunk',
      handler: 'index.handler',
      code,
      environment,
      timeout: props.workerTimeout ?? Duration.seconds(MAX_TIMEOUT_SECONDS),
      memorySize: props.workerMemoryMb ?? 1024,
      reservedConcurrentExecutions: props.reservedConcurrency,
      logRetention,
      grants: {
        ...recordAndPublish,
        description: 'bedrock-stream worker: Bedrock (allowed models), publishChunk, streams table',
        modelArns: this.modelArns,
        purgeConversations: true,
        ...(guardrail ? { guardrailArn: guardrailArn(this, guardrail.identifier) } : {}),
      },
      runtimeReason:
        'The worker is pinned to Node.js 22, the runtime its bundle targets and its tests run on; upgrade deliberately with the worker package.',
    });
    this.failureHandler = buildWorkerFunction(this, 'FailureHandler', {
      description: 'bedrock-stream: ends the streams whose worker events Lambda gave up on',
      handler: 'index.failureHandler',
      code,
      environment,
      timeout: Duration.minutes(1),
      memorySize: 256,
      logRetention,
      grants: {
        ...recordAndPublish,
        description:
          'bedrock-stream failure handler: ends given-up streams (record + publishChunk)',
      },
      runtimeReason:
        'The failure handler ships in the worker bundle, pinned to Node.js 22 like the worker; upgrade deliberately with the worker package.',
    });

    this.failureQueue = buildFailureQueue(this, props.removalPolicy);
    routeFailuresToQueue({
      worker: this.worker,
      failureHandler: this.failureHandler,
      queue: this.failureQueue,
      retryAttempts: props.retryAttempts ?? 2,
      maxEventAge: props.maxEventAge ?? Duration.hours(1),
    });
    this.failureAlarm = buildFailureAlarm(this, this.failureQueue, props.failureAlarmActions);

    this.dataSources = buildDataSources(this, {
      api: this.api,
      table: this.table,
      worker: this.worker,
      definition,
    });
    wireResolvers(this, { api: this.api, dataSources: this.dataSources, definition });
    if (props.outputs ?? true) addApiOutputs(this, this.api);
  }
}
