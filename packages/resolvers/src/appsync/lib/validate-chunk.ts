// Server-side validation of a publishChunk payload, mirroring contracts' ChunkPayloadSchema
// (packages/contracts/src/events.ts; zod cannot run in APPSYNC_JS). The first failure is a
// ValidationError naming its path, e.g.
// `invalid chunk payload: events[2].text must be a string`.
// Every object of the schema is strict, so unknown fields are rejected too.
// test/validate-chunk.test.ts checks that this file and the zod schema agree.
import { util } from '@aws-appsync/utils';
import {
  STOP_REASONS,
  STOP_REASON_MAX_CHARS,
  STOP_REASON_PATTERN,
} from '@org/bedrock-stream-contracts/vocabulary';
import { LIMITS } from './common.js';

type Fields = Record<string, unknown>;

/** The stop reasons contracts knows (any snake_case reason is accepted: Bedrock adds them). */
export { STOP_REASONS };

/** The fields of each event type (every event object is strict). */
export const EVENT_FIELDS: Record<string, string[]> = {
  start: ['type', 'modelId', 'attempt', 'startedAt'],
  text: ['type', 'text'],
  usage: ['type', 'usage'],
  end: ['type', 'stopReason', 'usage', 'timings'],
  error: ['type', 'code', 'message', 'retryable', 'retryAfterSeconds'],
};
export const EVENT_TYPES = ['start', 'text', 'usage', 'end', 'error'];
const PAYLOAD_FIELDS = ['v', 'events'];
const USAGE_FIELDS = ['inputTokens', 'outputTokens', 'totalTokens'];
/** Usage fields a model may leave out (prompt-cache counts). */
const OPTIONAL_USAGE_FIELDS = ['cacheReadInputTokens', 'cacheWriteInputTokens'];
const TIMINGS_FIELDS = ['timeToFirstTokenMs', 'totalMs', 'modelLatencyMs'];

// Patterns are strings for util.matches (whole-string match; APPSYNC_JS has no regex literals).
// zod's z.iso.datetime(): a valid calendar date, `T`, hh:mm:ss, optional fraction, `Z` only.
const DATE =
  '(?:(?:\\d\\d[2468][048]|\\d\\d[13579][26]|\\d\\d0[48]|[02468][048]00|[13579][26]00)-02-29|' +
  '\\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|' +
  '(?:02)-(?:0[1-9]|1\\d|2[0-8])))';
const DATETIME = `${DATE}T(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d+)?Z`;
const ERROR_CODE = '[A-Za-z][A-Za-z0-9_.]*';
const ASCII = '[\\x00-\\x7F]*';
/** zod's .int() accepts safe integers only. */
const MAX_SAFE_INTEGER = 9007199254740991;

function fail(path: string, problem: string): never {
  return util.error(`invalid chunk payload: ${path} ${problem}`, 'ValidationError');
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A strict object: an object (not an array) with no field outside `fields`. */
function strictObject(path: string, value: unknown, fields: string[], prefix: string): Fields {
  if (value === undefined) fail(path, 'is required');
  if (!isFields(value)) fail(path, `must be an object, got ${kindOf(value)}`);
  for (const key of Object.keys(value)) {
    if (fields.indexOf(key) === -1) fail(`${prefix}${key}`, 'is not a known field');
  }
  return value;
}

function present(path: string, value: unknown): void {
  if (value === undefined) fail(path, 'is required');
}

/** A finite number (JSON has no NaN/Infinity; `x - x` is 0 only for finite x). */
function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && value - value === 0;
}

function nonNegativeNumber(path: string, value: unknown, nullable: boolean): void {
  present(path, value);
  if (nullable && value === null) return;
  if (!isFiniteNumber(value)) fail(path, `must be a number${nullable ? ' or null' : ''}`);
  if (value < 0) fail(path, 'must be >= 0');
}

function integer(path: string, value: unknown, min: number): void {
  present(path, value);
  if (!isFiniteNumber(value)) fail(path, 'must be a number');
  if (Math.floor(value) !== value || value > MAX_SAFE_INTEGER || value < -MAX_SAFE_INTEGER) {
    fail(path, 'must be an integer');
  }
  if (value < min) fail(path, `must be >= ${min}`);
}

/** A string of `min` to `max` UTF-16 code units (zod's .min/.max count `length`). */
function text(path: string, value: unknown, min: number, max: number): string {
  present(path, value);
  if (typeof value !== 'string') fail(path, `must be a string, got ${kindOf(value)}`);
  if (value.length < min)
    fail(path, min === 1 ? 'must not be empty' : `is under ${min} characters`);
  if (value.length > max) fail(path, `exceeds ${max} characters`);
  return value;
}

/**
 * UTF-8 bytes of `value` as Buffer.byteLength counts them (a lone surrogate is 3 bytes,
 * the replacement character). APPSYNC_JS has no Buffer, TextEncoder or charCodeAt, so the
 * code units are compared as one-character strings.
 */
export function utf8Bytes(value: string): number {
  if (util.matches(ASCII, value)) return value.length;
  let bytes = 0;
  let afterHigh = false;
  for (const unit of value.split('')) {
    const high = unit >= '\uD800' && unit <= '\uDBFF';
    if (unit <= '\u007F') bytes += 1;
    else if (unit <= '\u07FF') bytes += 2;
    else if (afterHigh && unit >= '\uDC00' && unit <= '\uDFFF') bytes += 1;
    else bytes += 3;
    afterHigh = high;
  }
  return bytes;
}

