// Example CDK app: `pnpm --filter @org/bedrock-stream-infra synth` (offline) or `cdk deploy`.
// Options as CDK context: `-c modelIds=a,b`, `-c stackName=...`; the account and region come
// from the CLI's credentials (CDK_DEFAULT_*) or fall back to placeholders for offline synth.
import { App, Aspects, Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BedrockStreamApi } from '../src/index.js';

const app = new App();
const context = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  return typeof value === 'string' && value !== '' ? value : undefined;
};

const stack = new Stack(app, context('stackName') ?? 'BedrockStreamExample', {
  description: 'bedrock-stream example: AppSync + worker Lambda streaming Amazon Bedrock output',
  env: {
    account: process.env['CDK_DEFAULT_ACCOUNT'] ?? '111111111111',
    region: process.env['CDK_DEFAULT_REGION'] ?? 'us-east-1',
  },
});
new BedrockStreamApi(stack, 'BedrockStream', {
  modelIds: (
    context('modelIds') ??
    'anthropic.claude-3-haiku-20240307-v1:0,us.anthropic.claude-3-5-haiku-20241022-v1:0'
  ).split(','),
  // Per end user: 3 answers at once, 10 starts a minute, 200,000 output tokens a day (about
  // $0.25 of Claude 3 Haiku output); and at most 200 answers running for everyone.
  quotas: {
    concurrentStreamsPerOwner: 3,
    streamsPerMinutePerOwner: 10,
    outputTokensPerDayPerOwner: 200_000,
    concurrentStreamsGlobal: 200,
  },
});
// The construct carries its own justified suppressions: the example app must stay nag-clean
// (cdk-nag reports errors on stderr and synth fails).
Aspects.of(app).add(new AwsSolutionsChecks());
app.synth();
