// zod/mini: tree-shakable functions, where the method-chain build puts 450 KB into every
// bundle that imports it (the worker's cold start, the web app). zod's English messages,
// which the full build installs on import, are installed here (the locale alone: the
// locales index would keep every language in a bundle).
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { LIMITS } from './limits.js';
import {
  STOP_REASONS,
  STOP_REASON_MAX_CHARS,
  STOP_REASON_PATTERN,
  type KnownStopReason,
} from './vocabulary.js';
import { utf8ByteLength } from './utf8.js';
import { once, parsedBy } from './lazy-schema.js';

z.config(en());

// Two readings of one contract. Writers (the worker, the resolvers' mirror) are strict:
// every object is closed and every event type known. Readers (the client, catch-up,
// the worker's look at stored chunks) are tolerant: unknown fields are dropped and
// unknown event types skipped, so a client deployed today keeps working when the worker
// learns a new event. The rule for what is additive is in this package's README.

type ObjectFactory = typeof z.strictObject;
const nonNegativeInt = z.int().check(z.nonnegative());

/**
 * Why generation stopped: one of STOP_REASONS, or a reason Bedrock added later, carried
 * as the string it is (never mapped to another reason).
 */
export type StopReason = KnownStopReason | (string & {});
/** A stop reason as written: a snake_case identifier (Bedrock's form). */
export const StopReasonSchema: z.ZodMiniType<StopReason> = z
  .string()
  .check(
    z.maxLength(STOP_REASON_MAX_CHARS),
    z.regex(new RegExp(`^${STOP_REASON_PATTERN}$`), 'stopReason must be a snake_case identifier'),
  );
/** Whether `reason` is one this contract version knows. */
export function isKnownStopReason(reason: string): reason is KnownStopReason {
  return (STOP_REASONS as readonly string[]).includes(reason);
}

/** Non-empty text within the per-chunk text bound (UTF-8 bytes). */
function boundedText(field: string) {
  return z.string().check(
    z.minLength(1),
    z.refine((t) => utf8ByteLength(t) <= LIMITS.chunkTextBytes, {
      message: `${field} exceeds ${LIMITS.chunkTextBytes} UTF-8 bytes`,
    }),
  );
}

/** A JSON value whose encoding fits the per-chunk text bound. */
function boundedJson<T extends z.ZodMiniType>(field: string, schema: T) {
  return schema.check(
    z.refine((v) => utf8ByteLength(JSON.stringify(v)) <= LIMITS.chunkTextBytes, {
      message: `${field} exceeds ${LIMITS.chunkTextBytes} UTF-8 bytes as JSON`,
    }),
  );
}

/** Bedrock's toolUseId. */
const toolCallId = () =>
  z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'toolCallId must be 1-64 of [A-Za-z0-9_-]'));
/** Tool names as Bedrock's toolSpec.name allows them. */
const toolName = () =>
  z.string().check(z.regex(/^[a-zA-Z0-9_-]{1,64}$/, 'toolName must be 1-64 of [a-zA-Z0-9_-]'));

/**
 * Every event schema, with `object` = z.strictObject (writers) or z.object (readers), each
 * built on its first use (see lazy-schema.ts): a text-only stream never builds the tool or
 * reasoning schemas.
 */
