import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { apiDefinition } from '@org/bedrock-stream-resolvers';
import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, NagSuppressions } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { BedrockStreamApi } from '../src/index.js';

const MODELS = [
  'anthropic.claude-3-haiku-20240307-v1:0',
  'us.anthropic.claude-3-5-haiku-20241022-v1:0',
];
let stack: Stack;
let template: Template;

beforeAll(() => {
  const app = new App();
  stack = new Stack(app, 'Test', { env: { account: '123456789012', region: 'us-east-1' } });
  new BedrockStreamApi(stack, 'BedrockStream', { modelIds: MODELS });
  // Each suppression says why the finding does not apply to this pattern.
  NagSuppressions.addStackSuppressions(stack, [
    {
      id: 'AwsSolutions-IAM4',
      reason:
        'AWSLambdaBasicExecutionRole (logs only) and the AppSync logging managed policy are the documented minimal managed policies.',
    },
    {
      id: 'AwsSolutions-IAM5',
      reason:
        'Wildcards are CDK grants scoped to one resource: the table (index/*), the one publishChunk field, the log group streams, and cross-region inference-profile model ARNs of the named models only.',
    },
    {
      id: 'AwsSolutions-SQS3',
      reason: 'This queue IS the on-failure destination (the DLQ) of the worker.',
    },
    {
      id: 'AwsSolutions-L1',
      reason:
        'The product design fixes the worker on the Node.js 22 runtime, the version its tests run against.',
    },
    {
      id: 'AwsSolutions-ASC3',
      reason:
        'Field-level request logging is enabled at ERROR level; ALL would write prompts to logs.',
    },
  ]);
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  app.synth();
  template = Template.fromStack(stack);
});

describe('BedrockStreamApi', () => {
  it('invokes the worker with invocationType "Event" in the deployed resolver code', () => {
    const fns = template.findResources('AWS::AppSync::FunctionConfiguration');
    const invoke = Object.values(fns).find(
      (f) => (f as { Properties: { Name: string } }).Properties.Name === 'invokeWorker',
    ) as { Properties: { Code: string } };
    expect(invoke.Properties.Code).toMatch(/invocationType:\s*"Event"/);
  });

  it('deploys the schema with publishChunk @aws_iam only', () => {
    const schema = Object.values(template.findResources('AWS::AppSync::GraphQLSchema'))[0] as {
      Properties: { Definition: string };
    };
    expect(schema.Properties.Definition).toMatch(
      /publishChunk\(input: PublishChunkInput!\): StreamChunk @aws_iam\n/,
    );
    template.hasResourceProperties('AWS::AppSync::GraphQLApi', {
      AuthenticationType: 'API_KEY',
      AdditionalAuthenticationProviders: [{ AuthenticationType: 'AWS_IAM' }],
    });
  });

  it('never grants Bedrock or AppSync actions on *', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const statements = Object.values(policies).flatMap(
      (p) =>
        (
          p as {
            Properties: {
              PolicyDocument: {
                Statement: Array<{ Action: string | string[]; Resource: unknown }>;
              };
            };
          }
        ).Properties.PolicyDocument.Statement,
    );
    const sensitive = statements.filter((s) =>
      [s.Action].flat().some((a) => a.startsWith('bedrock:') || a.startsWith('appsync:')),
    );
    expect(sensitive.length).toBeGreaterThanOrEqual(2);
    for (const s of sensitive) expect(JSON.stringify(s.Resource)).not.toMatch(/^"\*"$|\["\*"\]/);
    const bedrock = sensitive.find((s) =>
      [s.Action].flat().includes('bedrock:InvokeModelWithResponseStream'),
    )!;
    expect(JSON.stringify(bedrock.Resource)).toContain(
      'foundation-model/anthropic.claude-3-haiku-20240307-v1:0',
    );
    expect(JSON.stringify(bedrock.Resource)).toContain(
      'inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0',
    );
    const appsync = sensitive.find((s) => [s.Action].flat().includes('appsync:GraphQL'))!;
    expect(JSON.stringify(appsync.Resource)).toContain('/types/Mutation/fields/publishChunk');
  });

  it('configures async retries, max event age and an on-failure queue with an alarm', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 1,
      MetricName: 'ApproximateNumberOfMessagesVisible',
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Timeout: 900,
    });
  });

  it('expires records and chunks with DynamoDB TTL', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('deploys byte-for-byte the resolver files the local emulator runs, wired the same way', () => {
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    const fns = Object.values(
      template.findResources('AWS::AppSync::FunctionConfiguration'),
    ) as Array<{ Properties: { Name: string; Code: string; DataSourceName: unknown } }>;
    for (const [name, fn] of Object.entries(apiDefinition.functions)) {
      const deployed = fns.find((f) => f.Properties.Name === name);
      expect(deployed, name).toBeDefined();
      expect(sha(deployed!.Properties.Code)).toBe(sha(readFileSync(fn.codeFile, 'utf8')));
      expect(JSON.stringify(deployed!.Properties.DataSourceName)).toContain(fn.dataSource);
    }
    const resolvers = Object.values(template.findResources('AWS::AppSync::Resolver')) as Array<{
      Properties: { TypeName: string; FieldName: string; Kind: string; Code: string };
    }>;
    expect(resolvers).toHaveLength(apiDefinition.resolvers.length);
    for (const r of apiDefinition.resolvers) {
      const deployed = resolvers.find(
        (d) => d.Properties.TypeName === r.typeName && d.Properties.FieldName === r.fieldName,
      );
      expect(deployed, `${r.typeName}.${r.fieldName}`).toMatchObject({
        Properties: { Kind: r.kind },
      });
      expect(sha(deployed!.Properties.Code)).toBe(sha(readFileSync(r.codeFile, 'utf8')));
    }
    const sources = Object.values(template.findResources('AWS::AppSync::DataSource')) as Array<{
      Properties: { Name: string; Type: string };
    }>;
    expect(Object.fromEntries(sources.map((s) => [s.Properties.Name, s.Properties.Type]))).toEqual(
      Object.fromEntries(Object.entries(apiDefinition.dataSources).map(([n, d]) => [n, d.type])),
    );
  });

  it('passes cdk-nag AwsSolutions checks (with justified suppressions)', () => {
    const errors = Annotations.fromStack(stack).findError(
      '*',
      Match.stringLikeRegexp('AwsSolutions-.*'),
    );
    expect(errors.map((e) => e.entry.data)).toEqual([]);
  });

  it('rejects bad props with a clear error', () => {
    const s = new Stack(new App(), 'Bad');
    expect(() => new BedrockStreamApi(s, 'A', { modelIds: [] })).toThrow(/modelIds/);
    expect(() => new BedrockStreamApi(s, 'B', { modelIds: ['m'], retryAttempts: 5 })).toThrow(
      /retryAttempts/,
    );
  });
});
