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
  MODEL_CATALOG,
  INVOCABLE_MODEL_IDS,
  foundationModelId,
  modelInfo,
  type ModelInfo,
  type ProfilePrefix,
} from './models.js';
export {
  stripMarkers,
  MARKDOWN_SAMPLE,
  estimateInputTokens,
  DEFAULT_OUTPUT_TOKENS,
  BEDROCK_STOP_REASONS,
  type StopReason,
} from './model.js';
export type {
  ChatRequest,
  ChatMessage,
  ToolSpec,
  ToolChoice,
  ToolCall,
  ToolResult,
  ThinkingRequest,
  GuardrailRequest,
  JsonSchema,
} from './chat.js';
export {
  planAnswer,
  chooseTools,
  REASONING_TOKENS,
  GUARDRAIL_BLOCKED_MESSAGE,
  type DeterministicAnswer,
  type DeterministicModelOptions,
} from './answer.js';
export {
  deterministicAnswer,
  deterministicConverseAnswer,
  deterministicAnthropicAnswer,
  toChatRequest,
  type ConversationInput,
} from './deterministic.js';
export { nativeToolUseId, type AnswerBlock, type ModelDelta } from './output.js';
export {
  REDACTED_THINKING_TRIGGER,
  REDACTED_THINKING_MARKER,
  signReasoning,
  verifyReasoningSignature,
} from './thinking.js';
export { toolInputFor, inputHints } from './tool-input.js';
export { MEDIA_LIMITS } from './media.js';
export { GUARDRAIL_TOPIC } from './guardrail.js';
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
