import { createHash } from 'node:crypto';
import { prng } from '../shared/prng.js';
import type { ChatMessage, ChatRequest } from './chat.js';

export type { ChatMessage, ChatRequest } from './chat.js';

/**
 * Every stop reason Bedrock's Converse API reports: the endpoint's side of the wire (the chunk
 * contract has its own list in contracts' vocabulary). The Anthropic native body spells the
 * shared ones the same way and has `refusal` where Converse says `content_filtered`.
 */
export const BEDROCK_STOP_REASONS = [
  'end_turn',
  'tool_use',
  'max_tokens',
  'stop_sequence',
  'guardrail_intervened',
  'content_filtered',
  'malformed_model_output',
  'malformed_tool_use',
  'model_context_window_exceeded',
] as const;

/** A Converse stop reason. */
export type StopReason = (typeof BEDROCK_STOP_REASONS)[number];

/** Default natural answer length of the deterministic model. */
export const DEFAULT_OUTPUT_TOKENS = 32;

/**
 * Markers like `[[fault:...]]`, `[[tokens:N]]`, `[[stop:...]]`, `[[guardrail:...]]`,
 * `[[thinking:...]]` and `[[format:markdown]]` are control input for the fake model, never
 * prompt text.
 */
export const MARKER_PATTERN = /\[\[(?:fault|tokens|stop|guardrail|thinking|format):[^\]]*\]\]/g;

/** `[[format:markdown]]` in the last user message: the answer is {@link MARKDOWN_SAMPLE}. */
const MARKDOWN_MARKER = '[[format:markdown]]';

/**
 * The fixed Markdown answer of `[[format:markdown]]` (heading, list, table, fenced code): chat
 * UIs render and test Markdown with it, as the natural answers are plain words.
 */
export const MARKDOWN_SAMPLE = [
  '## A stream in three steps',
  '',
  'The worker **streams** each chunk as the model writes it:',
  '',
  '1. `startStream` records the stream',
  '2. the worker calls Bedrock',
  '3. chunks reach the page over AppSync',
  '',
  '| step | where |',
  '| --- | --- |',
  '| record | DynamoDB |',
  '| publish | AppSync |',
  '',
  '```ts',
  "const answer = await client.stream({ prompt: 'Hello' });",
  'console.log(answer.text);',
  '```',
].join('\n');

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

/** The last user turn (the one the model answers). */
export function lastUserMessage(req: ChatRequest): ChatMessage | undefined {
  return [...req.messages].reverse().find((m) => m.role === 'user');
}

/** Non-text content of a turn, in a stable textual form (absent for plain text turns). */
function contentLines(m: ChatMessage): string[] {
  return [
    ...(m.toolUses ?? []).map((t) => `[tool_use ${t.name} ${JSON.stringify(t.input)}]`),
    ...(m.toolResults ?? []).map((r) => `[tool_result ${r.toolUseId} ${r.text}]`),
    ...(m.media ?? []).map((x) => `[${x.kind} ${x.format} ${x.digest}]`),
  ];
}

/** Canonical prompt text the model derives its answer from (markers removed, roles kept). */
export function canonicalPrompt(req: ChatRequest): string {
  return [
    ...req.system.map((s) => `system: ${stripMarkers(s)}`),
    ...req.messages.map((m) =>
      [`${m.role}: ${stripMarkers(m.text)}`, ...contentLines(m)].join('\n'),
    ),
  ].join('\n');
}

/**
 * Input token estimate shared by every operation: ~4 characters of prompt text per token (at
 * least 1), plus the estimate of tool definitions, images and documents.
 */
export function estimateInputTokens(req: ChatRequest): number {
  return Math.max(1, Math.ceil(canonicalPrompt(req).length / 4)) + (req.extraInputTokens ?? 0);
}

/** `[[tokens:N]]` in the prompt overrides the configured natural answer length for that request. */
export function promptOutputTokens(req: ChatRequest): number | undefined {
  const m = TOKENS_MARKER.exec(rawPromptText(req));
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/** A 32-bit seed derived from text. */
export function seedOf(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

/** `count` words of the vocabulary drawn from a PRNG seeded with `seedText`, space-joined as deltas. */
export function seededWords(seedText: string, count: number): string[] {
  const rand = prng(seedOf(seedText));
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    let word = WORDS[Math.floor(rand() * WORDS.length)] as string;
    // Sentence breaks every 12 tokens; the rule depends only on the index so truncation keeps a prefix.
    if ((i + 1) % 12 === 0) word += '.';
    out.push(i === 0 ? word : ` ${word}`);
  }
  return out;
}

/** Splits a sentence into word deltas (the first without, the rest with a leading space). */
export function wordDeltas(text: string): string[] {
  return text
    .split(/\s+/)
    .filter((w) => w.length > 0)
    .map((w, i) => (i === 0 ? w : ` ${w}`));
}

/** The natural (unstopped) token sequence for a conversation: a pure function of its text. */
export function naturalTokens(req: ChatRequest, count: number, modelId = ''): string[] {
  if (lastUserMessage(req)?.text.includes(MARKDOWN_MARKER)) {
    // Deltas keep their whitespace (newlines carry Markdown's structure).
    return MARKDOWN_SAMPLE.match(/\s*\S+/g) ?? [];
  }
  if (modelId.includes('echo')) {
    const words = wordDeltas(stripMarkers(lastUserMessage(req)?.text ?? '')).map((w) => w.trim());
    if (words.length > 0) {
      return Array.from({ length: count }, (_, i) =>
        i === 0 ? (words[0] as string) : ` ${words[i % words.length] as string}`,
      );
    }
  }
  return seededWords(canonicalPrompt(req), count);
}
