// Server-side validation of a publishChunk payload, mirroring contracts' ChunkPayloadSchema
// (packages/contracts/src/events.ts; zod cannot run in APPSYNC_JS). The first failure is a
// ValidationError naming its path, e.g.
// `invalid chunk payload: events[2].text must be a string`.
// Every object of the schema is strict, so unknown fields are rejected too.
// test/validate-chunk.test.ts checks that this file and the zod schema agree.
// One file on purpose: it is the single server-side mirror of one schema, read beside it.
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
  reasoning: ['type', 'text'],
  'reasoning-signature': ['type', 'signature'],
  'reasoning-redacted': ['type', 'data'],
  'tool-call-start': ['type', 'toolCallId', 'toolName'],
  'tool-call-delta': ['type', 'toolCallId', 'inputDelta'],
  'tool-call': ['type', 'toolCallId', 'toolName', 'input'],
  'tool-result': ['type', 'toolCallId', 'toolName', 'output', 'isError'],
  'step-start': ['type', 'step'],
  'step-end': ['type', 'step', 'stopReason', 'usage'],
};
export const EVENT_TYPES = [
  'start',
  'text',
  'usage',
  'end',
  'error',
  'reasoning',
  'reasoning-signature',
  'reasoning-redacted',
  'tool-call-start',
  'tool-call-delta',
  'tool-call',
  'tool-result',
  'step-start',
  'step-end',
];
const PAYLOAD_FIELDS = ['v', 'events'];
const USAGE_REQUIRED = ['inputTokens', 'outputTokens', 'totalTokens'];
const USAGE_OPTIONAL = ['cacheReadInputTokens', 'cacheWriteInputTokens'];
const USAGE_FIELDS = [...USAGE_REQUIRED, ...USAGE_OPTIONAL];
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
// Bedrock's toolUseId and toolSpec.name, as contracts bounds them.
const TOOL_CALL_ID = '[A-Za-z0-9_-]{1,64}';
const TOOL_NAME = '[a-zA-Z0-9_-]{1,64}';
// zod's z.base64() (4.x isValidBase64): length a multiple of 4 (checked apart), the
// alphabet, then at most two `=`, which is what atob accepts then. Same strings as its old
// regex of groups of four and a padded last group, without a quantified group (zod dropped
// that regex: it overflows the regex stack on long input).
const BASE64 = '[0-9a-zA-Z+/]*={0,2}';
// A key that zod's z.record / z.json() leaves out of its output (see boundedJson).
const PROTO_KEY = '"__proto__":';
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

/** Whether `value` fits the per-chunk bound of LIMITS.chunkTextBytes UTF-8 bytes. */
function withinTextBytes(value: string): boolean {
  // A code unit is 1 to 3 UTF-8 bytes, so only lengths in between need counting.
  if (value.length > LIMITS.chunkTextBytes) return false;
  return value.length * 3 <= LIMITS.chunkTextBytes || utf8Bytes(value) <= LIMITS.chunkTextBytes;
}

/** contracts' boundedText: a non-empty string within the per-chunk byte bound. */
function boundedText(path: string, value: unknown): void {
  const content = text(path, value, 1, MAX_SAFE_INTEGER);
  if (!withinTextBytes(content)) fail(path, `exceeds ${LIMITS.chunkTextBytes} UTF-8 bytes`);
}

/**
 * UTF-8 bytes of the `__proto__` members in `value`'s JSON (`"__proto__":` is 12 bytes,
 * plus the value and one comma when the object has other keys). Breadth-first over a
 * queue that grows while for-of walks it: APPSYNC_JS allows no recursion, while loop or
 * function argument (so no JSON.stringify replacer). The payload's size bounds the work.
 */
function protoMemberBytes(value: unknown): number {
  let bytes = 0;
  const queue: unknown[] = [value];
  for (const node of queue) {
    if (Array.isArray(node)) {
      for (const item of node as unknown[]) {
        if (typeof item === 'object' && item !== null) queue.push(item);
      }
    } else if (isFields(node)) {
      const keys = Object.keys(node);
      for (const key of keys) {
        const child = node[key];
        if (key === '__proto__') {
          bytes += 12 + utf8Bytes(JSON.stringify(child)) + (keys.length > 1 ? 1 : 0);
        } else if (typeof child === 'object' && child !== null) {
          queue.push(child);
        }
      }
    }
  }
  return bytes;
}

/**
 * contracts' boundedJson: the value's JSON within the per-chunk byte bound. Any value
 * here is JSON (AppSync parsed the AWSJSON), so only its size needs checking. zod counts
 * the JSON of its parsed output, which drops every `__proto__` key (z.record skips it),
 * so those members are left out of the count too.
 */
function boundedJson(path: string, value: unknown): void {
  present(path, value);
  const json = JSON.stringify(value);
  // Dropping members only shrinks the JSON, so the walk is needed only over the bound.
  if (withinTextBytes(json)) return;
  if (
    json.indexOf(PROTO_KEY) === -1 ||
    utf8Bytes(json) - protoMemberBytes(value) > LIMITS.chunkTextBytes
  ) {
    fail(path, `exceeds ${LIMITS.chunkTextBytes} UTF-8 bytes as JSON`);
  }
}

