import { createHash } from 'node:crypto';
import { prng } from '../shared/prng.js';

/** Stop reasons in Converse spelling (the Anthropic native body uses the same strings). */
export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence';

/** One turn of a conversation after the request body has been normalised. */
export interface ChatMessage {
  role: 'user' | 'assistant';
  text: string;
}

/** The model-facing view of any of the four operations' request bodies. */
export interface ChatRequest {
  system: string[];
  messages: ChatMessage[];
  maxTokens?: number;
  stopSequences?: string[];
}

/** Loose conversation input accepted by {@link deterministicAnswer}: a bare prompt or a message list. */
export type ConversationInput =
  | string
  | {
      system?: string | Array<string | { text?: string }>;
      messages: Array<{
        role: 'user' | 'assistant';
        content: string | Array<{ text?: string; type?: string }>;
      }>;
    };

/** Options of the deterministic model that change its output. */
export interface DeterministicModelOptions {
  /** Model id; `local.echo-v1` (any id containing `echo`) repeats the last user message's words. */
  modelId?: string;
  /** Natural answer length in tokens when nothing stops it earlier (default {@link DEFAULT_OUTPUT_TOKENS}). */
  outputTokens?: number;
  /** Request `maxTokens` / `max_tokens`: stops with `max_tokens` when the natural answer is longer. */
  maxTokens?: number;
  /** Request stop sequences: output is cut before the first match, stop reason `stop_sequence`. */
  stopSequences?: string[];
}

/** The exact answer the deterministic model streams for a conversation. */
export interface DeterministicAnswer {
  /** Full text the SDK reassembles. */
  text: string;
  /** Text deltas in streaming order (one per output token). */
  tokens: string[];
  inputTokens: number;
  outputTokens: number;
  stopReason: StopReason;
  /** The stop sequence that matched, when stopReason is `stop_sequence`. */
  stopSequence?: string;
}

/** Default natural answer length of the deterministic model. */
export const DEFAULT_OUTPUT_TOKENS = 32;

/** Markers like `[[fault:...]]` / `[[tokens:N]]` are control input for the fake model, never prompt text. */
export const MARKER_PATTERN = /\[\[(?:fault|tokens):[^\]]*\]\]/g;

const TOKENS_MARKER = /\[\[tokens:(\d{1,6})\]\]/;

// A small fixed vocabulary keeps answers readable in demos while remaining fully deterministic.
const WORDS = [
  'stream',
  'token',
  'river',
  'signal',
  'bedrock',
  'answer',
  'cloud',
  'quiet',
  'swift',
  'amber',
  'lattice',
  'harbor',
  'ember',
  'meadow',
  'vector',
  'orbit',
  'canvas',
  'echo',
  'prism',
  'cedar',
  'pulse',
  'granite',
  'willow',
  'beacon',
  'delta',
  'fable',
  'glacier',
  'horizon',
  'island',
  'jasmine',
  'kernel',
  'lantern',
  'marble',
  'nectar',
  'oasis',
  'pepper',
  'quartz',
  'raven',
  'saffron',
  'tundra',
  'umber',
  'velvet',
  'wander',
  'yonder',
  'zephyr',
  'anchor',
  'bright',
  'copper',
  'dawn',
  'ferry',
  'gentle',
  'hollow',
  'ivory',
  'jolly',
  'kindle',
  'lumen',
  'mosaic',
  'noble',
  'opal',
  'pilot',
  'ripple',
  'summit',
  'timber',
  'unity',
] as const;

/** Removes control markers so they never influence or appear in generated text. */
export function stripMarkers(text: string): string {
  return text.replace(MARKER_PATTERN, '').trim();
}

/** The raw (marker-bearing) text of the whole conversation, used to find markers. */
export function rawPromptText(req: ChatRequest): string {
  return [...req.system, ...req.messages.map((m) => m.text)].join('\n');
}

/** Canonical prompt text the model derives its answer from (markers removed, roles kept). */
export function canonicalPrompt(req: ChatRequest): string {
  return [
    ...req.system.map((s) => `system: ${stripMarkers(s)}`),
    ...req.messages.map((m) => `${m.role}: ${stripMarkers(m.text)}`),
  ].join('\n');
}

/** Input token estimate shared by every operation: ~4 characters per token, at least 1. */
export function estimateInputTokens(req: ChatRequest): number {
  return Math.max(1, Math.ceil(canonicalPrompt(req).length / 4));
}

