// Chunk payload samples for the parity test: valid payloads built from every event type
// at and near its bounds, and mutations of them (wrong types, missing and extra fields,
// unknown types, bounds ±1, misplaced terminal events, non-object payloads). Seeded, so a
// failure reproduces.

import { CHUNK_EVENT_TYPES, STOP_REASONS } from '@org/bedrock-stream-contracts';

type Json = Record<string, unknown>;

const TERMINAL_TYPES = ['end', 'error'];
const NON_TERMINAL_TYPES = CHUNK_EVENT_TYPES.filter((t) => !TERMINAL_TYPES.includes(t));

/** A JSON object text with `__proto__` own keys (a literal or an assignment would not make them). */
const withProto = (json: string): Json => JSON.parse(json) as Json;
/** `{"a":"<n × unit>"}`: 8 bytes of JSON around the string. */
const objectOf = (unit: string, n: number): Json => ({ a: unit.repeat(n) });

/** mulberry32: a small seeded PRNG. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Valid field values, including the bounds. */
const VALID = {
  modelId: ['m', 'anthropic.claude-3-haiku-20240307-v1:0', 'x'.repeat(256), 'ünïcode model'],
  attempt: [1, 2, 77, Number.MAX_SAFE_INTEGER],
  startedAt: [
    '2026-01-01T00:00:00Z',
    '2026-01-01T00:00:00.000Z',
    '2024-02-29T23:59:59.123456789Z',
    '2000-02-29T12:30:00.1Z',
    '1999-12-31T23:59:59Z',
  ],
  text: [
    'a',
    'Hello, wörld 👋',
    ' ',
    '\n',
    '\u0000',
    'a'.repeat(32 * 1024),
    'é'.repeat(16 * 1024), // 2 bytes each: exactly 32 KiB
    '日'.repeat(10922) + 'ab', // 32,768 bytes
    '😀'.repeat(8 * 1024), // surrogate pairs: 4 bytes each, exactly 32 KiB
    '\uD800', // a lone surrogate counts 3 bytes (Buffer.byteLength)
    '\uDC00\uD800x',
    'x'.repeat(10922),
    'x'.repeat(10923),
  ],
  count: [0, 1, 46, 1_000_000, Number.MAX_SAFE_INTEGER],
  ms: [0, 0.5, 120, 1e9],
  code: ['a', 'ThrottlingException', 'A.b_c9', 'x'.repeat(100), 'Z.'],
  message: ['', 'Too many requests', 'x'.repeat(2000), 'ünïcode\nmessage'],
  signature: ['s', 'EqQBCkgIARABGAIiQL+/==', 'x'.repeat(16 * 1024), 'ünï\ncode', ' '],
  // Base64 at and near its rules: padding, the full alphabet, the length bound.
  data: [
    'AAAA',
    'ab==',
    'abc=',
    '+/+/',
    'QUJDRA==',
    'AB==', // non-zero unused bits: still accepted (atob is forgiving)
    'A'.repeat(32 * 1024),
    'A'.repeat(32 * 1024 - 4) + 'AA==',
  ],
  toolCallId: ['a', '0', '-', '_', 'tooluse_AbC-12_x', 'x'.repeat(64)],
  toolName: ['a', 'get_weather', 'tool-1', 'Z'.repeat(64)],
  inputDelta: ['{', '{"city": "Par', 'is"}', ' ', 'é'.repeat(16 * 1024), '😀'.repeat(8 * 1024)],
  input: [
    {},
    { city: 'Paris' },
    { a: [1, null, true, { b: 'x' }], n: -0.5, e: 1e21 },
    { ünï: { '': [] } },
    objectOf('x', 32 * 1024 - 8), // exactly 32 KiB of JSON
    objectOf('é', 16 * 1024 - 4),
    objectOf('"', 16 * 1024 - 4), // each quote is escaped: 2 bytes
    // zod drops `__proto__` keys and counts the JSON without them.
    withProto(`{"__proto__":"${'x'.repeat(32 * 1024)}","a":1}`),
    withProto(`{"a":{"__proto__":{"b":"${'x'.repeat(32 * 1024)}"}}}`),
    withProto(`{"__proto__":1}`),
    // Exactly 32 KiB once `__proto__` members (and their commas) are left out.
    withProto(`{"a":"${'x'.repeat(32 * 1024 - 8)}","__proto__":1}`),
    withProto(`{"b":[{"__proto__":{"c":1},"d":"${'x'.repeat(32 * 1024 - 16)}"}]}`),
    withProto(`{"a":{"__proto__":"zzz"},"b":"${'x'.repeat(32 * 1024 - 15)}"}`),
    withProto(`{"a":[{"__proto__":[1,2]},{"b":"${'é'.repeat(16 * 1024 - 10)}"}]}`),
  ] as unknown[],
  output: [
    null,
    '',
    'sunny, 21°C',
    0,
    -1.5,
    true,
    [],
    [1, 'a', null, { b: [] }],
    {},
    { temperature: 21 },
    'x'.repeat(32 * 1024 - 2), // the JSON string with its quotes: exactly 32 KiB
    ['é'.repeat(16 * 1024 - 2)],
    withProto(`{"ok":true,"__proto__":"${'x'.repeat(32 * 1024)}"}`),
  ] as unknown[],
  step: [1, 2, 50, Number.MAX_SAFE_INTEGER],
};

