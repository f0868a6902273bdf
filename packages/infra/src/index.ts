/**
 * @packageDocumentation
 * CDK construct for bedrock-stream: `BedrockStreamApi`.
 */
export { BedrockStreamApi, modelArns } from './bedrock-stream-api.js';
export type { BedrockStreamApiProps, BedrockStreamAuth } from './bedrock-stream-api.js';
