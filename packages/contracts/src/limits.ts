/**
 * Size and count bounds shared by the resolvers, the worker and the client.
 * AppSync's own limits are facts; ours sit well below them so one chunk can never
 * be dropped by AppSync for size.
 */
export const APPSYNC_LIMITS = {
  /** AppSync drops a subscription message whose payload exceeds 240 KB. */
  subscriptionPayloadBytes: 240 * 1024,
  /** A resolver (and so startStream) must finish within 30 s. */
  resolverTimeoutMs: 30_000,
  /** Default maximum subscriptions on one real-time connection. */
  subscriptionsPerConnection: 100,
} as const;

/** Our own bounds. Every one is enforced by a zod schema in this package. */
export const LIMITS = {
  /** Encoded ChunkPayload JSON. A fifth of AppSync's limit leaves room for the envelope. */
  chunkPayloadBytes: 48 * 1024,
  /** UTF-8 bytes of text in one chunk; the coalescer flushes/splits before this. */
  chunkTextBytes: 32 * 1024,
  /** Events in one chunk. */
  chunkEvents: 64,
  /** Messages in one startStream input. */
  messages: 200,
  /** Characters of all message texts (or the prompt) together. */
  inputChars: 200_000,
  /** Characters of the system prompt. */
  systemChars: 50_000,
  /**
   * Base64 characters of all images and documents of one input together. The input is
   * stored in the stream record, and a DynamoDB item holds at most 400 KB; Bedrock's own
   * bounds (3.75 MB per image, 4.5 MB per document) are far larger: bigger files go
   * through S3 (see the contracts README).
   */
  attachmentBase64Chars: 256 * 1024,
  /** Bedrock: images per request. */
  images: 20,
  /** Bedrock: documents per request. */
  documents: 5,
  /** Bedrock: document names. */
  documentNameChars: 200,
  /** Content blocks in one message. */
  contentBlocksPerMessage: 100,
  /** Bedrock: prompt-cache checkpoints per request. */
  cachePoints: 4,
  /** Tools the app declares in one input. */
  tools: 64,
  /** Characters of a tool's description. */
  toolDescriptionChars: 4_000,
  /** Model calls in one answer (tool-use loop). */
  maxSteps: 25,
  /** Anthropic's minimum extended-thinking budget. */
  thinkingBudgetMin: 1_024,
  /** Upper bound for inferenceConfig.maxTokens. */
  maxTokens: 64_000,
  /** Stop sequences and their length. */
  stopSequences: 4,
  stopSequenceChars: 100,
  /** Model ids (Bedrock ids and inference-profile ARNs fit). */
  modelIdChars: 256,
  /** A reasoning block's signature. */
  reasoningSignatureChars: 16_384,
  /** Error messages carried in an error event. */
  errorMessageChars: 2_000,
  /** Page size bounds of the streamChunks catch-up query. */
  catchUpPageDefault: 100,
  catchUpPageMax: 500,
  /** Stored records and chunks expire after this many seconds (DynamoDB TTL). */
  recordTtlSeconds: 7 * 24 * 3600,
  /** Characters of a conversation's title. */
  conversationTitleChars: 200,
  /** Page size bounds of listConversations and conversationMessages. */
  conversationPageDefault: 50,
  conversationPageMax: 100,
  /** Messages one conversation keeps (a send beyond it is refused). */
  conversationMessages: 2_000,
  /**
   * Estimated input tokens of the history the worker sends per answer (4 characters a
   * token): older messages beyond it are left out, never a tool call without its result.
   */
  historyTokenBudgetDefault: 100_000,
} as const;
