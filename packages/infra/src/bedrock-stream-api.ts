import { readFileSync } from 'node:fs';
import { TABLE } from '@org/bedrock-stream-contracts';
import { schemaFiles } from '@org/bedrock-stream-contracts/node';
import { apiDefinition as defaultApiDefinition } from '@org/bedrock-stream-resolvers';
import type { ApiDefinition } from '@org/bedrock-stream-resolvers';
import {
  CfnOutput,
  Duration,
  Expiration,
  RemovalPolicy,
  Stack,
  aws_appsync as appsync,
  aws_cloudwatch as cloudwatch,
  aws_dynamodb as dynamodb,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_lambda_destinations as destinations,
  aws_lambda_event_sources as eventSources,
  aws_logs as logs,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import type { aws_cognito as cognito } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { bundleWorker } from './bundle-worker.js';
import { modelArns } from './model-arns.js';
import { suppressNag } from './nag.js';
import { dynamoDbActionsFor } from './resolver-permissions.js';

/**
 * How end users call the API (the default authorization mode). IAM is always added as an
 * additional mode, because the worker publishes chunks with its own role (SigV4) and
 * `publishChunk` is `@aws_iam` only.
 */
export type BedrockStreamAuth =
  | {
      /** API key: for demos and the example app. */
      mode: 'API_KEY';
      /** Days until the key expires, 1-365. Default: AppSync's default (7 days). */
      apiKeyExpiresInDays?: number;
    }
  | {
      /** Amazon Cognito user pool JWTs (owner = `sub`). */
      mode: 'USER_POOL';
      userPool: cognito.IUserPool;
      /** Only tokens of app clients matching this regex are accepted. */
      appIdClientRegex?: string;
    }
  | {
      /** Any OpenID Connect provider's JWTs (owner = `sub`). */
      mode: 'OIDC';
      /** The issuer URL (`iss` claim). */
      issuer: string;
      /** The client id (`aud` claim) to accept; default any. */
      clientId?: string;
    }
  | {
      /** IAM SigV4 for end users too (for example Cognito identity pools). */
      mode: 'IAM';
    };

/** Props of {@link BedrockStreamApi}. Only `modelIds` is required. */
export interface BedrockStreamApiProps {
  /**
   * The Bedrock model ids and/or system inference-profile ids (`us.anthropic...`) clients may
   * use: the resolvers' allow-list and the only models the worker's role may invoke.
   */
  modelIds: string[];
  /** Default: `{ mode: 'API_KEY' }` (demo). Use USER_POOL or OIDC for real users. */
  auth?: BedrockStreamAuth;
  /** Name of the AppSync API. Default: `<stack name>-bedrock-stream`. */
  apiName?: string;
  /** AppSync field log level. Default ERROR (ALL would write prompts and answers to logs). */
  fieldLogLevel?: appsync.FieldLogLevel;
  /** Retention of the API's and the worker's log groups. Default one month. */
  logRetention?: logs.RetentionDays;
  /** AWS X-Ray tracing of the API. Default false (X-Ray is billed per trace). */
  xrayEnabled?: boolean;
  /** Coalescer window of the worker (`FLUSH_WINDOW_MS`). Default 100 ms. */
  flushWindowMs?: number;
  /** Worker attempts per stream (`MAX_ATTEMPTS`, Lambda's async retries included). Default 3. */
  maxAttempts?: number;
  /** Worker timeout, at most 15 minutes (a long generation must fit). Default 15 minutes. */
  workerTimeout?: Duration;
  /** Worker memory. Default 1024 MB (more memory also means more CPU for TLS and JSON). */
  workerMemoryMb?: number;
  /** Reserved concurrency of the worker (caps parallel generations). Default: unreserved. */
  reservedConcurrency?: number;
  /** Extra worker environment (for example `LEASE_MS`, `STALL_TIMEOUT_MS`). */
  workerEnvironment?: Record<string, string>;
  /** Lambda async retries after a failed run, 0-2. Default 2. */
  retryAttempts?: number;
  /** Drop invocation events older than this (60 s - 6 h). Default 1 hour. */
  maxEventAge?: Duration;
  /** Actions of the alarm on the on-failure queue (for example an SNS topic). Default none. */
  failureAlarmActions?: cloudwatch.IAlarmAction[];
  /** Point-in-time recovery of the table. Default true. */
  pointInTimeRecovery?: boolean;
  /** Removal policy of the table (and the failure queue). Default RETAIN. */
  removalPolicy?: RemovalPolicy;
  /**
   * The API wiring. Default: `apiDefinition` of `@org/bedrock-stream-resolvers`, the one the
   * local emulator runs. Override only for tests or an extended schema.
   */
  apiDefinition?: ApiDefinition;
  /** Add CfnOutputs (GraphqlUrl, Region, ApiKeyId). Default true. */
  outputs?: boolean;
}

const MAX_TIMEOUT_SECONDS = 15 * 60;

/** Throws a clear error naming the first invalid prop. */
function validate(props: BedrockStreamApiProps): void {
  const fail = (msg: string): never => {
    throw new Error(`BedrockStreamApi: ${msg}`);
  };
  if (props.modelIds.length === 0) fail('modelIds must name at least one model');
  for (const id of props.modelIds)
    if (!/^[\w.:/-]+$/.test(id)) fail(`modelIds: "${id}" is not a Bedrock model id or ARN`);
  const timeout = props.workerTimeout?.toSeconds();
  if (timeout !== undefined && (timeout < 1 || timeout > MAX_TIMEOUT_SECONDS))
    fail('workerTimeout must be between 1 second and 15 minutes');
  const retries = props.retryAttempts;
  if (retries !== undefined && ![0, 1, 2].includes(retries))
    fail('retryAttempts must be 0, 1 or 2');
  const age = props.maxEventAge?.toSeconds();
  if (age !== undefined && (age < 60 || age > 6 * 3600))
    fail('maxEventAge must be between 60 seconds and 6 hours');
  const flush = props.flushWindowMs;
  if (flush !== undefined && (!Number.isInteger(flush) || flush < 0 || flush > 5000))
    fail('flushWindowMs must be an integer from 0 to 5000');
  const attempts = props.maxAttempts;
  if (attempts !== undefined && (!Number.isInteger(attempts) || attempts < 1 || attempts > 10))
    fail('maxAttempts must be an integer from 1 to 10');
  const rc = props.reservedConcurrency;
  if (rc !== undefined && (!Number.isInteger(rc) || rc < 1))
    fail('reservedConcurrency must be a positive integer');
  if (props.auth?.mode === 'API_KEY' && props.auth.apiKeyExpiresInDays !== undefined) {
    const d = props.auth.apiKeyExpiresInDays;
    if (!Number.isInteger(d) || d < 1 || d > 365)
      fail('auth.apiKeyExpiresInDays must be an integer from 1 to 365');
  }
}

function defaultAuthorization(auth: BedrockStreamAuth): appsync.AuthorizationMode {
  switch (auth.mode) {
    case 'API_KEY':
      return {
        authorizationType: appsync.AuthorizationType.API_KEY,
        apiKeyConfig: {
          description: 'bedrock-stream API key',
          expires:
            auth.apiKeyExpiresInDays === undefined
              ? undefined
              : Expiration.after(Duration.days(auth.apiKeyExpiresInDays)),
        },
      };
    case 'USER_POOL':
      return {
        authorizationType: appsync.AuthorizationType.USER_POOL,
        userPoolConfig: { userPool: auth.userPool, appIdClientRegex: auth.appIdClientRegex },
      };
    case 'OIDC':
      return {
        authorizationType: appsync.AuthorizationType.OIDC,
        openIdConnectConfig: { oidcProvider: auth.issuer, clientId: auth.clientId },
      };
    case 'IAM':
      return { authorizationType: appsync.AuthorizationType.IAM };
  }
}

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
    validate(props);
    const definition = props.apiDefinition ?? defaultApiDefinition;
    const auth = props.auth ?? { mode: 'API_KEY' };
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const stack = Stack.of(this);

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

    // AppSync logging with our own role scoped to the API's log group, instead of the
    // AWSAppSyncPushToCloudWatchLogs managed policy (which may write to any log group), and
    // the log group created here with a retention, instead of CDK's LogRetention Lambda.
    const apiLogRole = new iam.Role(this, 'ApiLogRole', {
      assumedBy: new iam.ServicePrincipal('appsync.amazonaws.com'),
      description: 'AppSync writes the bedrock-stream API logs',
    });
    this.api = new appsync.GraphqlApi(this, 'Api', {
      name: props.apiName ?? `${stack.stackName}-bedrock-stream`,
      definition: appsync.Definition.fromFile(schemaFiles.deployable),
      authorizationConfig: {
        defaultAuthorization: defaultAuthorization(auth),
        additionalAuthorizationModes:
          auth.mode === 'IAM' ? [] : [{ authorizationType: appsync.AuthorizationType.IAM }],
      },
      environmentVariables: definition.environmentVariables({ allowedModelIds: props.modelIds }),
      xrayEnabled: props.xrayEnabled ?? false,
    });
    // Logging set on the L1 resource: the L2 `logConfig` always adds CDK's LogRetention
    // custom resource (a Lambda function with a managed policy and `logs:*` on `*`).
    const cfnApi = this.api.node.defaultChild as appsync.CfnGraphQLApi;
    cfnApi.logConfig = {
      cloudWatchLogsRoleArn: apiLogRole.roleArn,
      fieldLogLevel: props.fieldLogLevel ?? appsync.FieldLogLevel.ERROR,
    };
    const apiLogGroup = new logs.LogGroup(this, 'ApiLogs', {
      logGroupName: `/aws/appsync/apis/${this.api.apiId}`,
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    apiLogGroup.grantWrite(apiLogRole);
    // AppSync's documented logging permissions include CreateLogGroup; allow it on this group only
    // (the group already exists, so the call is a harmless no-op rather than an access error).
    apiLogRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogGroup'],
        resources: [apiLogGroup.logGroupArn],
      }),
    );

    // The worker's role: no managed policy; logs only to its own log group.
    const workerLogs = new logs.LogGroup(this, 'WorkerLogs', {
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const workerRole = new iam.Role(this, 'WorkerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'bedrock-stream worker: Bedrock (allowed models), publishChunk, streams table',
    });
    workerLogs.grantWrite(workerRole);
    const workerCode = lambda.Code.fromAsset(bundleWorker());
    const workerEnvironment = {
      ...props.workerEnvironment,
      GRAPHQL_URL: this.api.graphqlUrl,
      TABLE_NAME: this.table.tableName,
      ALLOWED_MODEL_IDS: props.modelIds.join(','),
      FLUSH_WINDOW_MS: String(props.flushWindowMs ?? 100),
      MAX_ATTEMPTS: String(props.maxAttempts ?? 3),
    };
    this.worker = new lambda.Function(this, 'Worker', {
      description: 'bedrock-stream worker: streams a Bedrock generation into publishChunk',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: workerCode,
      role: workerRole,
      timeout: props.workerTimeout ?? Duration.seconds(MAX_TIMEOUT_SECONDS),
      memorySize: props.workerMemoryMb ?? 1024,
      reservedConcurrentExecutions: props.reservedConcurrency,
      logGroup: workerLogs,
      environment: workerEnvironment,
    });
    suppressNag(this.worker, [
      {
        id: 'AwsSolutions-L1',
        reason:
          'The worker is pinned to Node.js 22, the runtime its bundle targets and its tests run on; upgrade deliberately with the worker package.',
      },
    ]);

    // Lambda's async invocation: up to retryAttempts retries, then the event goes to the queue.
    this.failureQueue = new sqs.Queue(this, 'FailedStreams', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      // At least six times the consumer's timeout, as AWS advises for Lambda consumers.
      visibilityTimeout: Duration.minutes(6),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    suppressNag(this.failureQueue, [
      {
        id: 'AwsSolutions-SQS3',
        reason:
          "This queue is itself the dead-letter destination of the worker's async invocations; its consumer reports failures per message, so SQS redelivers those for the 14-day retention, and the alarm fires on every message sent.",
      },
    ]);
    this.worker.configureAsyncInvoke({
      retryAttempts: props.retryAttempts ?? 2,
      maxEventAge: props.maxEventAge ?? Duration.hours(1),
      onFailure: new destinations.SqsDestination(this.failureQueue),
    });

    // The queue's consumer, with its own least-privilege role: read and end the stream
    // record, publish its terminal chunk.
    const failureLogs = new logs.LogGroup(this, 'FailureHandlerLogs', {
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const failureRole = new iam.Role(this, 'FailureHandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'bedrock-stream failure handler: ends given-up streams (record + publishChunk)',
    });
    failureLogs.grantWrite(failureRole);
    this.failureHandler = new lambda.Function(this, 'FailureHandler', {
      description: 'bedrock-stream: ends the streams whose worker events Lambda gave up on',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.failureHandler',
      code: workerCode,
      role: failureRole,
      timeout: Duration.minutes(1),
      memorySize: 256,
      logGroup: failureLogs,
      environment: workerEnvironment,
    });
    suppressNag(this.failureHandler, [
      {
        id: 'AwsSolutions-L1',
        reason:
          'The failure handler ships in the worker bundle, pinned to Node.js 22 like the worker; upgrade deliberately with the worker package.',
      },
    ]);
    failureRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [this.table.tableArn],
      }),
    );
    this.api.grant(
      failureRole,
      appsync.IamResource.ofType('Mutation', 'publishChunk'),
      'appsync:GraphQL',
    );
    this.failureHandler.addEventSource(
      new eventSources.SqsEventSource(this.failureQueue, {
        batchSize: 10,
        reportBatchItemFailures: true,
      }),
    );

    // Every message sent is a given-up stream (the consumer empties the queue quickly).
    this.failureAlarm = new cloudwatch.Alarm(this, 'FailedStreamsAlarm', {
      alarmDescription:
        'A stream exhausted its worker retries or expired; its invocation event went to the on-failure queue and the stream was ended with a WorkerFailed error.',
      metric: this.failureQueue.metricNumberOfMessagesSent({
        period: Duration.minutes(1),
        statistic: cloudwatch.Stats.SUM,
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    for (const action of props.failureAlarmActions ?? []) this.failureAlarm.addAlarmAction(action);

    // Worker least privilege: claim/heartbeat/finish its stream record (GetItem, UpdateItem on
    // this table only), invoke only the allowed models, call only the publishChunk field.
    workerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [this.table.tableArn],
      }),
    );
    this.modelArns = modelArns(this, props.modelIds);
    workerRole.addToPolicy(
      new iam.PolicyStatement({
        // ConverseStream is authorized as InvokeModelWithResponseStream.
        actions: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
        resources: [...this.modelArns],
      }),
    );
    this.api.grant(
      workerRole,
      appsync.IamResource.ofType('Mutation', 'publishChunk'),
      'appsync:GraphQL',
    );
    if (this.modelArns.some((arn) => arn.includes(':bedrock:*::foundation-model/'))) {
      suppressNag(workerRole.node.findChild('DefaultPolicy'), [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'A cross-region inference profile serves each request from one of several regions, so its named foundation model must be allowed in every region; the model id itself is not a wildcard.',
          appliesTo: [
            { regex: '/^Resource::arn:<AWS::Partition>:bedrock:\\*::foundation-model\\/[^*]+$/' },
          ],
        },
      ]);
    }

    this.dataSources = this.createDataSources(definition);
    this.wireResolvers(definition);

    if (props.outputs ?? true) {
      new CfnOutput(this, 'GraphqlUrl', {
        value: this.api.graphqlUrl,
        description: 'AppSync GraphQL endpoint (the real-time endpoint is derived from it)',
      });
      new CfnOutput(this, 'Region', { value: stack.region, description: 'AWS region of the API' });
      if (this.api.apiKey !== undefined)
        new CfnOutput(this, 'ApiKeyId', {
          value: this.api.apiKey,
          description: 'AppSync API key (its id is the x-api-key value)',
        });
    }
  }

  /**
   * One AppSync data source per `definition.dataSources` entry, each with its own role that
   * may do exactly what the resolvers attached to it need.
   */
  private createDataSources(definition: ApiDefinition): Record<string, appsync.BaseDataSource> {
    const filesBySource = new Map<string, string[]>();
    const use = (source: string, file: string) =>
      filesBySource.set(source, [...(filesBySource.get(source) ?? []), file]);
    for (const fn of Object.values(definition.functions)) use(fn.dataSource, fn.codeFile);
    for (const r of definition.resolvers) if (r.dataSource) use(r.dataSource, r.codeFile);

    const sources: Record<string, appsync.BaseDataSource> = {};
    for (const [name, ds] of Object.entries(definition.dataSources)) {
      if (ds.type === 'NONE') {
        sources[name] = this.api.addNoneDataSource(name, { name });
        continue;
      }
      // CDK's data sources grant broad access (all read/write actions, invoke on every
      // version); give them a role that ignores those grants and add exact statements.
      const role = new iam.Role(this, `DataSource${name}Role`, {
        assumedBy: new iam.ServicePrincipal('appsync.amazonaws.com'),
      });
      const serviceRole = role.withoutPolicyUpdates();
      if (ds.type === 'AMAZON_DYNAMODB') {
        sources[name] = new appsync.DynamoDbDataSource(this, `DataSource${name}`, {
          api: this.api,
          name,
          table: this.table,
          serviceRole,
        });
        role.addToPolicy(
          new iam.PolicyStatement({
            actions: dynamoDbActionsFor(filesBySource.get(name) ?? []),
            resources: [this.table.tableArn],
          }),
        );
      } else {
        sources[name] = new appsync.LambdaDataSource(this, `DataSource${name}`, {
          api: this.api,
          name,
          lambdaFunction: this.worker,
          serviceRole,
        });
        role.addToPolicy(
          new iam.PolicyStatement({
            actions: ['lambda:InvokeFunction'],
            resources: [this.worker.functionArn],
          }),
        );
      }
    }
    return sources;
  }

  /** Functions and resolvers exactly as `definition` says, code inlined from its files. */
  private wireResolvers(definition: ApiDefinition): void {
    const dataSource = (name: string, user: string) => {
      const ds = this.dataSources[name];
      if (!ds) throw new Error(`BedrockStreamApi: ${user} uses unknown data source "${name}"`);
      return ds;
    };
    // Inline (not an S3 asset): the template then holds the exact bytes, which a test hashes
    // against the emulator's files, and no asset upload is needed for resolver code.
    const code = (file: string) => appsync.Code.fromInline(readFileSync(file, 'utf8'));
    const functions: Record<string, appsync.AppsyncFunction> = {};
    for (const [name, fn] of Object.entries(definition.functions)) {
      functions[name] = new appsync.AppsyncFunction(this, `Function${name}`, {
        api: this.api,
        name,
        dataSource: dataSource(fn.dataSource, `function ${name}`),
        code: code(fn.codeFile),
        runtime: appsync.FunctionRuntime.JS_1_0_0,
      });
    }
    for (const r of definition.resolvers) {
      const field = `${r.typeName}.${r.fieldName}`;
      new appsync.Resolver(this, `Resolver${r.typeName}${r.fieldName}`, {
        api: this.api,
        typeName: r.typeName,
        fieldName: r.fieldName,
        code: code(r.codeFile),
        runtime: appsync.FunctionRuntime.JS_1_0_0,
        ...(r.kind === 'PIPELINE'
          ? {
              pipelineConfig: (r.functions ?? []).map((f) => {
                const fn = functions[f];
                if (!fn) throw new Error(`BedrockStreamApi: ${field} uses unknown function "${f}"`);
                return fn;
              }),
            }
          : { dataSource: dataSource(r.dataSource ?? '', field) }),
      });
    }
  }
}