/** Hostile values for any field. */
const HOSTILE: unknown[] = [
  undefined,
  null,
  '',
  'x',
  '1',
  0,
  -1,
  1.5,
  -0.5,
  2 ** 53,
  true,
  false,
  [],
  {},
  ['x'],
  { x: 1 },
  'start',
  'tool-call',
];

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)]!;
}

function usage(rand: () => number): Json {
  const counts: Json = {
    inputTokens: pick(rand, VALID.count),
    outputTokens: pick(rand, VALID.count),
    totalTokens: pick(rand, VALID.count),
  };
  // The prompt-cache counts are optional: absent, either one, or both.
  if (rand() < 0.4) counts['cacheReadInputTokens'] = pick(rand, VALID.count);
  if (rand() < 0.4) counts['cacheWriteInputTokens'] = pick(rand, VALID.count);
  return counts;
}

/** The valid values whose JSON is short: for samples of many events, which test the count. */
const SMALL = Object.fromEntries(
  Object.entries(VALID).map(([key, list]) => [
    key,
    (list as unknown[]).filter((value) => JSON.stringify(value).length <= 256),
  ]),
) as unknown as typeof VALID;

/** One valid event of `type` (`small`: only short values). */
export function validEvent(rand: () => number, type: string, small = false): Json {
  const valid = <K extends keyof typeof VALID>(key: K) => pick(rand, (small ? SMALL : VALID)[key]);
  switch (type) {
    case 'start':
      return {
        type,
        modelId: valid('modelId'),
        attempt: valid('attempt'),
        startedAt: valid('startedAt'),
      };
    case 'text':
      return { type, text: valid('text') };
    case 'usage':
      return { type, usage: usage(rand) };
    case 'end':
      return {
        type,
        stopReason: pick(rand, STOP_REASONS),
        usage: rand() < 0.3 ? null : usage(rand),
        timings: {
          timeToFirstTokenMs: rand() < 0.3 ? null : valid('ms'),
          totalMs: valid('ms'),
          modelLatencyMs: rand() < 0.3 ? null : valid('ms'),
        },
      };
    case 'reasoning':
      return { type, text: valid('text') };
    case 'reasoning-signature':
      return { type, signature: valid('signature') };
    case 'reasoning-redacted':
      return { type, data: valid('data') };
    case 'tool-call-start':
      return {
        type,
        toolCallId: valid('toolCallId'),
        toolName: valid('toolName'),
      };
    case 'tool-call-delta':
      return {
        type,
        toolCallId: valid('toolCallId'),
        inputDelta: rand() < 0.5 ? valid('inputDelta') : valid('text'),
      };
    case 'tool-call':
      return {
        type,
        toolCallId: valid('toolCallId'),
        toolName: valid('toolName'),
        input: valid('input'),
      };
    case 'tool-result':
      return {
        type,
        toolCallId: valid('toolCallId'),
        toolName: valid('toolName'),
        output: valid('output'),
        isError: rand() < 0.5,
      };
    case 'step-start':
      return { type, step: valid('step') };
    case 'step-end':
      return {
        type,
        step: valid('step'),
        stopReason: pick(rand, STOP_REASONS),
        usage: rand() < 0.3 ? null : usage(rand),
      };
    default:
      return {
        type: 'error',
        code: valid('code'),
        message: valid('message'),
        retryable: rand() < 0.5,
      };
  }
}

/** A valid payload: 1 to `max` events, a terminal one (if any) last. */
export function validPayload(rand: () => number, max = 6): Json {
  const n = 1 + Math.floor(rand() * max);
  const events: Json[] = [];
  for (let i = 0; i < n; i += 1) {
    const last = i === n - 1;
    events.push(validEvent(rand, pick(rand, last ? CHUNK_EVENT_TYPES : NON_TERMINAL_TYPES)));
  }
  return { v: 1, events };
}