function eventSchemaBuilders(object: ObjectFactory) {
  const usage = once(() =>
    object({
      inputTokens: nonNegativeInt,
      outputTokens: nonNegativeInt,
      totalTokens: nonNegativeInt,
      /** Prompt-cache tokens read (Bedrock's `cacheReadInputTokens`), when the model reports them. */
      cacheReadInputTokens: z.optional(nonNegativeInt),
      /** Prompt-cache tokens written (`cacheWriteInputTokens`), when the model reports them. */
      cacheWriteInputTokens: z.optional(nonNegativeInt),
    }),
  );
  const timings = once(() =>
    object({
      /** Worker claim to first text delta from Bedrock. */
      timeToFirstTokenMs: z.nullable(z.number().check(z.nonnegative())),
      /** Worker claim to end of the Bedrock stream. */
      totalMs: z.number().check(z.nonnegative()),
      /** Bedrock's own `metrics.latencyMs` / invocation latency, when reported. */
      modelLatencyMs: z.nullable(z.number().check(z.nonnegative())),
    }),
  );
  const start = once(() =>
    object({
      type: z.literal('start'),
      modelId: z.string().check(z.minLength(1), z.maxLength(LIMITS.modelIdChars)),
      attempt: z.int().check(z.positive()),
      startedAt: z.iso.datetime(),
    }),
  );
  const text = once(() => object({ type: z.literal('text'), text: boundedText('text') }));
  const usageEvent = once(() => object({ type: z.literal('usage'), usage: usage() }));
  const end = once(() =>
    object({
      type: z.literal('end'),
      stopReason: StopReasonSchema,
      usage: z.nullable(usage()),
      timings: timings(),
    }),
  );
  const error = once(() =>
    object({
      type: z.literal('error'),
      code: z
        .string()
        .check(
          z.minLength(1),
          z.maxLength(100),
          z.regex(/^[A-Za-z][A-Za-z0-9_.]*$/, 'code must be an identifier'),
        ),
      message: z.string().check(z.maxLength(LIMITS.errorMessageChars)),
      retryable: z.boolean(),
      /** When a retry can succeed, in seconds (e.g. `QuotaExceeded`: the next UTC day). */
      retryAfterSeconds: z.optional(nonNegativeInt),
    }),
  );
  // Reasoning, tool use and steps (Bedrock's reasoningContent / toolUse blocks). A tool
  // call streams as tool-call-start, tool-call-delta* (partial JSON, as Bedrock sends it),
  // then tool-call with the parsed input; a server-side tool's outcome is tool-result.
  const reasoning = once(() => object({ type: z.literal('reasoning'), text: boundedText('text') }));
  const reasoningSignature = once(() =>
    object({
      type: z.literal('reasoning-signature'),
      signature: z.string().check(z.minLength(1), z.maxLength(LIMITS.reasoningSignatureChars)),
    }),
  );
  const reasoningRedacted = once(() =>
    object({
      type: z.literal('reasoning-redacted'),
      /** Bedrock's redactedContent, base64. */
      data: z.base64().check(z.minLength(1), z.maxLength(LIMITS.chunkTextBytes)),
    }),
  );
  const toolCallStart = once(() =>
    object({
      type: z.literal('tool-call-start'),
      toolCallId: toolCallId(),
      toolName: toolName(),
    }),
  );
  const toolCallDelta = once(() =>
    object({
      type: z.literal('tool-call-delta'),
      toolCallId: toolCallId(),
      inputDelta: boundedText('inputDelta'),
    }),
  );
  const toolCall = once(() =>
    object({
      type: z.literal('tool-call'),
      toolCallId: toolCallId(),
      toolName: toolName(),
      /** The complete input, parsed (Bedrock's tool input is a JSON object). */
      input: boundedJson('input', z.record(z.string(), z.json())),
    }),
  );
  const toolResult = once(() =>
    object({
      type: z.literal('tool-result'),
      toolCallId: toolCallId(),
      toolName: toolName(),
      /** What the tool returned (any JSON), or its error message when `isError`. */
      output: boundedJson('output', z.json()),
      isError: z.boolean(),
    }),
  );
  const stepStart = once(() =>
    object({ type: z.literal('step-start'), step: z.int().check(z.positive()) }),
  );
  const stepEnd = once(() =>
    object({
      type: z.literal('step-end'),
      step: z.int().check(z.positive()),
      stopReason: StopReasonSchema,
      usage: z.nullable(usage()),
    }),
  );
  return {
    usage,
    timings,
    events: {
      start,
      text,
      usage: usageEvent,
      end,
      error,
      reasoning,
      'reasoning-signature': reasoningSignature,
      'reasoning-redacted': reasoningRedacted,
      'tool-call-start': toolCallStart,
      'tool-call-delta': toolCallDelta,
      'tool-call': toolCall,
      'tool-result': toolResult,
      'step-start': stepStart,
      'step-end': stepEnd,
    },
  };
}

const writer = eventSchemaBuilders(z.strictObject);

// Each exported schema is `/* @__PURE__ */`: a bundle that never names it (the worker's)
// drops its line, and the codec builds the type's schema when an event of it is written.

/** Token counts as Bedrock reports them. */
export const UsageSchema = /* @__PURE__ */ writer.usage();
export type Usage = z.infer<typeof UsageSchema>;

/** Timings of one attempt, measured by the worker. */
export const TimingsSchema = /* @__PURE__ */ writer.timings();
export type Timings = z.infer<typeof TimingsSchema>;

