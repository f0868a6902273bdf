/**
 * @packageDocumentation
 * `@org/bedrock-stream-client`: stream Bedrock generations through AppSync. Framework-free
 * core (this entry; no React); React hooks live at `@org/bedrock-stream-client/react`.
 */
export { createStreamClient, newStreamId } from './client.js';
export type { StreamClient, CreateStreamClientExtras } from './client.js';
export { StreamClientOptionsSchema, resolveOptions } from './options.js';
export type {
  StreamClientOptions,
  ResolvedStreamClientOptions,
  StreamClientAuth,
  AwsCredentials,
  Provider,
  WebSocketConstructor,
} from './options.js';
export { StreamClientError, describeError } from './errors.js';
export type { StreamErrorCode } from './errors.js';
export { realtimeUrlFor } from './realtime-url.js';
export { ChunkAssembler } from './assembler.js';
export type {
  RawChunk,
  AssemblerUpdate,
  AssemblerTerminal,
  GapInfo,
  ChunkOrigin,
} from './assembler.js';
export { validateStreamInput } from './stream.js';
export type {
  StreamHandle,
  StreamStatus,
  StreamUpdate,
  StreamInput,
  StreamOptions,
  StreamResult,
  StreamMetrics,
} from './stream.js';
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
