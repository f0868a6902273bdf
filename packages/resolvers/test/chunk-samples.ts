// Chunk payload samples for the parity test: valid payloads built from every event type
// at and near its bounds, and mutations of them (wrong types, missing and extra fields,
// unknown types, bounds ±1, misplaced terminal events, non-object payloads). Seeded, so a
// failure reproduces.

import { STOP_REASONS } from '@org/bedrock-stream-contracts';

type Json = Record<string, unknown>;

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
];

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)]!;
}

function usage(rand: () => number): Json {
  return {
    inputTokens: pick(rand, VALID.count),
    outputTokens: pick(rand, VALID.count),
    totalTokens: pick(rand, VALID.count),
  };
}

/** One valid event of `type`. */
export function validEvent(rand: () => number, type: string): Json {
  switch (type) {
    case 'start':
      return {
        type,
        modelId: pick(rand, VALID.modelId),
        attempt: pick(rand, VALID.attempt),
        startedAt: pick(rand, VALID.startedAt),
      };
    case 'text':
      return { type, text: pick(rand, VALID.text) };
    case 'usage':
      return { type, usage: usage(rand) };
    case 'end':
      return {
        type,
        stopReason: pick(rand, STOP_REASONS),
        usage: rand() < 0.3 ? null : usage(rand),
        timings: {
          timeToFirstTokenMs: rand() < 0.3 ? null : pick(rand, VALID.ms),
          totalMs: pick(rand, VALID.ms),
          modelLatencyMs: rand() < 0.3 ? null : pick(rand, VALID.ms),
        },
      };
    default:
      return {
        type: 'error',
        code: pick(rand, VALID.code),
        message: pick(rand, VALID.message),
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
    events.push(
      validEvent(
        rand,
        pick(rand, last ? ['start', 'text', 'usage', 'end', 'error'] : ['start', 'text', 'usage']),
      ),
    );
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
  totalMs: [-1, -0.001, '0'],
  timeToFirstTokenMs: [-1],
  stopReason: ['END_TURN', '', 'end turn', '_end', 'x'.repeat(65), 7],
  code: ['', '1a', '_a', '.a', 'a-b', 'a b', 'x'.repeat(101), 'ab\n', 'é'],
  message: ['x'.repeat(2001)],
  retryable: ['true', 0, 1],
  type: ['Text', 'TEXT', 'foo', '', 'text ', 'chunk'],
};

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The objects inside an event that have fields of their own (usage, timings). */
function holders(event: Json): Array<{ obj: Json; keys: string[] }> {
  const out = [{ obj: event, keys: Object.keys(event) }];
  for (const key of ['usage', 'timings']) {
    const inner = event[key];
    if (inner && typeof inner === 'object' && !Array.isArray(inner)) {
      out.push({ obj: inner as Json, keys: Object.keys(inner as Json) });
    }
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
        validEvent(rand, pick(rand, ['text', 'usage', 'start'])),
      );
      if (rand() < 0.5) many[many.length - 1] = validEvent(rand, pick(rand, ['end', 'error']));
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
        validEvent(rand, pick(rand, ['end', 'error'])),
      );
      return { v: 1, events: copy };
    }
    case 5: {
      // Another event type's fields under this type.
      const copy = clone(payload);
      const target = (copy['events'] as Json[])[at]!;
      target['type'] = pick(rand, ['start', 'text', 'usage', 'end', 'error']);
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
      holder.obj[pick(rand, ['extra', 'Text', 'seq', 'attempt', 'usage', '__proto__'])] = pick(
        rand,
        [1, null, 'x'],
      );
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