/** First event of every attempt. A newer attempt replaces all text of older ones. */
export const StartEventSchema = /* @__PURE__ */ writer.events.start();
/** A piece of generated text, appended in (attempt, seq) order. */
export const TextEventSchema = /* @__PURE__ */ writer.events.text();
/** Token usage so far (Bedrock reports it at the end of a stream). */
export const UsageEventSchema = /* @__PURE__ */ writer.events.usage();
/** Terminal success event: the stream is complete. */
export const EndEventSchema = /* @__PURE__ */ writer.events.end();
/** Terminal failure event. `retryable` tells the user whether starting again may work. */
export const ErrorEventSchema = /* @__PURE__ */ writer.events.error();
/** Reasoning text (extended thinking), streamed before the answer it leads to. */
export const ReasoningEventSchema = /* @__PURE__ */ writer.events.reasoning();
/** The reasoning block's signature: kept to continue a conversation, not for display. */
export const ReasoningSignatureEventSchema = /* @__PURE__ */ writer.events['reasoning-signature']();
/** Reasoning the model's provider redacted (encrypted), kept to continue a conversation. */
export const ReasoningRedactedEventSchema = /* @__PURE__ */ writer.events['reasoning-redacted']();
/** A tool call begins: its id and tool name, before its input streams. */
export const ToolCallStartEventSchema = /* @__PURE__ */ writer.events['tool-call-start']();
/** A piece of a tool call's input: partial JSON, concatenated in order. */
export const ToolCallDeltaEventSchema = /* @__PURE__ */ writer.events['tool-call-delta']();
/** A tool call's complete, parsed input. */
export const ToolCallEventSchema = /* @__PURE__ */ writer.events['tool-call']();
/** The outcome of a server-side tool the worker ran. */
export const ToolResultEventSchema = /* @__PURE__ */ writer.events['tool-result']();
/** A model call begins within an answer that spans several (tool use loops). */
export const StepStartEventSchema = /* @__PURE__ */ writer.events['step-start']();
/** A model call ended: its stop reason and usage. */
export const StepEndEventSchema = /* @__PURE__ */ writer.events['step-end']();

/** One stream event (strict: what a writer may publish). */
export const ChunkEventSchema = /* @__PURE__ */ z.discriminatedUnion('type', [
  StartEventSchema,
  TextEventSchema,
  UsageEventSchema,
  EndEventSchema,
  ErrorEventSchema,
  ReasoningEventSchema,
  ReasoningSignatureEventSchema,
  ReasoningRedactedEventSchema,
  ToolCallStartEventSchema,
  ToolCallDeltaEventSchema,
  ToolCallEventSchema,
  ToolResultEventSchema,
  StepStartEventSchema,
  StepEndEventSchema,
]);
export type ChunkEvent = z.infer<typeof ChunkEventSchema>;
export type StartEvent = z.infer<typeof StartEventSchema>;
export type TextEvent = z.infer<typeof TextEventSchema>;
export type UsageEvent = z.infer<typeof UsageEventSchema>;
export type EndEvent = z.infer<typeof EndEventSchema>;
export type ErrorEvent = z.infer<typeof ErrorEventSchema>;
export type ReasoningEvent = z.infer<typeof ReasoningEventSchema>;
export type ReasoningSignatureEvent = z.infer<typeof ReasoningSignatureEventSchema>;
export type ReasoningRedactedEvent = z.infer<typeof ReasoningRedactedEventSchema>;
export type ToolCallStartEvent = z.infer<typeof ToolCallStartEventSchema>;
export type ToolCallDeltaEvent = z.infer<typeof ToolCallDeltaEventSchema>;
export type ToolCallEvent = z.infer<typeof ToolCallEventSchema>;
export type ToolResultEvent = z.infer<typeof ToolResultEventSchema>;
export type StepStartEvent = z.infer<typeof StepStartEventSchema>;
export type StepEndEvent = z.infer<typeof StepEndEventSchema>;
export type ChunkEventType = ChunkEvent['type'];

/** Every event type this contract version knows. */
export const CHUNK_EVENT_TYPES = Object.keys(writer.events) as ChunkEventType[];

/** Whether `type` is an event type this contract version knows. */
export function isKnownEventType(type: string): type is ChunkEventType {
  return Object.hasOwn(writer.events, type);
}

/** One event type's schema, built on first use. */
type EventSchemaOf<T extends ChunkEventType> = z.ZodMiniType<Extract<ChunkEvent, { type: T }>>;
type EventSchemaBuilders = { readonly [T in ChunkEventType]: () => EventSchemaOf<T> };

