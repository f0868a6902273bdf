// Auth modes and non-default props: one app, several stacks, synthesized once.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, RemovalPolicy, Stack, aws_cognito as cognito } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BedrockStreamApi,
  dynamoDbActionsFor,
  modelArns,
  resolverOperations,
  type BedrockStreamApiProps,
} from '../src/index.js';
import { list, render, resources, statementsByRole } from './template.js';

const env = { account: '123456789012', region: 'eu-west-1' };
const MODEL = 'anthropic.claude-3-haiku-20240307-v1:0';
const templates: Record<string, Template> = {};

beforeAll(() => {
  const app = new App();
  const make = (name: string, props: Partial<BedrockStreamApiProps>) => {
    const stack = new Stack(app, name, { env });
    new BedrockStreamApi(stack, 'BedrockStream', { modelIds: [MODEL], ...props });
    return stack;
  };
  const stacks: Record<string, Stack> = {};
  const poolStack = new Stack(app, 'UserPool', { env });
  const userPool = new cognito.UserPool(poolStack, 'Users');
  new BedrockStreamApi(poolStack, 'BedrockStream', {
    modelIds: [MODEL],
    auth: { mode: 'USER_POOL', userPool },
  });
  stacks['UserPool'] = poolStack;
  stacks['Oidc'] = make('Oidc', {
    auth: { mode: 'OIDC', issuer: 'https://issuer.example.com', clientId: 'web' },
  });
  stacks['Iam'] = make('Iam', { auth: { mode: 'IAM' } });
  stacks['Custom'] = make('Custom', {
    auth: { mode: 'API_KEY', apiKeyExpiresInDays: 30 },
    modelIds: [MODEL, 'global.anthropic.claude-sonnet-4-20250514-v1:0'],
    workerTimeout: Duration.minutes(5),
    workerMemoryMb: 512,
    reservedConcurrency: 10,
    retryAttempts: 0,
    maxEventAge: Duration.hours(2),
    flushWindowMs: 50,
    maxAttempts: 2,
    historyTokenBudget: 20_000,
    pointInTimeRecovery: false,
    removalPolicy: RemovalPolicy.DESTROY,
    workerEnvironment: { LEASE_MS: '60000' },
    quotas: { concurrentStreamsPerOwner: 3, outputTokensPerDayPerOwner: 200_000 },
    outputs: false,
  });
  app.synth();
  for (const [name, stack] of Object.entries(stacks)) templates[name] = Template.fromStack(stack);
});

describe('auth modes', () => {
  it('Cognito user pool by default, IAM added, no API key', () => {
    const t = templates['UserPool']!;
    t.hasResourceProperties('AWS::AppSync::GraphQLApi', {
      AuthenticationType: 'AMAZON_COGNITO_USER_POOLS',
      UserPoolConfig: Match.objectLike({ AwsRegion: env.region }),
      AdditionalAuthenticationProviders: [{ AuthenticationType: 'AWS_IAM' }],
    });
    t.resourceCountIs('AWS::AppSync::ApiKey', 0);
    expect(Object.keys(t.toJSON().Outputs).some((k) => k.includes('ApiKey'))).toBe(false);
  });

  it('OIDC by default, IAM added', () => {
    templates['Oidc']!.hasResourceProperties('AWS::AppSync::GraphQLApi', {
      AuthenticationType: 'OPENID_CONNECT',
      OpenIDConnectConfig: Match.objectLike({
        Issuer: 'https://issuer.example.com',
        ClientId: 'web',
      }),
      AdditionalAuthenticationProviders: [{ AuthenticationType: 'AWS_IAM' }],
    });
  });

  it('IAM alone when IAM is the default mode', () => {
    const api = Object.values(resources(templates['Iam']!, 'AWS::AppSync::GraphQLApi'))[0]!;
    expect(api.Properties['AuthenticationType']).toBe('AWS_IAM');
    expect(list(api.Properties['AdditionalAuthenticationProviders'] ?? [])).toEqual([]);
  });
});