/** Field-specific hostile values (bounds ±1, patterns). */
const NEAR_MISS: Record<string, unknown[]> = {
  modelId: ['', 'x'.repeat(257)],
  attempt: [0, -1, 1.5, 2 ** 53, '1'],
  startedAt: [
    '2026-01-01',
    '2026-01-01T00:00Z',
    '2026-01-01T00:00:00',
    '2026-01-01T00:00:00+00:00',
    '2026-01-01T00:00:00.Z',
    '2026-01-01t00:00:00Z',
    '2026-01-01T00:00:00z',
    '2026-01-01 00:00:00Z',
    '2023-02-29T00:00:00Z',
    '1900-02-29T00:00:00Z',
    '2026-02-30T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01T23:60:00Z',
    '2026-01-01T23:59:60Z',
    '+2026-01-01T00:00:00Z',
    '2026-01-01T00:00:00Z\n',
    '２026-01-01T00:00:00Z',
  ],
  text: [
    '',
    'a'.repeat(32 * 1024 + 1),
    'é'.repeat(16 * 1024) + 'a',
    '日'.repeat(10923),
    '😀'.repeat(8 * 1024) + 'a',
    '\uD800'.repeat(10923),
    'x'.repeat(32 * 1024 - 1) + '\uDBFF',
  ],
  inputTokens: [-1, 0.5, 2 ** 53, '0'],
  cacheReadInputTokens: [-1, 0.5, 2 ** 53, '0', null],
  cacheWriteInputTokens: [-1, 1.5, '1', null],
  totalMs: [-1, -0.001, '0'],
  timeToFirstTokenMs: [-1],
  stopReason: ['END_TURN', '', 'end turn', '_end', 'x'.repeat(65), 7],
  code: ['', '1a', '_a', '.a', 'a-b', 'a b', 'x'.repeat(101), 'ab\n', 'é'],
  message: ['x'.repeat(2001)],
  retryable: ['true', 0, 1],
  type: ['Text', 'TEXT', 'foo', '', 'text ', 'chunk', 'tool_call', 'toolCall', 'reasoning '],
  signature: ['', 'x'.repeat(16 * 1024 + 1), 7],
  data: [
    'ab',
    'abc',
    'abcde',
    'a===',
    '====',
    '=AAA',
    'ab=c',
    'ab==abcd',
    'ab c',
    'ab\n=',
    'AAAA\n',
    'AAA\u00a0',
    'é===',
    '-_-_',
    'A'.repeat(32 * 1024 + 4),
  ],
  toolCallId: ['', 'x'.repeat(65), 'a b', 'a.b', 'tool/1', 'é', 'a\n', 'a:b'],
  toolName: ['', 'x'.repeat(65), 'get weather', 'a.b', 'ü', 'a\n'],
  inputDelta: ['', 'é'.repeat(16 * 1024) + 'a', 'x'.repeat(32 * 1024 - 1) + '\uDBFF'],
  input: [
    [],
    [{}],
    'x',
    '{}',
    1,
    objectOf('x', 32 * 1024 - 7),
    objectOf('é', 16 * 1024 - 3),
    objectOf('\n', 16 * 1024 - 3),
    objectOf('\u0001', 5462), // escaped as \u0001: 6 bytes each
    withProto(`{"__proto__":1,"a":"${'x'.repeat(32 * 1024 - 7)}"}`),
    // One byte over once `__proto__` members are left out.
    withProto(`{"a":"${'x'.repeat(32 * 1024 - 7)}","__proto__":1}`),
    withProto(`{"b":[{"__proto__":{"c":1},"d":"${'x'.repeat(32 * 1024 - 15)}"}]}`),
    withProto(`{"a":{"__proto__":"zzz"},"b":"${'x'.repeat(32 * 1024 - 14)}"}`),
  ],
  output: [
    'x'.repeat(32 * 1024 - 1),
    ['é'.repeat(16 * 1024 - 1)],
    objectOf('x', 32 * 1024 - 7),
    withProto(`{"__proto__":null,"b":[${'1,'.repeat(16 * 1024)}1]}`),
  ],
  isError: ['true', 0, 1, null],
  step: [0, -1, 1.5, 2 ** 53, '1'],
};

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The objects inside an event that have fields of their own (usage, timings, tool input/output). */
function holders(event: Json): Array<{ obj: Json; keys: string[] }> {
  const out = [{ obj: event, keys: Object.keys(event) }];
  for (const key of ['usage', 'timings', 'input', 'output']) {
    const inner = event[key];
    if (inner && typeof inner === 'object' && !Array.isArray(inner)) {
      out.push({ obj: inner as Json, keys: Object.keys(inner as Json) });
    }
  }
  return out;
}

