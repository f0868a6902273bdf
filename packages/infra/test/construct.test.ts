// The example configuration of BedrockStreamApi, synthesized once (with cdk-nag's AwsSolutions
// checks as an aspect) and inspected with aws-cdk-lib/assertions.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONVERSATIONS_BY_OWNER, TABLE } from '@org/bedrock-stream-contracts';
import { schemaFiles } from '@org/bedrock-stream-contracts/node';
import { apiDefinition } from '@org/bedrock-stream-resolvers';
import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildSchema } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { BedrockStreamApi, dynamoDbActionsFor } from '../src/index.js';
import {
  list,
  logicalId,
  render,
  resources,
  statementsByRole,
  type CfnResourceJson,
} from './template.js';

const MODELS = [
  'anthropic.claude-3-haiku-20240307-v1:0',
  'us.anthropic.claude-3-5-haiku-20241022-v1:0',
];
const REGION = 'us-east-1';
const ACCOUNT = '123456789012';

let app: App;
let stack: Stack;
let construct: BedrockStreamApi;
let template: Template;

beforeAll(() => {
  app = new App();
  stack = new Stack(app, 'Test', { env: { account: ACCOUNT, region: REGION } });
  construct = new BedrockStreamApi(stack, 'BedrockStream', { modelIds: MODELS });
  // No suppressions here: the construct must carry (and justify) its own.
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  app.synth();
  template = Template.fromStack(stack);
});

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const props = <T>(r: CfnResourceJson) => r.Properties as T;

interface DataSourceProps {
  Name: string;
  Type: string;
  ServiceRoleArn?: unknown;
  DynamoDBConfig?: { TableName: unknown };
  LambdaConfig?: { LambdaFunctionArn: unknown };
}
interface FunctionProps {
  Name: string;
  DataSourceName: unknown;
  Code: string;
  Runtime: { Name: string; RuntimeVersion: string };
}
interface ResolverProps {
  TypeName: string;
  FieldName: string;
  Kind: string;
  Code: string;
  DataSourceName?: unknown;
  PipelineConfig?: { Functions: unknown[] };
  Runtime: { Name: string; RuntimeVersion: string };
}

/** Data source name by logical id, to resolve `Fn::GetAtt [<id>, Name]` references. */
function dataSourceNames(): Map<string, DataSourceProps> {
  return new Map(
    Object.entries(resources(template, 'AWS::AppSync::DataSource')).map(([id, r]) => [
      id,
      props<DataSourceProps>(r),
    ]),
  );
}
/** The data source a function or resolver names (CDK writes the plain name, plus a DependsOn). */
function dataSourceOf(name: unknown): DataSourceProps {
  expect(typeof name).toBe('string');
  const ds = [...dataSourceNames().values()].find((d) => d.Name === name);
  expect(ds, String(name)).toBeDefined();
  return ds!;
}
function functionsByName(): Map<string, FunctionProps & { id: string }> {
  return new Map(
    Object.entries(resources(template, 'AWS::AppSync::FunctionConfiguration')).map(([id, r]) => [
      props<FunctionProps>(r).Name,
      { ...props<FunctionProps>(r), id },
    ]),
  );
}
function resolversByField(): Map<string, ResolverProps> {
  return new Map(
    Object.values(resources(template, 'AWS::AppSync::Resolver')).map((r) => {
      const p = props<ResolverProps>(r);
      return [`${p.TypeName}.${p.FieldName}`, p];
    }),
  );
}

