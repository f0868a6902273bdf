import { createHash } from 'node:crypto';
import type { ChatRequest, ToolCall, ToolSpec } from './chat.js';
import {
  DEFAULT_OUTPUT_TOKENS,
  canonicalPrompt,
  estimateInputTokens,
  lastUserMessage,
  naturalTokens,
  promptOutputTokens,
  seededWords,
  stripMarkers,
  wordDeltas,
  type StopReason,
} from './model.js';
import {
  answerDeltas,
  blocksFromDeltas,
  isOutputToken,
  type AnswerBlock,
  type ModelDelta,
} from './output.js';
import { redactedReasoningData, signReasoning, wantsRedactedReasoning } from './thinking.js';
import { inputHints, toolInputFor } from './tool-input.js';

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
  /** Input plus output beyond this stops with `model_context_window_exceeded` (server: `maxInputTokens`). */
  contextWindowTokens?: number;
}

/** The exact answer the deterministic model streams for a conversation. */
export interface DeterministicAnswer {
  /** Text the SDK reassembles from the text blocks. */
  text: string;
  /** Text deltas in streaming order. */
  tokens: string[];
  /** Every content block in order: reasoning, redacted reasoning, text, tool uses. */
  content: AnswerBlock[];
  /** The tool calls (complete ones) the answer makes. */
  toolUses: ToolCall[];
  inputTokens: number;
  /** Output tokens: reasoning, text and tool-input deltas. */
  outputTokens: number;
  stopReason: StopReason;
  /** The stop sequence that matched, when stopReason is `stop_sequence`. */
  stopSequence?: string;
  /** Set when the request's guardrail intervened, on the input or on the output. */
  guardrail?: 'input' | 'output';
}

/** Reasoning length of the deterministic model (capped by the thinking budget). */
export const REASONING_TOKENS = 16;

/** The text a guardrail answers with when it blocks (Bedrock's default blocked messaging). */
export const GUARDRAIL_BLOCKED_MESSAGE = 'Sorry, the model cannot answer this question.';

const STOP_MARKER = /\[\[stop:([a-z_]+)(?::after=(\d{1,6}))?\]\]/;
const GUARDRAIL_MARKER = /\[\[guardrail:(input|output)(?::after=(\d{1,6}))?\]\]/;
const FORCEABLE: Record<string, StopReason> = {
  content_filtered: 'content_filtered',
  refusal: 'content_filtered',
  malformed_model_output: 'malformed_model_output',
  malformed_tool_use: 'malformed_tool_use',
  model_context_window_exceeded: 'model_context_window_exceeded',
  max_tokens: 'max_tokens',
  end_turn: 'end_turn',
};
const TOOL_CHUNK_CHARS = 12;

function toolUseId(seed: string, index: number): string {
  const digest = createHash('sha256').update(`${seed}#tool${index}`).digest('base64url');
  return `tooluse_${digest.replace(/[-_]/g, 'x').slice(0, 22)}`;
}

function mentions(text: string, name: string): number {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`(^|[^A-Za-z0-9_-])${escaped}($|[^A-Za-z0-9_-])`).exec(text);
  return m ? m.index : -1;
}

/**
 * The tools the deterministic model calls: `tool` choice calls that tool; `any` the tools the
 * last user message names (the first tool when it names none); `auto` (the default) the tools
 * the last user message names, unless that message carries tool results; `none` never.
 */
export function chooseTools(req: ChatRequest): ToolSpec[] {
  const tools = req.tools ?? [];
  const choice = req.toolChoice ?? { type: 'auto' };
  if (tools.length === 0 || choice.type === 'none') return [];
  if (choice.type === 'tool') return tools.filter((t) => t.name === choice.name).slice(0, 1);
  const last = lastUserMessage(req);
  const text = stripMarkers(last?.text ?? '');
  const named = tools
    .map((t) => ({ t, at: mentions(text, t.name) }))
    .filter((x) => x.at >= 0)
    .sort((a, b) => a.at - b.at)
    .map((x) => x.t);
  if (choice.type === 'any') return named.length > 0 ? named : tools.slice(0, 1);
  return last?.toolResults?.length ? [] : named;
}

