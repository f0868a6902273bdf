/**
 * @packageDocumentation
 * `@org/bedrock-stream-client`: stream Bedrock generations through AppSync. Framework-free
 * core (this entry; no React); React hooks live at `@org/bedrock-stream-client/react`.
 *
 * This entry exports only what an app uses. The plumbing (options resolution, the
 * transport, runtime globals) is at `@org/bedrock-stream-client/internal`, for tests and
 * custom transports; it may change in any release.
 */
export { createStreamClient, newStreamId } from './client.js';
export type { StreamClient, ResumeOptions } from './client.js';
export type {
  StreamClientOptions,
  OperationName,
  StreamClientAuth,
  AwsCredentials,
  Provider,
  WebSocketConstructor,
} from './options.js';
export { StreamClientError } from './errors.js';
export type { StreamErrorCode, ClientErrorCode } from './errors.js';
export { realtimeUrlFor } from './realtime-url.js';
export { Chat } from './chat.js';
export type { ChatClient, ChatInit, ChatSnapshot, ChatStatus, OnToolCall } from './chat.js';
export type {
  ChatMessage,
  Conversation,
  ConversationTurn,
  ConversationsApi,
  Page,
  TurnStream,
  TurnStreamOptions,
} from './conversations.js';
export { ConversationList } from './conversation-list.js';
export type {
  ConversationListInit,
  ConversationListSnapshot,
  ConversationListStatus,
} from './conversation-list.js';
export type { TurnOptions } from './turn-options.js';
export type { UserContent, AttachmentPart, AttachmentStore } from './user-content.js';
export type {
  MessagePart,
  MessageStatus,
  UserPart,
  ImagePart,
  DocumentPart,
} from '@org/bedrock-stream-contracts';
export { ChunkAssembler } from './assembler.js';
export type {
  RawChunk,
  AssemblerUpdate,
  AssemblerTerminal,
  GapInfo,
  ChunkOrigin,
} from './assembler.js';
export type { UsageReport } from './transport.js';
export type { QuotaErrorInfo, QuotaName } from '@org/bedrock-stream-contracts';
export type {
  StreamPart,
  TextPart,
  ReasoningPart,
  ToolCallPart,
  ToolCallState,
  StepStartPart,
  JsonValue,
  JsonObject,
} from './parts.js';
export { partsToMessages, pendingToolCalls } from './messages.js';
export type { ToolResult, PendingToolCall } from './messages.js';
export type {
  StreamMessage,
  StreamContentBlock,
  StreamToolConfig,
  StreamToolSpec,
  StreamToolUseBlock,
  StreamToolResultBlock,
} from './stream-input.js';
export type {
  StreamHandle,
  StreamStatus,
  StreamUpdate,
  StreamNotice,
  StreamNoticeCode,
  StreamInput,
  StreamOptions,
  StreamResult,
  StreamMetrics,
} from './stream-types.js';
