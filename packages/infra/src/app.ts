// Example CDK app: `pnpm --filter @org/bedrock-stream-infra synth` (offline).
import { App, Stack } from 'aws-cdk-lib';
import { BedrockStreamApi } from './bedrock-stream-api.js';

const app = new App();
const stack = new Stack(app, 'BedrockStreamExample', {
  env: {
    account: process.env['CDK_DEFAULT_ACCOUNT'] ?? '111111111111',
    region: process.env['CDK_DEFAULT_REGION'] ?? 'us-east-1',
  },
});
new BedrockStreamApi(stack, 'BedrockStream', {
  modelIds: [
    'anthropic.claude-3-haiku-20240307-v1:0',
    'us.anthropic.claude-3-5-haiku-20241022-v1:0',
  ],
});
app.synth();