/** Words that open an answer to a turn carrying tool results: what each tool returned. */
function toolResultPreamble(req: ChatRequest): string[] {
  const last = lastUserMessage(req);
  if (!last?.toolResults?.length) return [];
  const names = new Map<string, string>();
  for (const m of req.messages) for (const t of m.toolUses ?? []) names.set(t.id, t.name);
  const sentences = last.toolResults.map((r) => {
    const name = names.get(r.toolUseId) ?? 'the tool';
    const words = r.text.split(/\s+/).filter((w) => w.length > 0);
    const shown = words.length > 64 ? [...words.slice(0, 64), '...'] : words;
    return `${name} ${r.isError ? 'failed:' : 'returned'} ${shown.join(' ')}.`;
  });
  return wordDeltas(sentences.join(' '));
}

/** The blocks the model would produce with nothing cutting it short. */
function naturalBlocks(
  req: ChatRequest,
  opts: DeterministicModelOptions,
  forced: boolean,
): AnswerBlock[] {
  const seed = canonicalPrompt(req);
  const rawLast = lastUserMessage(req)?.text ?? '';
  const blocks: AnswerBlock[] = [];
  if (req.thinking) {
    if (wantsRedactedReasoning(rawLast)) {
      blocks.push({ type: 'redactedReasoning', data: redactedReasoningData(seed) });
    }
    const budget = req.thinking.type === 'enabled' ? req.thinking.budgetTokens : REASONING_TOKENS;
    const tokens = seededWords(`reasoning:${seed}`, Math.min(REASONING_TOKENS, budget));
    const text = tokens.join('');
    blocks.push({ type: 'reasoning', text, tokens, signature: signReasoning(text) });
  }
  const calls = forced ? [] : chooseTools(req);
  const natural = promptOutputTokens(req) ?? opts.outputTokens ?? DEFAULT_OUTPUT_TOKENS;
  let text: string[];
  if (calls.length > 0) {
    // Claude announces an unforced call in a short sentence; a forced one starts with the call.
    const forcedChoice = req.toolChoice?.type === 'any' || req.toolChoice?.type === 'tool';
    text = forcedChoice ? [] : wordDeltas(`I will call ${calls.map((c) => c.name).join(' and ')}.`);
  } else {
    const preamble = toolResultPreamble(req);
    const body = naturalTokens(req, natural, opts.modelId);
    if (preamble.length > 0 && body.length > 0) body[0] = ` ${(body[0] as string).trimStart()}`;
    text = [...preamble, ...body];
  }
  if (text.length > 0) blocks.push({ type: 'text', text: text.join(''), tokens: text });
  const hints = inputHints(stripMarkers(rawLast));
  calls.forEach((tool, i) => {
    const input = toolInputFor(tool.inputSchema, `${seed}#${tool.name}#${i}`, hints);
    const json = JSON.stringify(input);
    const chunks: string[] = [];
    for (let at = 0; at < json.length; at += TOOL_CHUNK_CHARS)
      chunks.push(json.slice(at, at + TOOL_CHUNK_CHARS));
    blocks.push({
      type: 'toolUse',
      id: toolUseId(seed, i),
      name: tool.name,
      input,
      chunks,
      complete: true,
    });
  });
  return blocks;
}

interface Cut {
  at: number;
  reason: StopReason;
}

function finish(
  content: AnswerBlock[],
  inputTokens: number,
  stopReason: StopReason,
  extra: Partial<DeterministicAnswer> = {},
): DeterministicAnswer {
  const tokens = content.flatMap((b) => (b.type === 'text' ? b.tokens : []));
  return {
    text: tokens.join(''),
    tokens,
    content,
    toolUses: content.flatMap((b) =>
      b.type === 'toolUse' && b.complete ? [{ id: b.id, name: b.name, input: b.input }] : [],
    ),
    inputTokens,
    outputTokens: answerDeltas(content).filter(isOutputToken).length,
    stopReason,
    ...extra,
  };
}

function guardrailBlocked(
  inputTokens: number,
  outputTokens: number,
  where: 'input' | 'output',
): DeterministicAnswer {
  const tokens = wordDeltas(GUARDRAIL_BLOCKED_MESSAGE);
  const content: AnswerBlock[] = [{ type: 'text', text: tokens.join(''), tokens }];
  return {
    ...finish(content, inputTokens, 'guardrail_intervened', { guardrail: where }),
    outputTokens,
  };
}

