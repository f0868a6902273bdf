/**
 * @packageDocumentation
 * The bedrock-stream worker Lambda: Bedrock stream -> coalescer -> SigV4-signed
 * publishChunk, idempotent under Lambda's at-least-once delivery, cancellable.
 */
export { handler, failureHandler, FailureQueueEventSchema, WorkerEventSchema } from './handler.js';
export { endAbandonedStream } from './abandon.js';
export type { AbandonOutcome } from './abandon.js';
export type { WorkerContext } from './handler.js';
export { loadConfig } from './config.js';
export type { WorkerConfig } from './config.js';
export { Coalescer, splitUtf8 } from './coalescer.js';
export type { CoalescerOptions, PublishFn } from './coalescer.js';
export { createPublisher, PublishError, SupersededError } from './publisher.js';
export type { Publisher, PublisherOptions, Credentials } from './publisher.js';
export { StreamRecordStore } from './record.js';
export type { ClaimResult, StreamRecord } from './record.js';
export { generate, isRetryable } from './generate.js';
export type { ModelEvent, StoredInput } from './generate.js';
export { processStream, RetryableRunError } from './process-stream.js';
export type { ProcessDeps, ProcessOutcome } from './process-stream.js';