describe('non-default props', () => {
  it('configure the worker, its async invocation, the table and the key', () => {
    const t = templates['Custom']!;
    t.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 300,
      MemorySize: 512,
      ReservedConcurrentExecutions: 10,
      Environment: {
        Variables: Match.objectLike({
          FLUSH_WINDOW_MS: '50',
          MAX_ATTEMPTS: '2',
          HISTORY_TOKEN_BUDGET: '20000',
          LEASE_MS: '60000',
          ALLOWED_MODEL_IDS: `${MODEL},global.anthropic.claude-sonnet-4-20250514-v1:0`,
        }),
      },
    });
    t.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 7200,
    });
    t.hasResourceProperties('AWS::DynamoDB::Table', {
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false },
    });
    t.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    t.hasResourceProperties('AWS::AppSync::ApiKey', { Expires: Match.anyValue() });
    expect(t.toJSON().Outputs ?? {}).toEqual({});
  });

  it('pass the quotas to the resolvers (with the table name) and to the worker', () => {
    const t = templates['Custom']!;
    const quotaEnv = {
      QUOTA_CONCURRENT_STREAMS_PER_OWNER: '3',
      QUOTA_OUTPUT_TOKENS_PER_DAY_PER_OWNER: '200000',
    };
    t.hasResourceProperties('AWS::AppSync::GraphQLApi', {
      EnvironmentVariables: Match.objectLike({
        ...quotaEnv,
        STREAMS_TABLE_NAME: { Ref: Match.stringLikeRegexp('^BedrockStreamStreams') },
      }),
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike(quotaEnv) },
    });
    // Without quotas, no quota variable reaches the API.
    const plain = resources(templates['Oidc']!, 'AWS::AppSync::GraphQLApi');
    for (const api of Object.values(plain))
      expect(Object.keys(api.Properties['EnvironmentVariables'] as object)).not.toContain(
        'QUOTA_CONCURRENT_STREAMS_PER_OWNER',
      );
  });

  it('allow a global inference profile and its model, in eu-west-1', () => {
    const bedrock = statementsByRole(templates['Custom']!).find(({ statement }) =>
      list(statement.Action).includes('bedrock:InvokeModelWithResponseStream'),
    )!;
    expect(list(bedrock.statement.Resource).map(render).sort()).toEqual(
      [
        `arn:\${AWS::Partition}:bedrock:eu-west-1::foundation-model/${MODEL}`,
        'arn:${AWS::Partition}:bedrock:eu-west-1:123456789012:inference-profile/global.anthropic.claude-sonnet-4-20250514-v1:0',
        'arn:${AWS::Partition}:bedrock:*::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0',
      ].sort(),
    );
  });
});

describe('prop validation', () => {
  const attempt = (props: Partial<BedrockStreamApiProps>) => () =>
    new BedrockStreamApi(new Stack(new App(), 'Bad', { env }), 'A', {
      modelIds: [MODEL],
      ...props,
    });
  it.each([
    [{ modelIds: [] }, /modelIds must name/],
    [{ modelIds: ['a,b'] }, /modelIds: "a,b"/],
    [{ modelIds: ['*'] }, /modelIds: "\*"/],
    [{ retryAttempts: 3 }, /retryAttempts/],
    [{ workerTimeout: Duration.minutes(16) }, /workerTimeout/],
    [{ maxEventAge: Duration.seconds(30) }, /maxEventAge/],
    [{ flushWindowMs: -1 }, /flushWindowMs/],
    [{ historyTokenBudget: 0 }, /historyTokenBudget/],
    [{ maxAttempts: 0 }, /maxAttempts/],
    [{ reservedConcurrency: 0 }, /reservedConcurrency/],
    [{ auth: { mode: 'API_KEY' as const, apiKeyExpiresInDays: 400 } }, /apiKeyExpiresInDays/],
    [{ quotas: { concurrentStreamsPerOwner: 0 } }, /quotas.concurrentStreamsPerOwner/],
    [{ quotas: { outputTokensPerDayPerOwner: 1.5 } }, /quotas.outputTokensPerDayPerOwner/],
  ])('rejects %j', (props, message) => {
    expect(attempt(props as Partial<BedrockStreamApiProps>)).toThrow(message);
  });
});

describe('helpers', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'infra-test-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, code: string) => {
    const path = join(dir, name);
    writeFileSync(path, code);
    return path;
  };

  it('modelArns maps ids, profiles and ARNs for the stack region and account', () => {
    const stack = new Stack(new App(), 'S', { env });
    expect(
      modelArns(stack, [
        'm.x-v1:0',
        'eu.m.y-v1:0',
        'arn:aws:bedrock:eu-west-1::foundation-model/z',
      ]),
    ).toEqual([
      `arn:${stack.partition}:bedrock:eu-west-1::foundation-model/m.x-v1:0`,
      `arn:${stack.partition}:bedrock:eu-west-1:123456789012:inference-profile/eu.m.y-v1:0`,
      `arn:${stack.partition}:bedrock:*::foundation-model/m.y-v1:0`,
      'arn:aws:bedrock:eu-west-1::foundation-model/z',
    ]);
  });

  it('dynamoDbActionsFor reads the operations of resolver files and refuses unknown ones', () => {
    const get = file(
      'get.js',
      'export function request(){ return { operation: "GetItem", key: {} }; }',
    );
    const batch = file('batch.js', "export const request = () => ({ operation: 'BatchPutItem' });");
    expect(resolverOperations(get)).toEqual(['GetItem']);
    expect(dynamoDbActionsFor([get, batch])).toEqual([
      'dynamodb:BatchWriteItem',
      'dynamodb:GetItem',
    ]);
    expect(() =>
      dynamoDbActionsFor([file('none.js', 'export function request(c){ return c; }')]),
    ).toThrow(/no literal DynamoDB operation/);
    // A transaction needs what its items do: here a put and a condition check.
    const transact = file(
      'tx.js',
      'x = { operation: "TransactWriteItems", transactItems: [{ operation: "PutItem" }, { operation: "ConditionCheck" }] }',
    );
    expect(dynamoDbActionsFor([transact])).toEqual([
      'dynamodb:ConditionCheckItem',
      'dynamodb:PutItem',
    ]);
    expect(() => dynamoDbActionsFor([file('inv.js', 'x = { operation: "Invoke" }')])).toThrow(
      /not a DynamoDB resolver operation/,
    );
  });
});
