/**
 * Whole answers with reasoning, tool calls and steps, described as a model (`TurnSpec`),
 * with the events a worker publishes for one and the parts a client must end up with —
 * written from the model directly, not by replaying events, so the tests compare the
 * assembler against an independent account of the answer.
 */
import {
  encodeChunkPayload,
  type ChunkEvent,
  type StopReason,
  type Usage,
} from '@org/bedrock-stream-contracts';
import fc from 'fast-check';
import type { JsonObject, JsonValue, StreamPart } from '../src/parts.js';
import { textArb, type StoredChunk } from './helpers.js';

export interface ToolCallSpec {
  id: string;
  name: string;
  input: JsonObject;
  /** Whether the input streams as deltas (pieces of its JSON) before the tool-call event. */
  streamed: boolean;
  /** Where the JSON text is cut into deltas (code-point offsets). */
  cuts: number[];
  /** A server-side tool's outcome (the worker ran it); none: the app must run it. */
  result?: { output: JsonValue; isError: boolean };
}

export interface StepSpec {
  reasoning?: { texts: string[]; signature?: string };
  /** Redacted reasoning blocks (base64), after the reasoning text. */
  redacted: string[];
  texts: string[];
  calls: ToolCallSpec[];
  /** A tool call the stream was cut in (its input never completed): last step only. */
  cut?: { id: string; name: string; deltas: string[] };
  usage: Usage | null;
}

export interface TurnSpec {
  /** Whether step-start / step-end events are written (a one-step answer may have none). */
  withSteps: boolean;
  steps: StepSpec[];
  stopReason: StopReason;
  usage: Usage | null;
}

const at = '2026-01-01T00:00:00.000Z';

function deltasOf(json: string, cuts: readonly number[]): string[] {
  const points = Array.from(json);
  const bounds = [...new Set(cuts.map((c) => c % points.length))].filter((c) => c > 0);
  bounds.sort((a, b) => a - b);
  const out: string[] = [];
  let from = 0;
  for (const b of [...bounds, points.length]) {
    out.push(points.slice(from, b).join(''));
    from = b;
  }
  return out;
}

/** The events a worker publishes for `turn`, from start to end. */
export function turnEvents(turn: TurnSpec, attempt = 1): ChunkEvent[] {
  const events: ChunkEvent[] = [{ type: 'start', modelId: 'test-model', attempt, startedAt: at }];
  turn.steps.forEach((s, i) => {
    const step = i + 1;
    if (turn.withSteps) events.push({ type: 'step-start', step });
    for (const text of s.reasoning?.texts ?? []) events.push({ type: 'reasoning', text });
    if (s.reasoning?.signature)
      events.push({ type: 'reasoning-signature', signature: s.reasoning.signature });
    for (const data of s.redacted) events.push({ type: 'reasoning-redacted', data });
    for (const text of s.texts) events.push({ type: 'text', text });
    for (const c of s.calls) {
      events.push({ type: 'tool-call-start', toolCallId: c.id, toolName: c.name });
      if (c.streamed) {
        for (const inputDelta of deltasOf(JSON.stringify(c.input), c.cuts))
          events.push({ type: 'tool-call-delta', toolCallId: c.id, inputDelta });
      }
      events.push({ type: 'tool-call', toolCallId: c.id, toolName: c.name, input: c.input });
    }
    if (s.cut) {
      events.push({ type: 'tool-call-start', toolCallId: s.cut.id, toolName: s.cut.name });
      for (const inputDelta of s.cut.deltas)
        events.push({ type: 'tool-call-delta', toolCallId: s.cut.id, inputDelta });
    }
    const last = i === turn.steps.length - 1;
    if (turn.withSteps) {
      events.push({
        type: 'step-end',
        step,
        stopReason: last ? turn.stopReason : 'tool_use',
        usage: s.usage,
      });
    }
    // The worker runs its own tools once the model call has ended.
    for (const c of s.calls) {
      if (c.result)
        events.push({ type: 'tool-result', toolCallId: c.id, toolName: c.name, ...c.result });
    }
  });
  events.push({
    type: 'end',
    stopReason: turn.stopReason,
    usage: turn.usage,
    timings: { timeToFirstTokenMs: 1, totalMs: 2, modelLatencyMs: null },
  });
  return events;
}

/** The parts a client must hold once it has applied every event of `turn`. */
export function expectedParts(turn: TurnSpec): StreamPart[] {
  const parts: StreamPart[] = [];
  turn.steps.forEach((s, i) => {
    if (turn.withSteps) {
      const last = i === turn.steps.length - 1;
      parts.push({
        type: 'step-start',
        step: i + 1,
        stopReason: last ? turn.stopReason : 'tool_use',
        usage: s.usage,
      });
    }
    if (s.reasoning) {
      parts.push({
        type: 'reasoning',
        text: s.reasoning.texts.join(''),
        ...(s.reasoning.signature ? { signature: s.reasoning.signature } : {}),
      });
    }
    for (const data of s.redacted) parts.push({ type: 'reasoning', text: '', redacted: data });
    if (s.texts.length > 0) parts.push({ type: 'text', text: s.texts.join('') });
    for (const c of s.calls) {
      parts.push({
        type: 'tool-call',
        toolCallId: c.id,
        toolName: c.name,
        inputText: JSON.stringify(c.input),
        input: c.input,
        ...(!c.result
          ? { state: 'input-available' as const }
          : c.result.isError
            ? {
                state: 'output-error' as const,
                output: c.result.output,
                errorText:
                  typeof c.result.output === 'string'
                    ? c.result.output
                    : JSON.stringify(c.result.output),
              }
            : { state: 'output-available' as const, output: c.result.output }),
      });
    }
    if (s.cut) {
      parts.push({
        type: 'tool-call',
        toolCallId: s.cut.id,
        toolName: s.cut.name,
        state: 'streaming-input',
        inputText: s.cut.deltas.join(''),
      });
    }
  });
  return parts;
}

