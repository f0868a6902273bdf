/**
 * @packageDocumentation
 * CDK construct for bedrock-stream: `BedrockStreamApi` deploys the AppSync API, the
 * APPSYNC_JS resolvers of `@org/bedrock-stream-resolvers`, the streams table and the worker.
 */
export { BedrockStreamApi } from './bedrock-stream-api.js';
export type {
  BedrockStreamApiProps,
  BedrockStreamAuth,
  BedrockStreamGuardrail,
  BedrockStreamTools,
} from './props.js';
export { modelArns } from './model-arns.js';
export { dynamoDbActionsFor, resolverOperations } from './resolver-permissions.js';
export {
  bundleWorker,
  buildWorkerBundle,
  handlersEntrySource,
  toolsEntrySource,
  workerModulePath,
  WORKER_BUILD_OPTIONS,
} from './bundle-worker.js';
export type { BundleWorkerOptions } from './bundle-worker.js';
export { guardrailArn } from './guardrail.js';
export { suppressNag } from './nag.js';
export type { NagSuppression } from './nag.js';