describe('the startStream pipeline invokes the worker asynchronously', () => {
  it('has invocationType "Event" in the deployed code of the Lambda data source function', () => {
    const lambdaFunctions = [...functionsByName().values()].filter(
      (f) => dataSourceOf(f.DataSourceName).Type === 'AWS_LAMBDA',
    );
    // invokeWorker starts a stream (startStream and every conversation turn);
    // purgeConversation hands a deleted conversation to the worker.
    expect(lambdaFunctions.map((f) => f.Name).sort()).toEqual([
      'invokeWorker',
      'purgeConversation',
    ]);
    for (const { Code: code } of lambdaFunctions) {
      expect(code).toMatch(/operation:\s*"Invoke"/);
      expect(code).toMatch(/invocationType:\s*"Event"/);
    }
    expect(lambdaFunctions.find((f) => f.Name === 'purgeConversation')!.Code).toMatch(
      /payload:\s*\{\s*purgeConversationId:/,
    );
    // ...and nothing anywhere invokes synchronously (AppSync's 30 s limit).
    const allCode = [
      ...[...functionsByName().values()].map((f) => f.Code),
      ...[...resolversByField().values()].map((r) => r.Code),
    ].join('\n');
    expect(allCode).not.toMatch(/RequestResponse/);
    expect(resolversByField().get('Mutation.startStream')?.PipelineConfig?.Functions).toEqual(
      ['putStream', 'getExistingStream', 'invokeWorker', 'releaseStartSlots'].map((name) => ({
        'Fn::GetAtt': [functionsByName().get(name)!.id, 'FunctionId'],
      })),
    );
    // A conversation turn stores its stream, then reuses startStream's invoke and release.
    for (const field of ['sendMessage', 'regenerateMessage', 'submitToolResults'])
      expect(resolversByField().get(`Mutation.${field}`)?.PipelineConfig?.Functions).toEqual(
        [
          'getOwnedConversation',
          'getTurnStream',
          'readTurnMessages',
          'writeTurn',
          'invokeWorker',
          'releaseStartSlots',
        ].map((name) => ({ 'Fn::GetAtt': [functionsByName().get(name)!.id, 'FunctionId'] })),
      );
  });

  it('points the Lambda data source at the worker function', () => {
    const ds = [...dataSourceNames().values()].find((d) => d.Type === 'AWS_LAMBDA')!;
    expect(ds.LambdaConfig?.LambdaFunctionArn).toEqual({
      'Fn::GetAtt': [logicalId(template, 'AWS::Lambda::Function', 'BedrockStreamWorker'), 'Arn'],
    });
  });
});

describe('schema and auth', () => {
  it('deploys schema/schema.graphql unchanged, without the graphql-js built-ins file', () => {
    const schema = Object.values(resources(template, 'AWS::AppSync::GraphQLSchema'));
    expect(schema).toHaveLength(1);
    const sdl = props<{ Definition: string }>(schema[0]!).Definition;
    expect(sdl).toBe(readFileSync(schemaFiles.deployable, 'utf8'));
    expect(sdl).not.toMatch(/^\s*directive @aws_/m);
    expect(sdl).not.toMatch(/^\s*scalar AWS/m);
  });

  it('makes publishChunk and usageOf @aws_iam only (field directive overrides the type modes)', () => {
    const sdl = props<{ Definition: string }>(
      Object.values(resources(template, 'AWS::AppSync::GraphQLSchema'))[0]!,
    ).Definition;
    const schema = buildSchema(`${readFileSync(schemaFiles.awsBuiltins, 'utf8')}\n${sdl}`);
    const field = schema.getMutationType()!.getFields()['publishChunk']!;
    expect(field.astNode?.directives?.map((d) => d.name.value)).toEqual(['aws_iam']);
    // Any owner's usage ledger is for the app's backend only.
    const usageOf = schema.getQueryType()!.getFields()['usageOf']!;
    expect(usageOf.astNode?.directives?.map((d) => d.name.value)).toEqual(['aws_iam']);
    // Every other mutation/query field inherits the type's modes (no field-level directive).
    for (const type of [schema.getMutationType()!, schema.getQueryType()!])
      for (const f of Object.values(type.getFields()))
        if (f.name !== 'publishChunk' && f.name !== 'usageOf')
          expect(f.astNode?.directives?.filter((d) => d.name.value.startsWith('aws_'))).toEqual([]);
  });

  it('uses an API key by default and always adds IAM for the worker', () => {
    template.hasResourceProperties('AWS::AppSync::GraphQLApi', {
      AuthenticationType: 'API_KEY',
      AdditionalAuthenticationProviders: [{ AuthenticationType: 'AWS_IAM' }],
      EnvironmentVariables: {
        ...apiDefinition.environmentVariables({ allowedModelIds: MODELS }),
        // Transactions (quotas) name their table.
        STREAMS_TABLE_NAME: {
          Ref: logicalId(template, 'AWS::DynamoDB::Table', 'BedrockStreamStreams'),
        },
      },
      LogConfig: { FieldLogLevel: 'ERROR', CloudWatchLogsRoleArn: Match.anyValue() },
    });
    template.resourceCountIs('AWS::AppSync::ApiKey', 1);
  });

  it('outputs what a client needs: GraphQL URL, region, API key', () => {
    const outputs = template.toJSON() as { Outputs: Record<string, { Value: unknown }> };
    const byName = (suffix: string) =>
      Object.entries(outputs.Outputs).find(([id]) => id.startsWith(`BedrockStream${suffix}`))?.[1]
        .Value;
    const api = logicalId(template, 'AWS::AppSync::GraphQLApi', 'BedrockStreamApi');
    expect(byName('GraphqlUrl')).toEqual({ 'Fn::GetAtt': [api, 'GraphQLUrl'] });
    expect(byName('Region')).toBe(REGION);
    expect(render(byName('ApiKeyId'))).toMatch(/^\$\{BedrockStreamApiDefaultApiKey\w+\.ApiKey\}$/);
  });
});

describe('least-privilege IAM', () => {
  const isSensitive = (a: string) => a.startsWith('bedrock:') || a.startsWith('appsync:');

  it('never allows anything on "*" and attaches no managed policies', () => {
    for (const { statement } of statementsByRole(template))
      for (const r of list(statement.Resource)) expect(render(r)).not.toBe('*');
    for (const role of Object.values(resources(template, 'AWS::IAM::Role')))
      expect(role.Properties['ManagedPolicyArns']).toBeUndefined();
  });

  it('lets only the worker invoke exactly the configured models', () => {
    const workerRole = logicalId(template, 'AWS::IAM::Role', 'BedrockStreamWorkerRole');
    const bedrock = statementsByRole(template).filter(({ statement }) =>
      list(statement.Action).some((a) => a.startsWith('bedrock:')),
    );
    expect(bedrock).toHaveLength(1);
    expect(bedrock[0]!.role).toBe(workerRole);
    expect(list(bedrock[0]!.statement.Action).sort()).toEqual([
      'bedrock:InvokeModel',
      'bedrock:InvokeModelWithResponseStream',
    ]);
    expect(list(bedrock[0]!.statement.Resource).map(render).sort()).toEqual(
      [
        `arn:\${AWS::Partition}:bedrock:${REGION}::foundation-model/anthropic.claude-3-haiku-20240307-v1:0`,
        `arn:\${AWS::Partition}:bedrock:${REGION}:${ACCOUNT}:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0`,
        // The profile's own model, in whichever region the profile routes to.
        `arn:\${AWS::Partition}:bedrock:*::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0`,
      ].sort(),
    );
    expect([...construct.modelArns]).toHaveLength(3);
  });

  it('lets the worker and the failure handler call only Mutation.publishChunk', () => {
    const appsync = statementsByRole(template).filter(({ statement }) =>
      list(statement.Action).some((a) => a.startsWith('appsync:')),
    );
    expect(appsync.map(({ role }) => role).sort()).toEqual([
      logicalId(template, 'AWS::IAM::Role', 'BedrockStreamFailureHandlerRole'),
      logicalId(template, 'AWS::IAM::Role', 'BedrockStreamWorkerRole'),
    ]);
    const api = logicalId(template, 'AWS::AppSync::GraphQLApi', 'BedrockStreamApi');
    for (const { statement } of appsync) {
      expect(statement.Action).toBe('appsync:GraphQL');
      expect(list(statement.Resource).map(render)).toEqual([
        `arn:\${AWS::Partition}:appsync:${REGION}:${ACCOUNT}:apis/\${${api}.ApiId}/types/Mutation/fields/publishChunk`,
      ]);
    }
    // No wildcard in any Bedrock/AppSync resource except the documented cross-region form.
    for (const { statement } of statementsByRole(template))
      if (list(statement.Action).some(isSensitive))
        for (const r of list(statement.Resource).map(render))
          expect(r.replace(':bedrock:*::foundation-model/', '')).not.toContain('*');
  });

  it('scopes every role to the table, the worker, its queue and its own log group', () => {
    const table = `\${${logicalId(template, 'AWS::DynamoDB::Table', 'BedrockStreamStreams')}.Arn}`;
    const byRole = new Map<string, Array<[string[], string[]]>>();
    for (const { role, statement } of statementsByRole(template)) {
      expect(statement.Effect).toBe('Allow');
      const entry: [string[], string[]] = [
        list(statement.Action).sort(),
        list(statement.Resource).map(render),
      ];
      byRole.set(role, [...(byRole.get(role) ?? []), entry]);
    }
    const role = (prefix: string) => byRole.get(logicalId(template, 'AWS::IAM::Role', prefix))!;
    const worker = role('BedrockStreamWorkerRole');
    expect(worker).toContainEqual([
      ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      [table],
    ]);
    expect(worker.flatMap(([a]) => a).filter((a) => a.startsWith('dynamodb:'))).toEqual([
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      // The purge of a deleted conversation (conditioned on its keys: see below).
      'dynamodb:BatchWriteItem',
      'dynamodb:DeleteItem',
    ]);
    expect(worker.flatMap(([a]) => a).filter((a) => a.startsWith('sqs:'))).toContain(
      'sqs:SendMessage',
    );
    // The DynamoDB data source may do exactly the operations its resolver files use.
    const dataSourceActions = [
      'dynamodb:ConditionCheckItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ];
    expect(role('BedrockStreamDataSourcestreamsTableRole')).toEqual([
      [dataSourceActions, [table]],
      [['dynamodb:Query'], [`${table}/index/${CONVERSATIONS_BY_OWNER.indexName}`]],
    ]);
    expect(
      dynamoDbActionsFor([
        ...Object.values(apiDefinition.functions)
          .filter((f) => f.dataSource === 'streamsTable')
          .map((f) => f.codeFile),
        ...apiDefinition.resolvers
          .filter((r) => r.dataSource === 'streamsTable')
          .map((r) => r.codeFile),
      ]),
    ).toEqual(dataSourceActions);
    const worker_ = `\${${logicalId(template, 'AWS::Lambda::Function', 'BedrockStreamWorker')}.Arn}`;
    expect(role('BedrockStreamDataSourceworkerRole')).toEqual([
      [['lambda:InvokeFunction'], [worker_]],
    ]);
    // The failure handler: its stream records, publishChunk, its queue, its logs; no Bedrock.
    const failureHandler = role('BedrockStreamFailureHandlerRole');
    expect(failureHandler).toContainEqual([
      ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      [table],
    ]);
    const queue = `\${${logicalId(template, 'AWS::SQS::Queue', 'BedrockStreamFailedStreams')}.Arn}`;
    for (const [actions, res] of failureHandler) {
      expect(actions.some((a) => a.startsWith('bedrock:'))).toBe(false);
      if (actions.some((a) => a.startsWith('sqs:'))) expect(res).toEqual([queue]);
    }
    const apiLogs = `\${${logicalId(template, 'AWS::Logs::LogGroup', 'BedrockStreamApiLogs')}.Arn}`;
    for (const [actions, res] of role('BedrockStreamApiLogRole')) {
      expect(actions.every((a) => a.startsWith('logs:'))).toBe(true);
      expect(res).toEqual([apiLogs]);
    }
  });
});

describe('worker function and its async invocation', () => {
  it('runs the bundled worker on Node.js 22 arm64 with its configuration', () => {
    const api = logicalId(template, 'AWS::AppSync::GraphQLApi', 'BedrockStreamApi');
    const table = logicalId(template, 'AWS::DynamoDB::Table', 'BedrockStreamStreams');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: 900,
      MemorySize: 1024,
      Environment: {
        Variables: {
          GRAPHQL_URL: { 'Fn::GetAtt': [api, 'GraphQLUrl'] },
          TABLE_NAME: { Ref: table },
          ALLOWED_MODEL_IDS: MODELS.join(','),
          FLUSH_WINDOW_MS: '100',
          MAX_ATTEMPTS: '3',
        },
      },
    });
    const fn = Object.values(resources(template, 'AWS::Lambda::Function'))[0]!;
    expect(fn.Properties['ReservedConcurrentExecutions']).toBeUndefined();
  });

  it('bundles a loadable ESM handler into the asset', async () => {
    const fn = Object.values(resources(template, 'AWS::Lambda::Function'))[0]!;
    // The asset is staged as asset.<hash> beside the template; the S3 key is <hash>.zip.
    const key = (fn.Properties['Code'] as { S3Key: string }).S3Key;
    const file = join(app.outdir, `asset.${key.replace(/\.zip$/, '')}`, 'index.mjs');
    expect(existsSync(file)).toBe(true);
    const mod = (await import(file)) as { handler?: unknown; failureHandler?: unknown };
    expect(typeof mod.handler).toBe('function');
    expect(typeof mod.failureHandler).toBe('function');
  });

  it('retries twice, drops events after an hour, then sends them to an encrypted TLS-only queue', () => {
    const queue = logicalId(template, 'AWS::SQS::Queue', 'BedrockStreamFailedStreams');
    const fn = logicalId(template, 'AWS::Lambda::Function', 'BedrockStreamWorker');
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: fn },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queue, 'Arn'] } } },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queue }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('consumes the queue with the failure handler, reporting failures per message', () => {
    const queue = logicalId(template, 'AWS::SQS::Queue', 'BedrockStreamFailedStreams');
    const handler = logicalId(template, 'AWS::Lambda::Function', 'BedrockStreamFailureHandler');
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queue, 'Arn'] },
      FunctionName: { Ref: handler },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.failureHandler',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
    });
    // Visibility at least six times the consumer's timeout.
    const fn = resources(template, 'AWS::Lambda::Function')[handler]!;
    const q = resources(template, 'AWS::SQS::Queue')[queue]!;
    expect(q.Properties['VisibilityTimeout']).toBeGreaterThanOrEqual(
      6 * (fn.Properties['Timeout'] as number),
    );
  });

  it('alarms as soon as a failed invocation reaches the queue', () => {
    const queue = logicalId(template, 'AWS::SQS::Queue', 'BedrockStreamFailedStreams');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'NumberOfMessagesSent',
      Statistic: 'Sum',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });
});