/**
 * Every listed valid and near-miss value of every field, each in a one-event payload of
 * every event type that has the field: the bounds without leaving them to chance.
 */
export function edgePayloads(rand: () => number): Json[] {
  const lists = [VALID, NEAR_MISS] as Array<Record<string, readonly unknown[] | undefined>>;
  const out: Json[] = [];
  for (const type of CHUNK_EVENT_TYPES) {
    const base = validEvent(rand, type, true);
    const counts = base['usage'];
    if (counts && typeof counts === 'object') {
      Object.assign(counts, { cacheReadInputTokens: 1, cacheWriteInputTokens: 2 });
    }
    holders(base).forEach((holder, at) => {
      for (const key of holder.keys) {
        for (const value of lists.flatMap((list) => list[key] ?? [])) {
          const event = clone(base);
          holders(event)[at]!.obj[key] = value;
          out.push({ v: 1, events: [event] });
        }
      }
    });
  }
  return out;
}

/** A mutation of a valid payload; many are invalid, some stay valid. */
export function mutatedPayload(rand: () => number): unknown {
  const payload = validPayload(rand);
  const events = payload['events'] as Json[];
  const at = Math.floor(rand() * events.length);
  const event = events[at]!;
  const roll = Math.floor(rand() * 12);
  switch (roll) {
    case 0:
      return pick(rand, [
        null,
        'x',
        1,
        true,
        [],
        [payload],
        JSON.stringify(payload),
        { ...payload, v: pick(rand, [0, 2, '1', null, 1.5, true]) },
        { events },
        { v: 1 },
        {},
      ]);
    case 1:
      return { ...payload, events: pick(rand, [[], {}, 'x', null, [null], [[]], ['text'], [1]]) };
    case 2: {
      const many = Array.from({ length: pick(rand, [63, 64, 65, 100]) }, () =>
        validEvent(rand, pick(rand, NON_TERMINAL_TYPES), true),
      );
      if (rand() < 0.5) many[many.length - 1] = validEvent(rand, pick(rand, TERMINAL_TYPES), true);
      return { v: 1, events: many };
    }
    case 3:
      return { ...payload, [pick(rand, ['extra', 'V', 'event', '__proto__', 'type'])]: 1 };
    case 4: {
      // A terminal event somewhere, possibly not last.
      const copy = clone(events);
      copy.splice(
        Math.floor(rand() * (copy.length + 1)),
        0,
        validEvent(rand, pick(rand, TERMINAL_TYPES)),
      );
      return { v: 1, events: copy };
    }
    case 5: {
      // Another event type's fields under this type.
      const copy = clone(payload);
      const target = (copy['events'] as Json[])[at]!;
      target['type'] = pick(rand, CHUNK_EVENT_TYPES);
      return copy;
    }
    case 6: {
      const copy = clone(payload);
      (copy['events'] as Json[])[at] = pick<unknown>(rand, [null, 'text', 1, [], [event]]) as Json;
      return copy;
    }
    case 7: {
      // An extra field on an event or a nested object.
      const copy = clone(payload);
      const holder = pick(rand, holders((copy['events'] as Json[])[at]!));
      const extra = pick(rand, ['extra', 'Text', 'seq', 'attempt', 'usage', 'name', '__proto__']);
      // Defined, not assigned: assigning `__proto__` would set the prototype, not a field.
      Object.defineProperty(holder.obj, extra, {
        value: pick(rand, [1, null, 'x']),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      return copy;
    }
    case 8: {
      // A missing field.
      const copy = clone(payload);
      const holder = pick(rand, holders((copy['events'] as Json[])[at]!));
      delete holder.obj[pick(rand, holder.keys)];
      return copy;
    }
    case 9:
    case 10: {
      // A field set to a near-miss or a hostile value.
      const copy = clone(payload);
      const holder = pick(rand, holders((copy['events'] as Json[])[at]!));
      const key = pick(rand, holder.keys);
      const near = NEAR_MISS[key];
      const value = near && rand() < 0.7 ? pick(rand, near) : pick(rand, HOSTILE);
      if (value === undefined) delete holder.obj[key];
      else holder.obj[key] = value;
      return copy;
    }
    default: {
      // Several events, each with one field near its bound (valid or not).
      const copy = clone(payload);
      for (const e of copy['events'] as Json[]) {
        for (const holder of holders(e)) {
          const key = pick(rand, holder.keys);
          const near = NEAR_MISS[key];
          if (near && rand() < 0.3) holder.obj[key] = pick(rand, near);
        }
      }
      return copy;
    }
  }
}
