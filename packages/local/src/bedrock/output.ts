/**
 * What a model generation streams, independent of the wire format: typed deltas that the
 * response formats turn into ConverseStream events, Anthropic stream events or JSON bodies.
 */

/**
 * One streamed piece of model output. Content blocks are implied by the sequence: consecutive
 * text deltas form one text block, reasoning deltas one reasoning block (closed by its
 * signature), `toolUse` opens a tool-use block that the following `toolInput` deltas fill, and
 * every `redactedReasoning` delta is a block of its own.
 */
export type ModelDelta =
  | { type: 'text'; text: string }
  | { type: 'reasoning'; text: string }
  | { type: 'signature'; signature: string }
  | { type: 'redactedReasoning'; data: string }
  | { type: 'toolUse'; id: string; name: string }
  | { type: 'toolInput'; json: string };

/** One content block of a deterministic answer. */
export type AnswerBlock =
  | { type: 'text'; text: string; tokens: string[] }
  | {
      type: 'reasoning';
      text: string;
      tokens: string[];
      /** Absent when the answer was cut before the reasoning finished. */
      signature?: string;
    }
  | { type: 'redactedReasoning'; data: string }
  | {
      type: 'toolUse';
      /** Converse spelling (`tooluse_...`); {@link nativeToolUseId} gives the Anthropic one. */
      id: string;
      name: string;
      input: unknown;
      /** The input JSON in the pieces it is streamed in. */
      chunks: string[];
      /** False when the answer was cut inside the input JSON. */
      complete: boolean;
    };

/** Whether a delta counts as an output token (block openers and signatures do not). */
export function isOutputToken(delta: ModelDelta): boolean {
  return delta.type !== 'toolUse' && delta.type !== 'signature';
}

/** The deltas that stream `blocks`, in order. */
export function answerDeltas(blocks: readonly AnswerBlock[]): ModelDelta[] {
  const out: ModelDelta[] = [];
  for (const b of blocks) {
    if (b.type === 'text') for (const text of b.tokens) out.push({ type: 'text', text });
    else if (b.type === 'reasoning') {
      for (const text of b.tokens) out.push({ type: 'reasoning', text });
      if (b.signature !== undefined) out.push({ type: 'signature', signature: b.signature });
    } else if (b.type === 'redactedReasoning')
      out.push({ type: 'redactedReasoning', data: b.data });
    else {
      out.push({ type: 'toolUse', id: b.id, name: b.name });
      for (const json of b.chunks) out.push({ type: 'toolInput', json });
    }
  }
  return out;
}

/** The Anthropic-native spelling of a Converse tool-use id (`tooluse_X` -> `toolu_bdrk_01X`). */
export function nativeToolUseId(id: string): string {
  return id.startsWith('tooluse_') ? `toolu_bdrk_01${id.slice('tooluse_'.length)}` : id;
}

/** Normalises what a backend yields: a bare string is a text delta. */
export function toModelDelta(delta: string | ModelDelta): ModelDelta {
  return typeof delta === 'string' ? { type: 'text', text: delta } : delta;
}

function parsedInput(json: string): { ok: boolean; value: unknown } {
  try {
    return { ok: true, value: JSON.parse(json) as unknown };
  } catch {
    return { ok: false, value: undefined };
  }
}

/**
 * Groups deltas into content blocks by the rules of {@link ModelDelta}. A tool-use block whose
 * input JSON does not parse (the answer was cut inside it) is marked incomplete.
 */
export function blocksFromDeltas(deltas: Iterable<ModelDelta>): AnswerBlock[] {
  const out: AnswerBlock[] = [];
  for (const d of deltas) {
    const last = out.at(-1);
    if (d.type === 'text') {
      if (last?.type === 'text') {
        last.tokens.push(d.text);
        last.text += d.text;
      } else out.push({ type: 'text', text: d.text, tokens: [d.text] });
    } else if (d.type === 'reasoning') {
      if (last?.type === 'reasoning' && last.signature === undefined) {
        last.tokens.push(d.text);
        last.text += d.text;
      } else out.push({ type: 'reasoning', text: d.text, tokens: [d.text] });
    } else if (d.type === 'signature') {
      if (last?.type === 'reasoning') last.signature = d.signature;
    } else if (d.type === 'redactedReasoning')
      out.push({ type: 'redactedReasoning', data: d.data });
    else if (d.type === 'toolUse') {
      out.push({
        type: 'toolUse',
        id: d.id,
        name: d.name,
        input: undefined,
        chunks: [],
        complete: false,
      });
    } else if (last?.type === 'toolUse') last.chunks.push(d.json);
  }
  for (const b of out) {
    if (b.type !== 'toolUse') continue;
    const parsed = parsedInput(b.chunks.join(''));
    b.complete = parsed.ok;
    b.input = parsed.value;
  }
  return out;
}

/** Which kind of block a delta belongs to. */
type BlockFamily = 'text' | 'reasoning' | 'redacted' | 'toolUse';

/** What a delta does to the block structure of a stream. */
export interface BlockStep {
  /** Index of a block this delta closes before it. */
  closes?: number;
  /** True when this delta opens a new block (at `index`). */
  opens: boolean;
  /** Index of the block the delta belongs to. */
  index: number;
}

/** Tracks content-block boundaries over a delta stream (block indexes count from 0). */
export class BlockTracker {
  private index = -1;
  private family: BlockFamily | undefined;
  private sealed = false;

  /** Places one delta: whether it closes the open block, opens a new one, and where it goes. */
  next(delta: ModelDelta): BlockStep {
    const family: BlockFamily =
      delta.type === 'text'
        ? 'text'
        : delta.type === 'reasoning' || delta.type === 'signature'
          ? 'reasoning'
          : delta.type === 'redactedReasoning'
            ? 'redacted'
            : 'toolUse';
    const continues =
      this.family === family &&
      delta.type !== 'toolUse' &&
      delta.type !== 'redactedReasoning' &&
      !(family === 'reasoning' && this.sealed);
    if (continues) {
      if (delta.type === 'signature') this.sealed = true;
      return { opens: false, index: this.index };
    }
    const closes = this.family === undefined ? undefined : this.index;
    this.index++;
    this.family = family;
    this.sealed = delta.type === 'signature';
    return { closes, opens: true, index: this.index };
  }

  /** The index of the block still open at the end, if any. */
  openBlock(): number | undefined {
    return this.family === undefined ? undefined : this.index;
  }
}
