// A stored conversation (user parts, answers as stream parts) as the Bedrock messages of
// the next model call. Pure: the worker builds every conversation answer's input with it,
// and the client's `partsToMessages` shares its per-answer conversion.
import type { ContentBlock, Message } from './start-input.js';
import { LIMITS } from './limits.js';
import { CHARS_PER_TOKEN_ESTIMATE, estimateTokens } from './quotas.js';
import type { JsonObject, JsonValue, MessagePart, ToolCallPart } from './message-parts.js';

/**
 * The result the model gets for a tool call that never got one (the app never ran its
 * client tool, or the answer stopped first): Bedrock rejects a `toolUse` whose `toolResult`
 * is missing, so the call is answered with this error instead.
 */
export const NO_TOOL_RESULT_TEXT = 'no result was given';

/** A tool call's result as the model gets it. */
export interface ToolCallResult {
  /** What the tool returned (any JSON); with `isError`, what went wrong. */
  output: JsonValue;
  isError: boolean;
}

/** A tool call whose input is complete: one the model can be given back. */
export type CompleteToolCallPart = ToolCallPart & { input: JsonObject };

/** Options of {@link answerPartsToMessages}. */
export interface AnswerPartsOptions {
  /**
   * The result of a complete tool call. Default: the part's own output (a server tool the
   * worker ran, or results stored by submitToolResults), else an error result
   * {@link NO_TOOL_RESULT_TEXT}, so every `toolUse` has its `toolResult`.
   */
  resultOf?: (call: CompleteToolCallPart) => ToolCallResult;
}

/** The result a tool-call part carries (`output-available` / `output-error`), if any. */
export function toolCallPartResult(part: ToolCallPart): ToolCallResult | null {
  if (part.state === 'output-available') return { output: part.output ?? null, isError: false };
  if (part.state === 'output-error')
    return { output: part.output ?? part.errorText ?? null, isError: true };
  return null;
}

function defaultResult(call: CompleteToolCallPart): ToolCallResult {
  return toolCallPartResult(call) ?? { output: NO_TOOL_RESULT_TEXT, isError: true };
}

/**
 * An answer's parts as Bedrock messages: per step (model call) an `ASSISTANT` message with
 * its reasoning (signed or redacted only: reasoning without a signature cannot be sent
 * back), text and tool calls, then, when it called tools, a `USER` message with their
 * results in call order. Tool calls whose input never completed and blank text are left
 * out; a step with nothing left gives no message.
 */
export function answerPartsToMessages(
  parts: readonly MessagePart[],
  options: AnswerPartsOptions = {},
): Message[] {
  const resultOf = options.resultOf ?? defaultResult;
  const messages: Message[] = [];
  for (const step of splitSteps(parts)) {
    const blocks: ContentBlock[] = [];
    const results: ContentBlock[] = [];
    for (const part of step) {
      switch (part.type) {
        case 'text':
          // Bedrock rejects blank text blocks.
          if (part.text.trim() !== '') blocks.push({ text: part.text });
          break;
        case 'reasoning':
          if (part.redacted !== undefined)
            blocks.push({ reasoning: { redactedContent: part.redacted } });
          else if (part.signature !== undefined)
            blocks.push({ reasoning: { text: part.text, signature: part.signature } });
          break;
        case 'tool-call': {
          if (part.input === undefined) break; // its input never completed
          const call = part as CompleteToolCallPart;
          blocks.push({
            toolUse: { toolUseId: call.toolCallId, name: call.toolName, input: call.input },
          });
          const result = resultOf(call);
          results.push({
            toolResult: {
              toolUseId: call.toolCallId,
              content: result.output,
              status: result.isError ? 'ERROR' : 'SUCCESS',
            },
          });
          break;
        }
        default:
          break; // step-start, and user parts (not in an answer)
      }
    }
    if (blocks.length > 0) messages.push({ role: 'ASSISTANT', content: blocks });
    if (results.length > 0) messages.push({ role: 'USER', content: results });
  }
  return messages;
}

/** The parts of each step (a step-start part begins one; parts before any form the first). */
function splitSteps(parts: readonly MessagePart[]): MessagePart[][] {
  const steps: MessagePart[][] = [[]];
  for (const part of parts) {
    if (part.type === 'step-start') steps.push([]);
    steps[steps.length - 1]!.push(part);
  }
  return steps;
}

/** A user message's parts as content blocks (text, images, documents; blank text left out). */
export function userPartsToContent(parts: readonly MessagePart[]): ContentBlock[] {
  const blocks: ContentBlock[] = [];
  for (const part of parts) {
    if (part.type === 'text' && part.text.trim() !== '') blocks.push({ text: part.text });
    else if (part.type === 'image')
      blocks.push({ image: { format: part.format, bytes: part.bytes } });
    else if (part.type === 'document')
      blocks.push({ document: { format: part.format, name: part.name, bytes: part.bytes } });
  }
  return blocks;
}

/** A stored conversation message as {@link conversationToMessages} reads it. */
export interface HistoryMessage {
  role: 'USER' | 'ASSISTANT';
  parts: readonly MessagePart[];
}

/** Options of {@link conversationToMessages}. */
export interface ConversationHistoryOptions {
  /**
   * Estimated input tokens the history may use (4 characters a token; images and
   * documents by their base64 size). Default `LIMITS.historyTokenBudgetDefault`.
   */
  tokenBudget?: number;
}