const writers = writer.events as EventSchemaBuilders;
let readers: EventSchemaBuilders | undefined;

/**
 * The tolerant reader of one known event type: unknown fields are dropped. Looked up by
 * type, so a reader can tell an unknown type (skip it) from a known one that is malformed.
 * Readers are a second set of schemas: a writer (the worker) reads stored chunks only when
 * it retries an attempt, so none is built until one is needed.
 */
export function chunkEventReader<T extends ChunkEventType>(type: T): EventSchemaOf<T> {
  readers ??= eventSchemaBuilders(z.object as ObjectFactory).events as EventSchemaBuilders;
  return readers[type]();
}

/**
 * One event as a writer may publish it, checked by its type's strict schema (built when the
 * first event of that type is written): a discriminated union would build all of them. The
 * event itself reaches that schema, not a copy: a copy would lose an own `__proto__` key,
 * which the strict schema (and the resolver's mirror) refuse.
 */
const WrittenEventSchema = parsedBy<ChunkEvent>((event, ctx) => {
  const isObject = typeof event === 'object' && event !== null && !Array.isArray(event);
  const type: unknown = isObject ? (event as { type?: unknown }).type : undefined;
  if (typeof type === 'string' && isKnownEventType(type))
    return writers[type]() as z.ZodMiniType<ChunkEvent>;
  ctx.issues.push(
    isObject
      ? {
          code: 'custom',
          path: ['type'],
          message: `unknown event type ${JSON.stringify(type)}`,
          input: type,
        }
      : { code: 'invalid_type', expected: 'object', input: event },
  );
  return undefined;
});

/** Event types after which nothing follows in an attempt. */
export const TERMINAL_EVENT_TYPES = ['end', 'error'] as const satisfies readonly ChunkEventType[];

export function isTerminalEvent(event: ChunkEvent): event is EndEvent | ErrorEvent {
  return event.type === 'end' || event.type === 'error';
}

/** The version of the payload format. A reader refuses other versions (see README). */
export const CHUNK_PAYLOAD_VERSION = 1;

/**
 * The payload of one published chunk (strict: what a writer may publish): the events of
 * one coalescer flush, in order. A terminal event, if present, is the last one.
 */
export const ChunkPayloadSchema = z
  .strictObject({
    v: z.literal(CHUNK_PAYLOAD_VERSION),
    events: z.array(WrittenEventSchema).check(z.minLength(1), z.maxLength(LIMITS.chunkEvents)),
  })
  .check(
    z.superRefine((payload, ctx) => {
      const terminalAt = payload.events.findIndex(isTerminalEvent);
      if (terminalAt !== -1 && terminalAt !== payload.events.length - 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['events', terminalAt],
          message: `terminal '${payload.events[terminalAt]?.type}' event must be the last event of a chunk`,
        });
      }
    }),
  );
export type ChunkPayload = z.infer<typeof ChunkPayloadSchema>;

/** The reader's envelope schema (see ChunkEnvelopeReaderSchema), built on first use. */
export const chunkEnvelopeReader = once(() =>
  z.object({
    v: z.literal(CHUNK_PAYLOAD_VERSION, {
      error: (issue) =>
        `unsupported payload version ${JSON.stringify(issue.input)} (this reader knows v${CHUNK_PAYLOAD_VERSION})`,
    }),
    events: z
      .array(z.looseObject({ type: z.string().check(z.minLength(1), z.maxLength(100)) }))
      .check(z.minLength(1), z.maxLength(LIMITS.chunkEvents)),
  }),
);
/**
 * The envelope as a reader sees it: known version, unknown fields dropped, events only
 * required to be objects with a string `type` (each is then read by its own reader).
 */
export const ChunkEnvelopeReaderSchema = /* @__PURE__ */ chunkEnvelopeReader();

/**
 * The stored error schema, built on first use: a worker reads a stored error only to
 * record a dead run's published one (see StoredErrorSchema).
 */
export const storedErrorSchema = once(() =>
  z.object({
    code: z.string().check(z.minLength(1), z.maxLength(100)),
    message: z.string(),
    retryable: z.boolean(),
    retryAfterSeconds: z.optional(nonNegativeInt),
  }),
);
/** The stored error of a FAILED stream record (the terminal error event's fields). */
export const StoredErrorSchema = /* @__PURE__ */ storedErrorSchema();
export type StoredError = z.infer<typeof StoredErrorSchema>;
