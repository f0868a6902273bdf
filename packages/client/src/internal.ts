/**
 * @packageDocumentation
 * `@org/bedrock-stream-client/internal`: the client's plumbing, for tests, tools and custom
 * transports. Not part of the stable API: anything here may change in any release. Apps
 * use the core entry (`@org/bedrock-stream-client`).
 */
export type { CreateStreamClientExtras } from './client.js';
export {
  StreamClientOptionsSchema,
  DEFAULT_RECONNECT_POLICY,
  DEFAULT_OPERATION_RETRY_POLICY,
  OPERATION_NAMES,
  resolveOptions,
} from './options.js';
export { classifyError } from './classify-error.js';
export type { ErrorClass, ErrorKind } from './classify-error.js';
export { createLifecycle } from './lifecycle.js';
export type {
  ClientLifecycle,
  LifecycleEnvironment,
  LifecycleWindow,
  LifecycleDocument,
  WakeEvent,
  WakeReason,
} from './lifecycle.js';
export { OperationRetrier } from './operation-retry.js';
export type { ResolvedStreamClientOptions } from './options.js';
export { CLIENT_ERROR_CODES, describeError, workerError } from './errors.js';
export { validateStreamInput } from './stream.js';
export { outcomeOfRecord } from './record.js';
export type { RecordOutcome } from './record.js';
export { createApolloTransport } from './transport.js';
export type {
  StreamTransport,
  ApolloStreamTransport,
  ChunkSubscriptionHandlers,
  StreamChunkMessage,
  StreamRecord,
  StreamHandleRecord,
  StreamChunkPage,
} from './transport.js';
export { ensureRealtimeGlobals } from './runtime.js';
export { createApolloConversationTransport } from './conversation-transport.js';
export type {
  ConversationTransport,
  ConversationRecord,
  ConversationMessageRecord,
  ConversationTurnRecord,
  PageRecord,
} from './conversation-transport.js';
export type { StreamStarter } from './stream.js';
