import type { MessageInput, Usage } from '@org/bedrock-stream-contracts';
import type { StreamMetrics } from '@org/bedrock-stream-client';

/** How an assistant turn ended (the hook's terminal statuses). */
export type TurnStatus = 'done' | 'cancelled' | 'error';

/** One turn of the chat as the page shows it. */
export type Turn =
  | { role: 'USER'; text: string }
  | {
      role: 'ASSISTANT';
      text: string;
      status: TurnStatus;
      /** The readable error message of a failed answer. */
      error?: string;
      /** Per-answer figures ("first token 120 ms · 35.0 tokens/s · 12 in / 60 out tokens"). */
      figures: string;
    };

/**
 * The `messages` to send for a new prompt. Every turn stays on screen, but the model only sees
 * question/answer pairs whose answer has text: Bedrock requires USER and ASSISTANT to
 * alternate, and a failed answer (no text) is no useful context. A stopped answer keeps its
 * partial text because that is what the user saw.
 */
export function messagesFor(history: readonly Turn[], prompt: string): MessageInput[] {
  const out: MessageInput[] = [];
  let question: string | null = null;
  for (const turn of history) {
    if (turn.role === 'USER') {
      question = turn.text;
    } else if (question !== null) {
      if (turn.text.trim().length > 0) {
        out.push({ role: 'USER', text: question }, { role: 'ASSISTANT', text: turn.text });
      }
      question = null;
    }
  }
  out.push({ role: 'USER', text: prompt });
  return out;
}

/**
 * The figures line of an answer. Tokens/s counts generation only (first token to the end), so a
 * slow start does not hide the streaming rate.
 */
export function figuresOf(metrics: StreamMetrics | null, usage: Usage | null): string {
  const parts: string[] = [];
  const ttft = metrics?.timeToFirstTextMs ?? null;
  const total = metrics?.totalMs ?? null;
  if (ttft !== null) parts.push(`first token ${Math.round(ttft)} ms`);
  const output = usage?.outputTokens;
  if (output && ttft !== null && total !== null && total > ttft) {
    parts.push(`${((output / (total - ttft)) * 1000).toFixed(1)} tokens/s`);
  }
  if (usage) parts.push(`${usage.inputTokens} in / ${usage.outputTokens} out tokens`);
  return parts.join(' · ');
}
