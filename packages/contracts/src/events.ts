import { z } from 'zod';
import { LIMITS } from './limits.js';
import { STOP_REASONS } from './vocabulary.js';

const nonNegativeInt = z.number().int().nonnegative();

/** Why generation stopped. `cancelled` is ours: the owner called cancelStream. */
export const StopReasonSchema = z.enum(STOP_REASONS);
export type StopReason = z.infer<typeof StopReasonSchema>;

/** Token counts as Bedrock reports them. */
export const UsageSchema = z.strictObject({
  inputTokens: nonNegativeInt,
  outputTokens: nonNegativeInt,
  totalTokens: nonNegativeInt,
});
export type Usage = z.infer<typeof UsageSchema>;

/** Timings of one attempt, measured by the worker. */
export const TimingsSchema = z.strictObject({
  /** Worker claim to first text delta from Bedrock. */
  timeToFirstTokenMs: z.number().nonnegative().nullable(),
  /** Worker claim to end of the Bedrock stream. */
  totalMs: z.number().nonnegative(),
  /** Bedrock's own `metrics.latencyMs` / invocation latency, when reported. */
  modelLatencyMs: z.number().nonnegative().nullable(),
});
export type Timings = z.infer<typeof TimingsSchema>;

/** First event of every attempt. A newer attempt replaces all text of older ones. */
export const StartEventSchema = z.strictObject({
  type: z.literal('start'),
  modelId: z.string().min(1).max(LIMITS.modelIdChars),
  attempt: z.number().int().positive(),
  startedAt: z.iso.datetime(),
});

/** A piece of generated text, appended in (attempt, seq) order. */
export const TextEventSchema = z.strictObject({
  type: z.literal('text'),
  text: z
    .string()
    .min(1)
    .refine((t) => Buffer.byteLength(t, 'utf8') <= LIMITS.chunkTextBytes, {
      message: `text exceeds ${LIMITS.chunkTextBytes} UTF-8 bytes`,
    }),
});

/** Token usage so far (Bedrock reports it at the end of a stream). */
export const UsageEventSchema = z.strictObject({
  type: z.literal('usage'),
  usage: UsageSchema,
});

/** Terminal success event: the stream is complete. */
export const EndEventSchema = z.strictObject({
  type: z.literal('end'),
  stopReason: StopReasonSchema,
  usage: UsageSchema.nullable(),
  timings: TimingsSchema,
});

/** Terminal failure event. `retryable` tells the user whether starting again may work. */
export const ErrorEventSchema = z.strictObject({
  type: z.literal('error'),
  code: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z][A-Za-z0-9_.]*$/, 'code must be an identifier'),
  message: z.string().max(LIMITS.errorMessageChars),
  retryable: z.boolean(),
});

/** One stream event. */
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

/** Event types after which nothing follows in an attempt. */
export const TERMINAL_EVENT_TYPES = ['end', 'error'] as const satisfies readonly ChunkEventType[];

export function isTerminalEvent(event: ChunkEvent): event is EndEvent | ErrorEvent {
  return event.type === 'end' || event.type === 'error';
}

/**
 * The payload of one published chunk: the events of one coalescer flush, in order.
 * A terminal event, if present, is the last one.
 */
export const ChunkPayloadSchema = z
  .strictObject({
    v: z.literal(1),
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
