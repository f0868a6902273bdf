/**
 * @packageDocumentation
 * The whole bedrock-stream local stack in one call: DynamoDB-compatible store, the
 * Bedrock-compatible endpoint, the async invoker running the worker, and the AppSync
 * emulator running the deployed resolvers.
 */
export { startLocalStack, issueLocalJwt } from './stack.js';
export type { LocalCertificates } from './tls.js';
export type { LocalStack, LocalStackOptions, ReadyConfig, BedrockBackendOption } from './stack.js';
export {
  readLocalStackConfig,
  ReadyConfigSchema,
  defaultStatePath,
  defaultTlsDir,
} from './config.js';
