import { z } from 'zod';
import { LIMITS } from './limits.js';
import {
  STOP_REASONS,
  STOP_REASON_MAX_CHARS,
  STOP_REASON_PATTERN,
  type KnownStopReason,
} from './vocabulary.js';
import { utf8ByteLength } from './utf8.js';

// Two readings of one contract. Writers (the worker, the resolvers' mirror) are strict:
// every object is closed and every event type known. Readers (the client, catch-up,
// the worker's look at stored chunks) are tolerant: unknown fields are dropped and
// unknown event types skipped, so a client deployed today keeps working when the worker
// learns a new event. The rule for what is additive is in this package's README.

type ObjectFactory = typeof z.strictObject;
const nonNegativeInt = z.number().int().nonnegative();

/**
 * Why generation stopped: one of STOP_REASONS, or a reason Bedrock added later, carried
 * as the string it is (never mapped to another reason).
 */
export type StopReason = KnownStopReason | (string & {});
/** A stop reason as written: a snake_case identifier (Bedrock's form). */
export const StopReasonSchema: z.ZodType<StopReason> = z
  .string()
  .max(STOP_REASON_MAX_CHARS)
  .regex(new RegExp(`^${STOP_REASON_PATTERN}$`), 'stopReason must be a snake_case identifier');
/** Whether `reason` is one this contract version knows. */
export function isKnownStopReason(reason: string): reason is KnownStopReason {
  return (STOP_REASONS as readonly string[]).includes(reason);
}

/** Builds every event schema with `object` = z.strictObject (writers) or z.object (readers). */
function buildEventSchemas(object: ObjectFactory) {
  const usage = object({
    inputTokens: nonNegativeInt,
    outputTokens: nonNegativeInt,
    totalTokens: nonNegativeInt,
    /** Prompt-cache reads and writes, when the model reports them (Bedrock's names). */
    cacheReadInputTokens: nonNegativeInt.optional(),
    cacheWriteInputTokens: nonNegativeInt.optional(),
  });
  const timings = object({
    /** Worker claim to first text delta from Bedrock. */
    timeToFirstTokenMs: z.number().nonnegative().nullable(),
    /** Worker claim to end of the Bedrock stream. */
    totalMs: z.number().nonnegative(),
    /** Bedrock's own `metrics.latencyMs` / invocation latency, when reported. */
    modelLatencyMs: z.number().nonnegative().nullable(),
  });
  const start = object({
    type: z.literal('start'),
    modelId: z.string().min(1).max(LIMITS.modelIdChars),
    attempt: z.number().int().positive(),
    startedAt: z.iso.datetime(),
  });
  const text = object({
    type: z.literal('text'),
    text: z
      .string()
      .min(1)
      .refine((t) => utf8ByteLength(t) <= LIMITS.chunkTextBytes, {
        message: `text exceeds ${LIMITS.chunkTextBytes} UTF-8 bytes`,
      }),
  });
  const usageEvent = object({ type: z.literal('usage'), usage });
  const end = object({
    type: z.literal('end'),
    stopReason: StopReasonSchema,
    usage: usage.nullable(),
    timings,
  });
  const error = object({
    type: z.literal('error'),
    code: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[A-Za-z][A-Za-z0-9_.]*$/, 'code must be an identifier'),
    message: z.string().max(LIMITS.errorMessageChars),
    retryable: z.boolean(),
    /** When a retry can succeed, in seconds (e.g. `QuotaExceeded`: the next UTC day). */
    retryAfterSeconds: nonNegativeInt.optional(),
  });
  return { usage, timings, events: { start, text, usage: usageEvent, end, error } };
}

const writer = buildEventSchemas(z.strictObject);
const reader = buildEventSchemas(z.object as ObjectFactory);

/** Token counts as Bedrock reports them. */
export const UsageSchema = writer.usage;
export type Usage = z.infer<typeof UsageSchema>;

/** Timings of one attempt, measured by the worker. */
export const TimingsSchema = writer.timings;
export type Timings = z.infer<typeof TimingsSchema>;

/** First event of every attempt. A newer attempt replaces all text of older ones. */
export const StartEventSchema = writer.events.start;
/** A piece of generated text, appended in (attempt, seq) order. */
export const TextEventSchema = writer.events.text;
/** Token usage so far (Bedrock reports it at the end of a stream). */
export const UsageEventSchema = writer.events.usage;
/** Terminal success event: the stream is complete. */
export const EndEventSchema = writer.events.end;
/** Terminal failure event. `retryable` tells the user whether starting again may work. */
export const ErrorEventSchema = writer.events.error;

/** One stream event (strict: what a writer may publish). */
export const ChunkEventSchema = z.discriminatedUnion('type', [
  StartEventSchema,
  TextEventSchema,
  UsageEventSchema,
  EndEventSchema,
  ErrorEventSchema,
]);
export type ChunkEvent = z.infer<typeof ChunkEventSchema>;
export type StartEvent = z.infer<typeof StartEventSchema>;
export type TextEvent = z.infer<typeof TextEventSchema>;
export type UsageEvent = z.infer<typeof UsageEventSchema>;
export type EndEvent = z.infer<typeof EndEventSchema>;
export type ErrorEvent = z.infer<typeof ErrorEventSchema>;
export type ChunkEventType = ChunkEvent['type'];

/** Every event type this contract version knows. */
export const CHUNK_EVENT_TYPES = Object.keys(writer.events) as ChunkEventType[];

/**
 * Tolerant readers of each known event type: unknown fields are dropped. Keyed by type,
 * so a reader can tell an unknown type (skip it) from a known one that is malformed.
 */
export const ChunkEventReaders: {
  readonly [T in ChunkEventType]: z.ZodType<Extract<ChunkEvent, { type: T }>>;
} = reader.events as never;

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
    events: z.array(ChunkEventSchema).min(1).max(LIMITS.chunkEvents),
  })
  .superRefine((payload, ctx) => {
    const terminalAt = payload.events.findIndex(isTerminalEvent);
    if (terminalAt !== -1 && terminalAt !== payload.events.length - 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['events', terminalAt],
        message: `terminal '${payload.events[terminalAt]?.type}' event must be the last event of a chunk`,
      });
    }
  });
export type ChunkPayload = z.infer<typeof ChunkPayloadSchema>;

/**
 * The envelope as a reader sees it: known version, unknown fields dropped, events only
 * required to be objects with a string `type` (each is then read by its own reader).
 */
export const ChunkEnvelopeReaderSchema = z.object({
  v: z.literal(CHUNK_PAYLOAD_VERSION, {
    error: (issue) =>
      `unsupported payload version ${JSON.stringify(issue.input)} (this reader knows v${CHUNK_PAYLOAD_VERSION})`,
  }),
  events: z
    .array(z.looseObject({ type: z.string().min(1).max(100) }))
    .min(1)
    .max(LIMITS.chunkEvents),
});

/** The stored error of a FAILED stream record (the terminal error event's fields). */
export const StoredErrorSchema = z.object({
  code: z.string().min(1).max(100),
  message: z.string(),
  retryable: z.boolean(),
  retryAfterSeconds: z.number().int().nonnegative().optional(),
});
export type StoredError = z.infer<typeof StoredErrorSchema>;