describe('streams table', () => {
  it('uses the contracts key design, on-demand billing, TTL and point-in-time recovery', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: Match.anyValue(),
    });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
  });

  it('has the sparse conversationsByOwner index, all attributes projected, and no other', () => {
    const tables = Object.values(resources(template, 'AWS::DynamoDB::Table'));
    expect(tables).toHaveLength(1);
    const table = props<{
      GlobalSecondaryIndexes: unknown[];
      AttributeDefinitions: unknown[];
      LocalSecondaryIndexes?: unknown;
    }>(tables[0]!);
    expect(table.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: CONVERSATIONS_BY_OWNER.indexName,
        KeySchema: [
          { AttributeName: CONVERSATIONS_BY_OWNER.partitionKey, KeyType: 'HASH' },
          { AttributeName: CONVERSATIONS_BY_OWNER.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    expect(table.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: CONVERSATIONS_BY_OWNER.partitionKey, AttributeType: 'S' },
        { AttributeName: CONVERSATIONS_BY_OWNER.sortKey, AttributeType: 'S' },
      ]),
    );
    expect(table.LocalSecondaryIndexes).toBeUndefined();
  });

  it('lets only the worker delete, and only conversation and stream items', () => {
    const deleters = statementsByRole(template).filter(({ statement }) =>
      list(statement.Action).some(
        (a) => a === 'dynamodb:DeleteItem' || a === 'dynamodb:BatchWriteItem',
      ),
    );
    const workerRole = logicalId(template, 'AWS::IAM::Role', 'BedrockStreamWorkerRole');
    const dataSourceRole = logicalId(
      template,
      'AWS::IAM::Role',
      'BedrockStreamDataSourcestreamsTableRole',
    );
    // deleteConversation's own DeleteItem of the conversation record (owner-conditioned in
    // its resolver), and the worker's purge.
    expect(deleters.map(({ role }) => role).sort()).toEqual([dataSourceRole, workerRole].sort());
    const purge = deleters.find(({ role }) => role === workerRole)!.statement;
    expect(list(purge.Action).sort()).toEqual(['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem']);
    expect(purge.Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CONV#*', 'STREAM#*'] },
    });
  });

  it('is the table of the DynamoDB data source and the worker', () => {
    const table = logicalId(template, 'AWS::DynamoDB::Table', 'BedrockStreamStreams');
    const ds = [...dataSourceNames().values()].find((d) => d.Type === 'AMAZON_DYNAMODB')!;
    expect(ds.DynamoDBConfig?.TableName).toEqual({ Ref: table });
  });
});