function checkUsage(path: string, value: unknown, nullable: boolean): void {
  present(path, value);
  if (nullable && value === null) return;
  const usage = strictObject(path, value, USAGE_FIELDS.concat(OPTIONAL_USAGE_FIELDS), `${path}.`);
  for (const field of USAGE_FIELDS) integer(`${path}.${field}`, usage[field], 0);
  for (const field of OPTIONAL_USAGE_FIELDS) {
    if (usage[field] !== undefined) integer(`${path}.${field}`, usage[field], 0);
  }
}

function checkEvent(path: string, value: unknown): string {
  if (!isFields(value)) fail(path, `must be an object, got ${kindOf(value)}`);
  const type = value['type'];
  if (typeof type !== 'string' || EVENT_TYPES.indexOf(type) === -1) {
    fail(`${path}.type`, `is not a known event type (${EVENT_TYPES.join(', ')})`);
  }
  const event = strictObject(path, value, EVENT_FIELDS[type] ?? [], `${path}.`);
  if (type === 'start') {
    text(`${path}.modelId`, event['modelId'], 1, LIMITS.modelIdChars);
    integer(`${path}.attempt`, event['attempt'], 1);
    const startedAt = text(`${path}.startedAt`, event['startedAt'], 0, MAX_SAFE_INTEGER);
    if (!util.matches(DATETIME, startedAt)) {
      fail(`${path}.startedAt`, 'must be an ISO 8601 UTC date-time (YYYY-MM-DDThh:mm:ss[.fff]Z)');
    }
  } else if (type === 'text') {
    const content = text(`${path}.text`, event['text'], 1, MAX_SAFE_INTEGER);
    // A code unit is 1 to 3 UTF-8 bytes, so only lengths in between need counting.
    if (
      content.length > LIMITS.chunkTextBytes ||
      (content.length * 3 > LIMITS.chunkTextBytes && utf8Bytes(content) > LIMITS.chunkTextBytes)
    ) {
      fail(`${path}.text`, `exceeds ${LIMITS.chunkTextBytes} UTF-8 bytes`);
    }
  } else if (type === 'usage') {
    checkUsage(`${path}.usage`, event['usage'], false);
  } else if (type === 'end') {
    const stopReason = event['stopReason'];
    present(`${path}.stopReason`, stopReason);
    if (
      typeof stopReason !== 'string' ||
      stopReason.length > STOP_REASON_MAX_CHARS ||
      !util.matches(STOP_REASON_PATTERN, stopReason)
    ) {
      fail(`${path}.stopReason`, 'must be a snake_case identifier such as end_turn');
    }
    checkUsage(`${path}.usage`, event['usage'], true);
    const timingsPath = `${path}.timings`;
    const timings = strictObject(timingsPath, event['timings'], TIMINGS_FIELDS, `${timingsPath}.`);
    nonNegativeNumber(`${timingsPath}.timeToFirstTokenMs`, timings['timeToFirstTokenMs'], true);
    nonNegativeNumber(`${timingsPath}.totalMs`, timings['totalMs'], false);
    nonNegativeNumber(`${timingsPath}.modelLatencyMs`, timings['modelLatencyMs'], true);
  } else {
    const code = text(`${path}.code`, event['code'], 1, 100);
    if (!util.matches(ERROR_CODE, code)) fail(`${path}.code`, 'must be an identifier');
    text(`${path}.message`, event['message'], 0, LIMITS.errorMessageChars);
    const retryable = event['retryable'];
    present(`${path}.retryable`, retryable);
    if (typeof retryable !== 'boolean') fail(`${path}.retryable`, 'must be a boolean');
    const retryAfter = event['retryAfterSeconds'];
    if (retryAfter !== undefined) integer(`${path}.retryAfterSeconds`, retryAfter, 0);
  }
  return type;
}

/**
 * Validates a publishChunk payload as AppSync hands it over: the parsed AWSJSON value
 * (AppSync parses AWSJSON arguments once, so a string here is a payload that was
 * JSON-encoded twice, and is rejected like any other non-object).
 */
export function validateChunkPayload(payload: unknown): void {
  if (!isFields(payload)) fail('payload', `must be a JSON object, got ${kindOf(payload)}`);
  const root = strictObject('payload', payload, PAYLOAD_FIELDS, '');
  const v = root['v'];
  present('v', v);
  if (v !== 1) fail('v', 'must be 1');
  const events = root['events'];
  present('events', events);
  if (!Array.isArray(events)) fail('events', `must be an array, got ${kindOf(events)}`);
  if (events.length === 0) fail('events', 'must not be empty');
  if (events.length > LIMITS.chunkEvents) {
    fail('events', `has ${events.length} events, over the ${LIMITS.chunkEvents} bound`);
  }
  let terminalAt = -1;
  let terminalType = '';
  let i = 0;
  for (const event of events as unknown[]) {
    const type = checkEvent(`events[${i}]`, event);
    if (terminalAt === -1 && (type === 'end' || type === 'error')) {
      terminalAt = i;
      terminalType = type;
    }
    i += 1;
  }
  if (terminalAt !== -1 && terminalAt !== events.length - 1) {
    fail(`events[${terminalAt}]`, `is a terminal '${terminalType}' event but not the last event`);
  }
}
