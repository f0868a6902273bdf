import type { z } from 'zod';
import {
  chunkEnvelopeReader,
  chunkEventReader,
  ChunkPayloadSchema,
  isKnownEventType,
  isTerminalEvent,
  type ChunkEvent,
  type ChunkPayload,
} from './events.js';
import { LIMITS } from './limits.js';
import { StartStreamInputSchema, type StartStreamInputParsed } from './start-input.js';
import { utf8ByteLength } from './utf8.js';

/** What kind of contract violation a ContractError reports. */
export type ContractErrorCode = 'NOT_JSON' | 'OVERSIZE' | 'INVALID_PAYLOAD' | 'INVALID_INPUT';

/**
 * A payload or input that breaks the contract. `message` names the problem and the
 * path of the offending field, e.g. `events.0.type: unknown event type "foo"`.
 */
export class ContractError extends Error {
  override readonly name = 'ContractError';
  constructor(
    readonly code: ContractErrorCode,
    message: string,
    readonly issues: readonly z.core.$ZodIssue[] = [],
  ) {
    super(message);
  }
}

/** Result of a safe decode: never throws. */
export type DecodeResult<T> = { ok: true; value: T } | { ok: false; error: ContractError };

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

const utf8Bytes = utf8ByteLength;

/**
 * Validates a chunk payload and serializes it for `publishChunk`'s AWSJSON field.
 * Used by the worker before every publish.
 * @throws ContractError `INVALID_PAYLOAD` or `OVERSIZE` (over LIMITS.chunkPayloadBytes).
 */
export function encodeChunkPayload(payload: ChunkPayload): string {
  const parsed = ChunkPayloadSchema.safeParse(payload);
  if (!parsed.success) {
    throw new ContractError(
      'INVALID_PAYLOAD',
      `invalid chunk payload: ${describeIssues(parsed.error.issues)}`,
      parsed.error.issues,
    );
  }
  const json = JSON.stringify(parsed.data);
  const bytes = utf8Bytes(json);
  if (bytes > LIMITS.chunkPayloadBytes) {
    throw new ContractError(
      'OVERSIZE',
      `chunk payload is ${bytes} bytes, over the ${LIMITS.chunkPayloadBytes}-byte bound`,
    );
  }
  return json;
}

/** An event a reader skipped because its type is newer than this contract version. */
export interface SkippedEvent {
  /** Index in the payload's `events`. */
  readonly index: number;
  /** The event's `type`. */
  readonly type: string;
}

/** Result of decoding a received chunk: the known events, and what was skipped. */
export type ChunkDecodeResult =
  | { ok: true; value: ChunkPayload; skipped: readonly SkippedEvent[] }
  | { ok: false; error: ContractError };

function invalidPayload(issues: readonly z.core.$ZodIssue[]): ChunkDecodeResult {
  return {
    ok: false,
    error: new ContractError(
      'INVALID_PAYLOAD',
      `invalid chunk payload: ${describeIssues(issues)}`,
      issues,
    ),
  };
}

/**
 * Reads a received chunk payload (the AWSJSON string from a subscription or query, or an
 * already-parsed object) tolerantly: unknown fields are dropped and events of unknown
 * types are skipped and listed in `skipped`, so a payload from a newer worker still gives
 * every event this version knows. A known event that is malformed, a payload of another
 * version or one that is not JSON is an error. Never throws.
 */
export function safeDecodeChunkPayload(raw: unknown): ChunkDecodeResult {
  let value: unknown = raw;
  if (typeof raw === 'string') {
    if (utf8Bytes(raw) > LIMITS.chunkPayloadBytes) {
      return {
        ok: false,
        error: new ContractError(
          'OVERSIZE',
          `chunk payload is over the ${LIMITS.chunkPayloadBytes}-byte bound`,
        ),
      };
    }
    try {
      value = JSON.parse(raw);
    } catch {
      return { ok: false, error: new ContractError('NOT_JSON', 'chunk payload is not valid JSON') };
    }
  }
  const envelope = chunkEnvelopeReader().safeParse(value);
  if (!envelope.success) return invalidPayload(envelope.error.issues);
  const events: ChunkEvent[] = [];
  const skipped: SkippedEvent[] = [];
  for (const [index, event] of envelope.data.events.entries()) {
    if (!isKnownEventType(event.type)) {
      skipped.push({ index, type: event.type });
      continue;
    }
    const parsed = chunkEventReader(event.type).safeParse(event);
    if (!parsed.success) {
      return invalidPayload(
        parsed.error.issues.map((issue) => ({ ...issue, path: ['events', index, ...issue.path] })),
      );
    }
    events.push(parsed.data);
  }
  const terminalAt = events.findIndex(isTerminalEvent);
  if (terminalAt !== -1 && terminalAt !== events.length - 1) {
    return invalidPayload([
      {
        code: 'custom',
        path: ['events'],
        message: `terminal '${events[terminalAt]?.type}' event must be the last known event of a chunk`,
        input: value,
      },
    ]);
  }
  return { ok: true, value: { v: envelope.data.v, events }, skipped };
}

/**
 * Validates a payload as a writer must produce it (strict: closed objects, known event
 * types only). Used by tests of the resolvers' APPSYNC_JS mirror. Never throws.
 */
export function safeParseChunkPayloadStrict(raw: unknown): DecodeResult<ChunkPayload> {
  const parsed = ChunkPayloadSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      error: new ContractError(
        'INVALID_PAYLOAD',
        `invalid chunk payload: ${describeIssues(parsed.error.issues)}`,
        parsed.error.issues,
      ),
    };
  }
  return { ok: true, value: parsed.data };
}

/**
 * Like safeDecodeChunkPayload, but throws.
 * @throws ContractError
 */
export function decodeChunkPayload(raw: unknown): ChunkPayload {
  const result = safeDecodeChunkPayload(raw);
  if (!result.ok) throw result.error;
  return result.value;
}

/** Validates a startStream input. Never throws. */
export function safeParseStartStreamInput(raw: unknown): DecodeResult<StartStreamInputParsed> {
  const parsed = StartStreamInputSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      error: new ContractError(
        'INVALID_INPUT',
        `invalid startStream input: ${describeIssues(parsed.error.issues)}`,
        parsed.error.issues,
      ),
    };
  }
  return { ok: true, value: parsed.data };
}

/**
 * Validates a startStream input.
 * @throws ContractError `INVALID_INPUT` naming each offending field.
 */
export function parseStartStreamInput(raw: unknown): StartStreamInputParsed {
  const result = safeParseStartStreamInput(raw);
  if (!result.ok) throw result.error;
  return result.value;
}