describe('the same resolver files as the local emulator, wired the same way', () => {
  it('deploys every function byte for byte from its apiDefinition codeFile, on its data source', () => {
    const deployed = functionsByName();
    expect([...deployed.keys()].sort()).toEqual(Object.keys(apiDefinition.functions).sort());
    for (const [name, fn] of Object.entries(apiDefinition.functions)) {
      const d = deployed.get(name)!;
      expect(sha(d.Code), name).toBe(sha(readFileSync(fn.codeFile, 'utf8')));
      expect(d.Runtime).toEqual({ Name: 'APPSYNC_JS', RuntimeVersion: '1.0.0' });
      const ds = dataSourceOf(d.DataSourceName);
      expect(ds.Name, name).toBe(fn.dataSource);
      expect(ds.Type, name).toBe(apiDefinition.dataSources[fn.dataSource]!.type);
    }
  });

  it('deploys every resolver byte for byte, with its kind, pipeline order or data source', () => {
    const deployed = resolversByField();
    expect(deployed.size).toBe(apiDefinition.resolvers.length);
    const fnIds = new Map([...functionsByName()].map(([name, f]) => [f.id, name]));
    for (const r of apiDefinition.resolvers) {
      const field = `${r.typeName}.${r.fieldName}`;
      const d = deployed.get(field)!;
      expect(d, field).toBeDefined();
      expect(d.Kind, field).toBe(r.kind);
      expect(d.Runtime).toEqual({ Name: 'APPSYNC_JS', RuntimeVersion: '1.0.0' });
      expect(sha(d.Code), field).toBe(sha(readFileSync(r.codeFile, 'utf8')));
      if (r.kind === 'PIPELINE') {
        const order = (d.PipelineConfig?.Functions ?? []).map((ref) =>
          fnIds.get((ref as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0]),
        );
        expect(order, field).toEqual(r.functions);
        expect(d.DataSourceName, field).toBeUndefined();
      } else {
        expect(dataSourceOf(d.DataSourceName).Name, field).toBe(r.dataSource);
      }
    }
  });

  it('creates exactly the data sources of apiDefinition, by name and type', () => {
    expect(
      Object.fromEntries([...dataSourceNames().values()].map((d) => [d.Name, d.Type])),
    ).toEqual(
      Object.fromEntries(Object.entries(apiDefinition.dataSources).map(([n, d]) => [n, d.type])),
    );
    expect(Object.keys(construct.dataSources).sort()).toEqual(
      Object.keys(apiDefinition.dataSources).sort(),
    );
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('reports no unsuppressed errors or warnings', () => {
    const findings = [
      ...Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
      ...Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*')),
    ];
    expect(findings.map((e) => `${e.id}: ${String(e.entry.data)}`)).toEqual([]);
  });

  it('suppresses only named rules on named resources, each with a reason', () => {
    const json = template.toJSON() as { Metadata?: Record<string, unknown> };
    expect(json.Metadata?.['cdk_nag']).toBeUndefined(); // no stack-wide suppressions
    const suppressed: string[] = [];
    for (const [id, r] of Object.entries(resources(template))) {
      const rules = (r.Metadata?.['cdk_nag'] as { rules_to_suppress?: unknown[] } | undefined)
        ?.rules_to_suppress as Array<{ id: string; reason: string }> | undefined;
      for (const rule of rules ?? []) {
        expect(rule.reason.length, `${id} ${rule.id}`).toBeGreaterThan(60);
        suppressed.push(`${id.replace(/[0-9A-F]{8}$/, '')}:${rule.id}`);
      }
    }
    expect(suppressed.sort()).toEqual([
      'BedrockStreamFailedStreams:AwsSolutions-SQS3',
      'BedrockStreamFailureHandler:AwsSolutions-L1',
      'BedrockStreamWorker:AwsSolutions-L1',
      'BedrockStreamWorkerRoleDefaultPolicy:AwsSolutions-IAM5',
    ]);
  });
});
