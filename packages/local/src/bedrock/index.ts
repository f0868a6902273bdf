/**
 * Bedrock-compatible local endpoint: the unmodified `@aws-sdk/client-bedrock-runtime` talks to it
 * through its `endpoint` option. See packages/local/README.md ("Bedrock endpoint").
 */
export {
  startBedrockServer,
  DEFAULT_MODEL_IDS,
  type BedrockServer,
  type BedrockServerOptions,
  type BedrockStats,
  type BedrockRequestRecord,
  type BedrockOperation,
  type RequestOutcome,
} from './server.js';
export {
  deterministicAnswer,
  planAnswer,
  toChatRequest,
  stripMarkers,
  estimateInputTokens,
  DEFAULT_OUTPUT_TOKENS,
  type ChatRequest,
  type ChatMessage,
  type ConversationInput,
  type DeterministicAnswer,
  type DeterministicModelOptions,
  type StopReason,
} from './model.js';
export { parseFaultMarkers, type BedrockServerFaults, type PromptFault } from './faults.js';
export {
  deterministicBackend,
  openAiProxyBackend,
  type ModelBackend,
  type Generation,
  type GenerationResult,
  type GenerateContext,
  type DeterministicTiming,
  type OpenAiProxyOptions,
} from './backend.js';
export {
  BedrockHttpError,
  REQUEST_ERRORS,
  STREAM_ERRORS,
  type RequestErrorName,
  type StreamErrorName,
} from './errors.js';
export { verifySigV4, type SigV4Credential, type SigV4Failure } from './sigv4.js';
