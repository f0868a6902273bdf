import type { z } from 'zod';
import { ChunkPayloadSchema, type ChunkPayload } from './events.js';
import { LIMITS } from './limits.js';
import { StartStreamInputSchema, type StartStreamInputParsed } from './start-input.js';

/** What kind of contract violation a ContractError reports. */
export type ContractErrorCode = 'NOT_JSON' | 'OVERSIZE' | 'INVALID_PAYLOAD' | 'INVALID_INPUT';

/**
 * A payload or input that breaks the contract. `message` names the problem and the
 * path of the offending field, e.g. `events.0.type: unknown event type 'foo'`.
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
    .map((issue) => {
      const path = issue.path.length ? issue.path.join('.') : '(root)';
      if (
        issue.code === 'invalid_union' &&
        'note' in issue &&
        issue.note === 'No matching discriminator'
      ) {
        return `${path}: unknown event type`;
      }
      return `${path}: ${issue.message}`;
    })
    .join('; ');
}

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

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

/**
 * Parses a received chunk payload: the AWSJSON string from a subscription or query
 * (or an already-parsed object). Never throws.
 */
export function safeDecodeChunkPayload(raw: unknown): DecodeResult<ChunkPayload> {
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
  const parsed = ChunkPayloadSchema.safeParse(value);
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