/** `[[tokens:N]]` in the prompt overrides the configured natural answer length for that request. */
export function promptOutputTokens(req: ChatRequest): number | undefined {
  const m = TOKENS_MARKER.exec(rawPromptText(req));
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

function seedOf(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

/** The natural (unstopped) token sequence for a conversation: a pure function of its text. */
export function naturalTokens(req: ChatRequest, count: number, modelId = ''): string[] {
  const lastUser = [...req.messages].reverse().find((m) => m.role === 'user');
  const echoWords = modelId.includes('echo')
    ? stripMarkers(lastUser?.text ?? '')
        .split(/\s+/)
        .filter((w) => w.length > 0)
    : [];
  const rand = prng(seedOf(canonicalPrompt(req)));
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let word: string;
    if (echoWords.length > 0) {
      word = echoWords[i % echoWords.length] as string;
    } else {
      word = WORDS[Math.floor(rand() * WORDS.length)] as string;
      // Sentence breaks every 12 tokens; the rule depends only on the index so truncation keeps a prefix.
      if ((i + 1) % 12 === 0) word += '.';
    }
    out.push(i === 0 ? word : ` ${word}`);
  }
  return out;
}

/**
 * Applies the stop rules (stop sequences, then maxTokens) to the natural tokens and returns what
 * the server streams. Shared by the server and {@link deterministicAnswer} so they cannot drift.
 */
export function planAnswer(req: ChatRequest, opts: DeterministicModelOptions): DeterministicAnswer {
  const natural = promptOutputTokens(req) ?? opts.outputTokens ?? DEFAULT_OUTPUT_TOKENS;
  const maxTokens = req.maxTokens ?? opts.maxTokens;
  const stops = (req.stopSequences ?? opts.stopSequences ?? []).filter((s) => s.length > 0);
  const limit = maxTokens === undefined ? natural : Math.min(natural, maxTokens);
  const candidates = naturalTokens(req, limit, opts.modelId);
  const tokens: string[] = [];
  let text = '';
  for (const token of candidates) {
    const before = text.length;
    const joined = text + token;
    let hit: { index: number; seq: string } | undefined;
    for (const seq of stops) {
      const index = joined.indexOf(seq, Math.max(0, before - seq.length + 1));
      if (index >= 0 && (hit === undefined || index < hit.index)) hit = { index, seq };
    }
    if (hit !== undefined) {
      const part = joined.slice(before, Math.max(before, hit.index));
      tokens.push(part);
      text += part;
      return {
        text,
        tokens,
        inputTokens: estimateInputTokens(req),
        outputTokens: tokens.length,
        stopReason: 'stop_sequence',
        stopSequence: hit.seq,
      };
    }
    tokens.push(token);
    text = joined;
  }
  return {
    text,
    tokens,
    inputTokens: estimateInputTokens(req),
    outputTokens: tokens.length,
    stopReason: maxTokens !== undefined && natural > maxTokens ? 'max_tokens' : 'end_turn',
  };
}

function contentText(content: string | Array<{ text?: string; type?: string }>): string {
  if (typeof content === 'string') return content;
  return content
    .map((b) => b.text)
    .filter((t): t is string => typeof t === 'string')
    .join('\n');
}

/** Normalises the loose {@link ConversationInput} into a {@link ChatRequest}. */
export function toChatRequest(input: ConversationInput): ChatRequest {
  if (typeof input === 'string') return { system: [], messages: [{ role: 'user', text: input }] };
  const sys = input.system;
  const system =
    sys === undefined
      ? []
      : typeof sys === 'string'
        ? [sys]
        : sys.map((s) => (typeof s === 'string' ? s : (s.text ?? '')));
  return {
    system,
    messages: input.messages.map((m) => ({ role: m.role, text: contentText(m.content) })),
  };
}

/**
 * Computes exactly what the local Bedrock endpoint's deterministic model answers (text, deltas,
 * token counts, stop reason), so tests in other packages can assert the reassembled output.
 * Pass the same `outputTokens` the server was started with (default {@link DEFAULT_OUTPUT_TOKENS}).
 *
 * @example deterministicAnswer('Hello', { maxTokens: 5 }).stopReason === 'max_tokens'
 */
export function deterministicAnswer(
  input: ConversationInput,
  opts: DeterministicModelOptions = {},
): DeterministicAnswer {
  return planAnswer(toChatRequest(input), opts);
}
