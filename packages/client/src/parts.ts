// The part model lives in contracts: the worker stores conversation messages as these very
// parts, and the client reads them back.
export {
  PartsBuilder,
  type JsonValue,
  type JsonObject,
  type TextPart,
  type ReasoningPart,
  type ToolCallState,
  type ToolCallPart,
  type StepStartPart,
  type StreamPart,
  type PartChange,
} from '@org/bedrock-stream-contracts';
