import type {
  JsonValue,
  MessagePart,
  MessageStatus,
  Usage,
  UserPart,
} from '@org/bedrock-stream-contracts';
import { quotaMessage, type QuotaErrorLike } from './quota.js';

/**
 * One message as the page draws it: the fields of the client's `ChatMessage` that the views
 * read (a ChatMessage is one), so the views do not depend on how the chat is held.
 */
export interface MessageView {
  id: string;
  role: 'user' | 'assistant';
  parts: readonly MessagePart[];
  status: MessageStatus;
  stopReason?: string | null | undefined;
  usage?: Usage | null | undefined;
  error?: (QuotaErrorLike & { message: string }) | null | undefined;
}

/** What to tell the user about a failed answer or request (quota errors say when to retry). */
export function errorText(
  error: (QuotaErrorLike & { message: string }) | null | undefined,
): string {
  if (!error) return 'The answer failed.';
  return quotaMessage(error) ?? error.message;
}

/** Characters of a new conversation's title taken from its first message. */
export const TITLE_CHARS = 60;

/** A conversation's title from its first message: the first line, cut at a word. */
export function titleFrom(text: string): string {
  const line = text
    .trim()
    .split('\n')[0]!
    .replace(/\[\[[^\]]*\]\]/g, '')
    .trim();
  if (line.length <= TITLE_CHARS) return line || 'New conversation';
  const cut = line.slice(0, TITLE_CHARS);
  const space = cut.lastIndexOf(' ');
  return `${(space > TITLE_CHARS / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** The text of a message (its text parts joined), e.g. to start editing it. */
export function textOf(parts: readonly MessagePart[]): string {
  return parts
    .flatMap((p) => (p.type === 'text' ? [p.text] : []))
    .join('\n\n')
    .trim();
}

/** An edited user message: the new text with the original's images and documents kept. */
export function editedParts(original: readonly MessagePart[], text: string): UserPart[] {
  const files = original.filter(
    (p): p is Extract<UserPart, { type: 'image' | 'document' }> =>
      p.type === 'image' || p.type === 'document',
  );
  return [...(text.trim() ? [{ type: 'text' as const, text: text.trim() }] : []), ...files];
}

const number = new Intl.NumberFormat('en-US');

/** "12 in · 60 out tokens" (+ cache reads/writes when the model reported them). */
export function usageLine(usage: Usage | null | undefined): string {
  if (!usage) return '';
  const parts = [
    `${number.format(usage.inputTokens)} in`,
    `${number.format(usage.outputTokens)} out tokens`,
  ];
  const cacheRead = usage.cacheReadInputTokens ?? 0;
  const cacheWrite = usage.cacheWriteInputTokens ?? 0;
  if (cacheRead) parts.push(`${number.format(cacheRead)} read from cache`);
  if (cacheWrite) parts.push(`${number.format(cacheWrite)} written to cache`);
  return parts.join(' · ');
}

/** The stop reasons worth telling the user about (a normal end says nothing). */
const STOP_NOTES: Record<string, string> = {
  max_tokens: 'The answer reached its length limit.',
  content_filtered: 'The answer was filtered.',
  guardrail_intervened: 'A guardrail stopped the answer.',
  model_context_window_exceeded: 'The conversation is longer than the model can read.',
};

/** A note on how an answer ended, or '' for a normal end. */
export function stopNote(stopReason: string | null | undefined): string {
  return (stopReason && STOP_NOTES[stopReason]) ?? '';
}

/** Width up to which a JSON array or object stays on one line in {@link compactJson}. */
const INLINE_JSON_CHARS = 60;

/**
 * JSON indented like `JSON.stringify(v, null, 2)`, except that arrays and objects short
 * enough stay on one line (`[3, 5]`, `{ "city": "Paris" }`): tool cards stay small.
 */
export function compactJson(value: JsonValue, indent = ''): string {
  const inline = JSON.stringify(value).replace(/([,:])(?=\S)/g, '$1 ');
  if (value === null || typeof value !== 'object' || inline.length <= INLINE_JSON_CHARS) {
    return Array.isArray(value) || value === null || typeof value !== 'object'
      ? inline
      : inline.length > 2
        ? `{ ${inline.slice(1, -1)} }`
        : inline;
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    return `[\n${value.map((v) => inner + compactJson(v, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value).map(
    ([k, v]) => `${inner}${JSON.stringify(k)}: ${compactJson(v, inner)}`,
  );
  return `{\n${entries.join(',\n')}\n${indent}}`;
}
