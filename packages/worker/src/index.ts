/**
 * @packageDocumentation
 * The bedrock-stream worker Lambda: Bedrock stream -> coalescer -> SigV4-signed
 * publishChunk, idempotent under Lambda's at-least-once delivery, cancellable.
 */
export {
  createHandler,
  handler,
  failureHandler,
  FailureQueueEventSchema,
  PurgeEventSchema,
  StreamEventSchema,
  WorkerEventSchema,
} from './handler.js';
export { purgeConversation } from './purge.js';
export type { PurgeOptions, PurgeResult } from './purge.js';
export {
  ConversationStore,
  ConversationUnavailableError,
  answerStatus,
  MESSAGE_PARTS_MAX_BYTES,
} from './conversation.js';
export type { AnswerEnd, ConversationTurn } from './conversation.js';
export type { HandlerOptions, WorkerContext, WorkerHandler } from './handler.js';
export { defineTool, runTool } from './tools.js';
export type { ServerTool, ToolDefinition, ToolOutcome, ToolRunContext } from './tools.js';
export { endAbandonedStream } from './abandon.js';
export type { AbandonOutcome } from './abandon.js';
export { loadConfig } from './config.js';
export type { WorkerConfig, DeadlineMarginBounds } from './config.js';
export { Coalescer, splitUtf8 } from './coalescer.js';
export type { CoalescerOptions, PublishFn } from './coalescer.js';
export { createPublisher, DEFAULT_PUBLISH_RETRY } from './publisher.js';
export type { Publisher, PublisherOptions, Credentials } from './publisher.js';
export {
  DeadlineError,
  PublishError,
  RetryableRunError,
  StallError,
  SupersededError,
  ToolTimeoutError,
  TruncatedStreamError,
} from './errors.js';
export { StreamRecordStore } from './record.js';
export type { ClaimResult, RecordOutcome, StoredToolResult, StreamRecord } from './record.js';
export { generate, requestOf, toStopReason } from './generate.js';
export type {
  GuardrailSettings,
  JsonObject,
  JsonValue,
  ModelEvent,
  ModelRequest,
  ModelToolSpec,
  StoredInput,
} from './generate.js';
export { processStream } from './process-stream.js';
export { isRetryable } from './classify-error.js';
export type { ProcessDeps } from './deps.js';
export type { Log, LogAttributes } from './log.js';
export { PROCESS_OUTCOMES } from './outcome.js';
export type { ProcessOutcome } from './outcome.js';