/** The model's messages of a conversation, and what the budget left out. */
export interface ConversationHistory {
  messages: Message[];
  /** Stored messages left out (the oldest), to stay within the budget. */
  droppedMessages: number;
  /** Estimated tokens of `messages`. */
  estimatedTokens: number;
}

/** Characters a content block counts for the budget. */
function blockChars(block: ContentBlock): number {
  if (block.text != null) return block.text.length;
  if (block.image) return block.image.bytes.length;
  if (block.document) return block.document.bytes.length + block.document.name.length;
  if (block.toolUse) return block.toolUse.name.length + JSON.stringify(block.toolUse.input).length;
  if (block.toolResult) return JSON.stringify(block.toolResult.content).length;
  if (block.reasoning)
    return (block.reasoning.text?.length ?? 0) + (block.reasoning.redactedContent?.length ?? 0);
  return 0;
}

/** One stored message converted, with what it weighs. */
interface Group {
  role: 'USER' | 'ASSISTANT';
  messages: Message[];
  chars: number;
  images: number;
  documents: number;
}

/** A stored message as model messages (a user message without content gives none). */
function toMessages(message: HistoryMessage): Message[] {
  if (message.role === 'ASSISTANT') return answerPartsToMessages(message.parts);
  const content = userPartsToContent(message.parts);
  return content.length ? [{ role: 'USER', content }] : [];
}

function toGroup(message: HistoryMessage): Group {
  const messages = toMessages(message);
  const blocks = messages.flatMap((m) => m.content ?? []);
  return {
    role: message.role,
    messages,
    chars: blocks.reduce((n, b) => n + blockChars(b), 0),
    images: blocks.filter((b) => b.image != null).length,
    documents: blocks.filter((b) => b.document != null).length,
  };
}

/**
 * A stored conversation, oldest first, as the messages of the next model call: user parts
 * become user content blocks, each answer becomes per step an assistant message and a user
 * message of its tool results (see {@link answerPartsToMessages}).
 *
 * Within `tokenBudget` (and Bedrock's image and document counts per request) by leaving out
 * the oldest WHOLE stored messages, never part of one, so a tool call always keeps its
 * result; the last user message and what follows it (the answer being continued) are
 * always kept. The result starts with a `USER` message and alternates roles (consecutive
 * messages of one role, e.g. around an answer that produced nothing, are merged).
 */
export function conversationToMessages(
  history: readonly HistoryMessage[],
  options: ConversationHistoryOptions = {},
): ConversationHistory {
  const budgetChars =
    (options.tokenBudget ?? LIMITS.historyTokenBudgetDefault) * CHARS_PER_TOKEN_ESTIMATE;
  const groups = history.map(toGroup);
  const lastUser = groups.findLastIndex((g) => g.role === 'USER' && g.messages.length > 0);
  // Kept from `first` on: the required tail, then older messages while they fit.
  let first = Math.max(0, lastUser);
  let chars = 0;
  let images = 0;
  let documents = 0;
  for (const g of groups.slice(first)) {
    chars += g.chars;
    images += g.images;
    documents += g.documents;
  }
  while (first > 0) {
    const g = groups[first - 1]!;
    if (
      chars + g.chars > budgetChars ||
      images + g.images > LIMITS.images ||
      documents + g.documents > LIMITS.documents
    )
      break;
    first -= 1;
    chars += g.chars;
    images += g.images;
    documents += g.documents;
  }
  // The history starts with a user message: leave out answers (and empty messages) before it.
  while (first < groups.length) {
    const g = groups[first]!;
    if (g.role === 'USER' && g.messages.length > 0) break;
    chars -= g.chars;
    first += 1;
  }
  const messages = mergeRoles(groups.slice(first).flatMap((g) => g.messages));
  return {
    messages,
    droppedMessages: first,
    estimatedTokens: estimateTokens(chars),
  };
}

/** Merges consecutive messages of one role (Bedrock requires alternating roles). */
function mergeRoles(messages: Message[]): Message[] {
  const merged: Message[] = [];
  for (const m of messages) {
    const last = merged[merged.length - 1];
    if (last && last.role === m.role)
      merged[merged.length - 1] = {
        role: m.role,
        content: [...(last.content ?? []), ...(m.content ?? [])],
      };
    else merged.push(m);
  }
  return merged;
}

/**
 * `messages` with their tool calls and results as text blocks. Converse refuses `toolUse`
 * and `toolResult` blocks in a request that declares no tools, which a conversation turn
 * offering none meets when earlier answers used tools.
 */
export function toolBlocksAsText(messages: readonly Message[]): Message[] {
  return messages.map((m) => {
    if (!m.content?.some((b) => b.toolUse || b.toolResult)) return m;
    return {
      role: m.role,
      content: m.content.map((b): ContentBlock => {
        if (b.toolUse)
          return { text: `[tool call ${b.toolUse.name} ${JSON.stringify(b.toolUse.input)}]` };
        if (b.toolResult) {
          const c = b.toolResult.content;
          const error = b.toolResult.status === 'ERROR' ? ' (error)' : '';
          return {
            text: `[tool result${error}: ${typeof c === 'string' ? c : JSON.stringify(c)}]`,
          };
        }
        return b;
      }),
    };
  });
}