/**
 * Plans the whole answer: the natural blocks (reasoning when thinking is on, text, tool calls),
 * then the rules that end it early — stop sequences (text only), `maxTokens`, a
 * `[[stop:REASON(:after=N)]]` marker, the context window — and the guardrail markers. Shared by
 * the server and {@link deterministicAnswer} so they cannot drift.
 */
export function planAnswer(
  req: ChatRequest,
  opts: DeterministicModelOptions = {},
): DeterministicAnswer {
  const rawLast = lastUserMessage(req)?.text ?? '';
  const guard = req.guardrail ? GUARDRAIL_MARKER.exec(rawLast) : null;
  if (guard?.[1] === 'input') return guardrailBlocked(0, 0, 'input');
  const inputTokens = estimateInputTokens(req);
  const stopMarker = STOP_MARKER.exec(rawLast);
  const forcedReason = stopMarker ? FORCEABLE[stopMarker[1] ?? ''] : undefined;
  const source = naturalBlocks(req, opts, forcedReason !== undefined);
  const deltas = answerDeltas(source);
  const total = deltas.filter(isOutputToken).length;

  const cuts: Cut[] = [];
  const maxTokens = req.maxTokens ?? opts.maxTokens;
  if (maxTokens !== undefined && total > maxTokens)
    cuts.push({ at: maxTokens, reason: 'max_tokens' });
  if (forcedReason !== undefined) {
    const after = stopMarker?.[2] === undefined ? total : Number(stopMarker[2]);
    cuts.push({ at: Math.min(after, total), reason: forcedReason });
  }
  if (opts.contextWindowTokens !== undefined && inputTokens + total > opts.contextWindowTokens) {
    cuts.push({
      at: Math.max(0, opts.contextWindowTokens - inputTokens),
      reason: 'model_context_window_exceeded',
    });
  }
  const cut = cuts.reduce<Cut | undefined>(
    (best, c) => (best === undefined || c.at < best.at ? c : best),
    undefined,
  );

  // Walk the deltas, stopping at the cut or at the first stop sequence in the text.
  const stops = (req.stopSequences ?? opts.stopSequences ?? []).filter((s) => s.length > 0);
  const kept: ModelDelta[] = [];
  let counted = 0;
  let text = '';
  let stopSequence: string | undefined;
  for (const d of deltas) {
    // At the cut only a signature (which completes its reasoning block) may still follow.
    if (cut !== undefined && counted >= cut.at && d.type !== 'signature') break;
    if (d.type === 'text' && stops.length > 0) {
      const before = text.length;
      const joined = text + d.text;
      let hit: { index: number; seq: string } | undefined;
      for (const seq of stops) {
        const index = joined.indexOf(seq, Math.max(0, before - seq.length + 1));
        if (index >= 0 && (hit === undefined || index < hit.index)) hit = { index, seq };
      }
      if (hit !== undefined) {
        kept.push({ type: 'text', text: joined.slice(before, Math.max(before, hit.index)) });
        stopSequence = hit.seq;
        break;
      }
      text = joined;
    }
    kept.push(d);
    if (isOutputToken(d)) counted++;
  }
  const content = blocksFromDeltas(kept);
  let answer: DeterministicAnswer;
  if (stopSequence !== undefined) {
    answer = finish(content, inputTokens, 'stop_sequence', { stopSequence });
  } else if (cut !== undefined) {
    answer = finish(content, inputTokens, cut.reason);
  } else {
    answer = finish(
      content,
      inputTokens,
      source.some((b) => b.type === 'toolUse') ? 'tool_use' : 'end_turn',
    );
  }
  if (guard?.[1] === 'output') {
    if (req.guardrail?.mode !== 'async')
      return guardrailBlocked(inputTokens, answer.outputTokens, 'output');
    // Async: the chunks already sent stay; the guardrail stops the rest at its detection point.
    const after = guard[2] === undefined ? answer.outputTokens : Number(guard[2]);
    const shown: ModelDelta[] = [];
    let n = 0;
    for (const d of answerDeltas(answer.content)) {
      if (isOutputToken(d) && n >= after) break;
      shown.push(d);
      if (isOutputToken(d)) n++;
    }
    return {
      ...finish(blocksFromDeltas(shown), inputTokens, 'guardrail_intervened', {
        guardrail: 'output',
      }),
      outputTokens: answer.outputTokens,
    };
  }
  return answer;
}
