import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { schemaFiles } from '@org/bedrock-stream-contracts';
import { TABLE } from '@org/bedrock-stream-contracts';
import { apiDefinition } from '@org/bedrock-stream-resolvers';
import type {
  aws_cognito as cognito} from 'aws-cdk-lib';
import {
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  aws_appsync as appsync,
  aws_cloudwatch as cloudwatch,
  aws_dynamodb as dynamodb,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_lambda_destinations as destinations,
  aws_logs as logs,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { bundleWorker } from './bundle-worker.js';

/** How end users call the API. IAM is always added as well: the worker publishes with it. */
export type BedrockStreamAuth =
  | { mode: 'API_KEY'; apiKeyExpiresInDays?: number }
  | { mode: 'USER_POOL'; userPool: cognito.IUserPool }
  | { mode: 'OIDC'; issuer: string; clientId?: string }
  | { mode: 'IAM' };

/** Props of {@link BedrockStreamApi}. */
export interface BedrockStreamApiProps {
  /** Bedrock model ids or inference-profile ids the API may use (the allow-list). */
  modelIds: string[];
  /** Default: API key (good for demos; use USER_POOL or OIDC in production). */
  auth?: BedrockStreamAuth;
  /** Coalescer window of the worker. Default 100 ms. */
  flushWindowMs?: number;
  /** Worker attempts per stream (Lambda's async retries included). Default 3. */
  maxAttempts?: number;
  /** Worker timeout, at most 15 minutes. Default 15 minutes. */
  workerTimeout?: Duration;
  workerMemoryMb?: number;
  reservedConcurrency?: number;
  /** Lambda async retries after a failed run (0-2). Default 2. */
  retryAttempts?: number;
  /** Drop events older than this. Default 1 hour. */
  maxEventAge?: Duration;
  /** Point-in-time recovery of the table. Default true. */
  pointInTimeRecovery?: boolean;
  /** Default RETAIN. */
  removalPolicy?: RemovalPolicy;
}

/** Bedrock ARNs for model ids: foundation models, or inference profiles (`us.` / `eu.` / `apac.` / ARNs). */
export function modelArns(scope: Construct, modelIds: string[]): string[] {
  const { region, account, partition } = Stack.of(scope);
  return modelIds.flatMap((id) => {
    if (id.startsWith('arn:')) return [id];
    if (/^(us|eu|apac|global)\./.test(id)) {
      // A cross-region profile invokes the underlying model in several regions.
      return [
        `arn:${partition}:bedrock:${region}:${account}:inference-profile/${id}`,
        `arn:${partition}:bedrock:*::foundation-model/${id.replace(/^[a-z]+\./, '')}`,
      ];
    }
    return [`arn:${partition}:bedrock:${region}::foundation-model/${id}`];
  });
}

/**
 * The whole bedrock-stream pattern: AppSync API from schema/schema.graphql with the
 * APPSYNC_JS resolvers of `apiDefinition` (the same files the local emulator runs),
 * a DynamoDB table for streams and chunks, and the worker Lambda invoked with
 * `invocationType: "Event"`, with async retries, an on-failure queue and an alarm.
 */
export class BedrockStreamApi extends Construct {
  readonly api: appsync.GraphqlApi;
  readonly table: dynamodb.Table;
  readonly worker: lambda.Function;
  readonly failureQueue: sqs.Queue;
  readonly failureAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: BedrockStreamApiProps) {
    super(scope, id);
    if (props.modelIds.length === 0)
      throw new Error('BedrockStreamApi: modelIds must name at least one model');
    const timeout = props.workerTimeout ?? Duration.minutes(15);
    if (timeout.toSeconds() > 900)
      throw new Error('BedrockStreamApi: workerTimeout is at most 15 minutes');
    const retryAttempts = props.retryAttempts ?? 2;
    if (retryAttempts < 0 || retryAttempts > 2)
      throw new Error('BedrockStreamApi: retryAttempts must be 0, 1 or 2');

    this.table = new dynamodb.Table(this, 'Streams', {
      partitionKey: { name: TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TABLE.ttlAttribute,
      pointInTimeRecoverySpecification: {
        pointInTimeRecoveryEnabled: props.pointInTimeRecovery ?? true,
      },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });

    const auth = props.auth ?? { mode: 'API_KEY' };
    const defaultAuthorization: appsync.AuthorizationMode =
      auth.mode === 'API_KEY'
        ? {
            authorizationType: appsync.AuthorizationType.API_KEY,
            apiKeyConfig: { expires: undefined, description: 'bedrock-stream demo key' },
          }
        : auth.mode === 'USER_POOL'
          ? {
              authorizationType: appsync.AuthorizationType.USER_POOL,
              userPoolConfig: { userPool: auth.userPool },
            }
          : auth.mode === 'OIDC'
            ? {
                authorizationType: appsync.AuthorizationType.OIDC,
                openIdConnectConfig: { oidcProvider: auth.issuer, clientId: auth.clientId },
              }
            : { authorizationType: appsync.AuthorizationType.IAM };
    const apiLogs = new logs.LogGroup(this, 'ApiLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api = new appsync.GraphqlApi(this, 'Api', {
      name: `${Stack.of(this).stackName}-bedrock-stream`,
      definition: appsync.Definition.fromFile(schemaFiles.deployable),
      authorizationConfig: {
        defaultAuthorization,
        additionalAuthorizationModes:
          auth.mode === 'IAM' ? [] : [{ authorizationType: appsync.AuthorizationType.IAM }],
      },
      environmentVariables: apiDefinition.environmentVariables({ allowedModelIds: props.modelIds }),
      logConfig: {
        fieldLogLevel: appsync.FieldLogLevel.ERROR,
        retention: logs.RetentionDays.ONE_MONTH,
      },
      xrayEnabled: true,
    });
    void apiLogs;

    const workerLogs = new logs.LogGroup(this, 'WorkerLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.worker = new lambda.Function(this, 'Worker', {
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(
        bundleWorker(fileURLToPath(new URL('../.bundle/worker', import.meta.url))),
      ),
      timeout,
      memorySize: props.workerMemoryMb ?? 1024,
      reservedConcurrentExecutions: props.reservedConcurrency,
      logGroup: workerLogs,
      environment: {
        GRAPHQL_URL: this.api.graphqlUrl,
        TABLE_NAME: this.table.tableName,
        ALLOWED_MODEL_IDS: props.modelIds.join(','),
        FLUSH_WINDOW_MS: String(props.flushWindowMs ?? 100),
        MAX_ATTEMPTS: String(props.maxAttempts ?? 3),
        POWERTOOLS_SERVICE_NAME: 'bedrock-stream-worker',
      },
    });

    this.failureQueue = new sqs.Queue(this, 'FailedStreams', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.worker.configureAsyncInvoke({
      retryAttempts,
      maxEventAge: props.maxEventAge ?? Duration.hours(1),
      onFailure: new destinations.SqsDestination(this.failureQueue),
    });
    this.failureAlarm = new cloudwatch.Alarm(this, 'FailedStreamsAlarm', {
      alarmDescription: 'A stream exhausted its worker retries (see the on-failure queue).',
      metric: this.failureQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // Least privilege: the worker reads/claims/finishes records, invokes only the
    // allowed models, and may call only the publishChunk field.
    this.worker.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [this.table.tableArn],
      }),
    );
    this.worker.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
        resources: modelArns(this, props.modelIds),
      }),
    );
    this.api.grant(
      this.worker,
      appsync.IamResource.ofType('Mutation', 'publishChunk'),
      'appsync:GraphQL',
    );

    // The one wiring: data sources, functions and resolvers exactly as apiDefinition says.
    const dataSources: Record<string, appsync.BaseDataSource> = {};
    for (const [name, ds] of Object.entries(apiDefinition.dataSources)) {
      dataSources[name] =
        ds.type === 'AMAZON_DYNAMODB'
          ? this.api.addDynamoDbDataSource(name, this.table)
          : ds.type === 'AWS_LAMBDA'
            ? this.api.addLambdaDataSource(name, this.worker)
            : this.api.addNoneDataSource(name);
    }
    const code = (file: string) => appsync.Code.fromInline(readFileSync(file, 'utf8'));
    const functions: Record<string, appsync.AppsyncFunction> = {};
    for (const [name, fn] of Object.entries(apiDefinition.functions)) {
      functions[name] = new appsync.AppsyncFunction(this, `Fn${name}`, {
        api: this.api,
        name,
        dataSource: dataSources[fn.dataSource]!,
        code: code(fn.codeFile),
        runtime: appsync.FunctionRuntime.JS_1_0_0,
      });
    }
    for (const r of apiDefinition.resolvers) {
      new appsync.Resolver(this, `${r.typeName}${r.fieldName}`, {
        api: this.api,
        typeName: r.typeName,
        fieldName: r.fieldName,
        code: code(r.codeFile),
        runtime: appsync.FunctionRuntime.JS_1_0_0,
        ...(r.kind === 'PIPELINE'
          ? { pipelineConfig: (r.functions ?? []).map((f) => functions[f]!) }
          : { dataSource: dataSources[r.dataSource!]! }),
      });
    }

    new CfnOutput(this, 'GraphqlUrl', { value: this.api.graphqlUrl });
    new CfnOutput(this, 'Region', { value: Stack.of(this).region });
    if (this.api.apiKey) new CfnOutput(this, 'ApiKeyId', { value: this.api.apiKey });
  }
}