function checkUsage(path: string, value: unknown, nullable: boolean): void {
  present(path, value);
  if (nullable && value === null) return;
  const usage = strictObject(path, value, USAGE_FIELDS, `${path}.`);
  for (const field of USAGE_REQUIRED) integer(`${path}.${field}`, usage[field], 0);
  for (const field of USAGE_OPTIONAL) {
    if (usage[field] !== undefined) integer(`${path}.${field}`, usage[field], 0);
  }
}

function checkStopReason(path: string, value: unknown): void {
  present(path, value);
  if (
    typeof value !== 'string' ||
    value.length > STOP_REASON_MAX_CHARS ||
    !util.matches(STOP_REASON_PATTERN, value)
  ) {
    fail(path, 'must be a snake_case identifier such as end_turn');
  }
}

function checkBoolean(path: string, value: unknown): void {
  present(path, value);
  if (typeof value !== 'boolean') fail(path, 'must be a boolean');
}

function checkPattern(path: string, value: unknown, pattern: string, problem: string): void {
  const content = text(path, value, 0, MAX_SAFE_INTEGER);
  if (!util.matches(pattern, content)) fail(path, problem);
}

function checkToolCallId(path: string, value: unknown): void {
  checkPattern(path, value, TOOL_CALL_ID, 'must be 1-64 of [A-Za-z0-9_-]');
}

function checkToolName(path: string, value: unknown): void {
  checkPattern(path, value, TOOL_NAME, 'must be 1-64 of [a-zA-Z0-9_-]');
}

/** Reasoning, tool-use and step events (the first five are checked in checkEvent). */
function checkStepEvent(path: string, type: string, event: Fields): void {
  if (type === 'reasoning') {
    boundedText(`${path}.text`, event['text']);
  } else if (type === 'reasoning-signature') {
    text(`${path}.signature`, event['signature'], 1, LIMITS.reasoningSignatureChars);
  } else if (type === 'reasoning-redacted') {
    const data = text(`${path}.data`, event['data'], 1, LIMITS.chunkTextBytes);
    if (data.length % 4 !== 0 || !util.matches(BASE64, data)) {
      fail(`${path}.data`, 'must be base64');
    }
  } else if (type === 'tool-call-start') {
    checkToolCallId(`${path}.toolCallId`, event['toolCallId']);
    checkToolName(`${path}.toolName`, event['toolName']);
  } else if (type === 'tool-call-delta') {
    checkToolCallId(`${path}.toolCallId`, event['toolCallId']);
    boundedText(`${path}.inputDelta`, event['inputDelta']);
  } else if (type === 'tool-call') {
    checkToolCallId(`${path}.toolCallId`, event['toolCallId']);
    checkToolName(`${path}.toolName`, event['toolName']);
    const input = event['input'];
    present(`${path}.input`, input);
    if (!isFields(input)) fail(`${path}.input`, `must be a JSON object, got ${kindOf(input)}`);
    boundedJson(`${path}.input`, input);
  } else if (type === 'tool-result') {
    checkToolCallId(`${path}.toolCallId`, event['toolCallId']);
    checkToolName(`${path}.toolName`, event['toolName']);
    boundedJson(`${path}.output`, event['output']);
    checkBoolean(`${path}.isError`, event['isError']);
  } else if (type === 'step-start') {
    integer(`${path}.step`, event['step'], 1);
  } else {
    integer(`${path}.step`, event['step'], 1);
    checkStopReason(`${path}.stopReason`, event['stopReason']);
    checkUsage(`${path}.usage`, event['usage'], true);
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
    boundedText(`${path}.text`, event['text']);
  } else if (type === 'usage') {
    checkUsage(`${path}.usage`, event['usage'], false);
  } else if (type === 'end') {
    checkStopReason(`${path}.stopReason`, event['stopReason']);
    checkUsage(`${path}.usage`, event['usage'], true);
    const timingsPath = `${path}.timings`;
    const timings = strictObject(timingsPath, event['timings'], TIMINGS_FIELDS, `${timingsPath}.`);
    nonNegativeNumber(`${timingsPath}.timeToFirstTokenMs`, timings['timeToFirstTokenMs'], true);
    nonNegativeNumber(`${timingsPath}.totalMs`, timings['totalMs'], false);
    nonNegativeNumber(`${timingsPath}.modelLatencyMs`, timings['modelLatencyMs'], true);
  } else if (type === 'error') {
    const code = text(`${path}.code`, event['code'], 1, 100);
    if (!util.matches(ERROR_CODE, code)) fail(`${path}.code`, 'must be an identifier');
    text(`${path}.message`, event['message'], 0, LIMITS.errorMessageChars);
    checkBoolean(`${path}.retryable`, event['retryable']);
    const retryAfter = event['retryAfterSeconds'];
    if (retryAfter !== undefined) integer(`${path}.retryAfterSeconds`, retryAfter, 0);
  } else {
    checkStepEvent(path, type, event);
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