/** The text a client must hold: the text parts, concatenated. */
export function expectedText(turn: TurnSpec): string {
  return turn.steps.map((s) => s.texts.join('')).join('');
}

/**
 * `events` as the chunks of one attempt: cut into groups of `sizes` (cycled), each group
 * one chunk (the worker's coalescer flushes).
 */
export function chunksOf(
  attempt: number,
  events: readonly ChunkEvent[],
  sizes: readonly number[] = [1],
  streamId = 's',
): StoredChunk[] {
  const chunks: StoredChunk[] = [];
  for (let from = 0, k = 0; from < events.length; k++) {
    const size = Math.max(1, sizes[k % sizes.length] ?? 1);
    chunks.push({
      streamId,
      attempt,
      seq: chunks.length,
      payload: encodeChunkPayload({ v: 1, events: events.slice(from, from + size) }),
      createdAt: at,
    });
    from += size;
  }
  return chunks;
}

const usageArb: fc.Arbitrary<Usage> = fc
  .record(
    {
      inputTokens: fc.nat(5000),
      outputTokens: fc.nat(5000),
      cacheReadInputTokens: fc.nat(5000),
      cacheWriteInputTokens: fc.nat(5000),
    },
    { requiredKeys: ['inputTokens', 'outputTokens'] },
  )
  .map((u) => ({
    ...u,
    totalTokens:
      u.inputTokens +
      u.outputTokens +
      (u.cacheReadInputTokens ?? 0) +
      (u.cacheWriteInputTokens ?? 0),
  }));

const base64Arb = fc
  .uint8Array({ minLength: 1, maxLength: 24 })
  .map((b) => Buffer.from(b).toString('base64'));
const signatureArb = fc.stringMatching(/^[A-Za-z0-9+/]{8,40}$/);
const toolNameArb = fc.constantFrom('get_weather', 'search', 'calc-v2', 'lookup_db');
/**
 * JSON as it comes back from the wire (no -0: JSON writes it as 0), without "__proto__"
 * keys: zod's z.json() (contracts' event schemas) silently drops an own "__proto__" key.
 */
const jsonArb: fc.Arbitrary<JsonValue> = fc
  .jsonValue({ maxDepth: 2 })
  .filter((v) => !JSON.stringify(v).includes('"__proto__":'))
  .map((v) => JSON.parse(JSON.stringify(v)) as JsonValue);
const inputArb: fc.Arbitrary<JsonObject> = fc.dictionary(
  fc.stringMatching(/^[a-z][a-z0-9_]{0,7}$/),
  jsonArb,
  { maxKeys: 4 },
);

function stepArb(stepIndex: number, last: boolean): fc.Arbitrary<StepSpec> {
  const callArb = (i: number): fc.Arbitrary<ToolCallSpec> =>
    fc.record(
      {
        id: fc.constant(`call_${stepIndex}_${i}`),
        name: toolNameArb,
        input: inputArb,
        streamed: fc.boolean(),
        cuts: fc.array(fc.nat(200), { maxLength: 4 }),
        // Calls of earlier steps were all answered (or the answer would have paused).
        result: fc.record({
          output: jsonArb,
          isError: fc.boolean(),
        }),
      },
      { requiredKeys: last ? ['id', 'name', 'input', 'streamed', 'cuts'] : undefined },
    );
  return fc.record(
    {
      reasoning: fc.record(
        { texts: fc.array(textArb, { minLength: 1, maxLength: 4 }), signature: signatureArb },
        { requiredKeys: ['texts'] },
      ),
      redacted: fc.array(base64Arb, { maxLength: 2 }),
      texts: fc.array(textArb, { maxLength: 5 }),
      calls: fc
        .integer({ min: last ? 0 : 1, max: 3 })
        .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => callArb(i)))),
      cut: last
        ? fc.record({
            id: fc.constant(`call_${stepIndex}_cut`),
            name: toolNameArb,
            deltas: fc.array(fc.constantFrom('{"a', '":', ' 1', ', "b"'), { maxLength: 3 }),
          })
        : fc.constant(undefined),
      usage: fc.option(usageArb, { nil: null }),
    },
    { requiredKeys: ['redacted', 'texts', 'calls', 'usage'] },
  ) as fc.Arbitrary<StepSpec>;
}

/**
 * Any answer: one step without step events, or 1-3 steps with them (every step but the last
 * called tools the worker ran), reasoning (signed or not), redacted blocks, text, tool
 * calls streamed or not, and a stop reason that may be one Bedrock adds later.
 */
export const turnArb: fc.Arbitrary<TurnSpec> = fc
  .record({ withSteps: fc.boolean(), stepCount: fc.integer({ min: 1, max: 3 }) })
  .chain(({ withSteps, stepCount }) => {
    const n = withSteps ? stepCount : 1;
    return fc.record({
      withSteps: fc.constant(withSteps),
      steps: fc.tuple(...Array.from({ length: n }, (_, i) => stepArb(i + 1, i === n - 1))),
      stopReason: fc.constantFrom('end_turn', 'tool_use', 'max_tokens', 'a_reason_from_2030'),
      usage: fc.option(usageArb, { nil: null }),
    });
  });
