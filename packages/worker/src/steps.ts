import { createHash } from 'node:crypto';
import type { ContentBlock, Message, StopReason, Usage } from '@org/bedrock-stream-contracts';
import type { JsonObject, ModelEvent } from './generate.js';

/** A tool call the model made in one step. */
export interface StepToolCall {
  toolCallId: string;
  toolName: string;
  input: JsonObject;
}

/**
 * What one model call (step) produced, gathered from its events: the assistant message to
 * send back in the next step (reasoning with its signature first, as Claude requires when
 * thinking is on), its tool calls, stop reason and usage.
 */
export class StepCollector {
  readonly blocks: ContentBlock[] = [];
  readonly toolCalls: StepToolCall[] = [];
  stopReason: StopReason = 'end_turn';
  usage: Usage | null = null;

  take(event: ModelEvent): void {
    const last = this.blocks.at(-1);
    switch (event.type) {
      case 'text':
        if (last?.text != null) last.text += event.text;
        else this.blocks.push({ text: event.text });
        break;
      case 'reasoning':
        if (last?.reasoning && last.reasoning.signature == null && !last.reasoning.redactedContent)
          last.reasoning.text = (last.reasoning.text ?? '') + event.text;
        else this.blocks.push({ reasoning: { text: event.text } });
        break;
      case 'reasoning-signature':
        if (last?.reasoning && !last.reasoning.redactedContent)
          last.reasoning.signature = event.signature;
        else this.blocks.push({ reasoning: { text: '', signature: event.signature } });
        break;
      case 'reasoning-redacted':
        this.blocks.push({ reasoning: { redactedContent: event.data } });
        break;
      case 'tool-call':
        this.blocks.push({
          toolUse: { toolUseId: event.toolCallId, name: event.toolName, input: event.input },
        });
        this.toolCalls.push({
          toolCallId: event.toolCallId,
          toolName: event.toolName,
          input: event.input,
        });
        break;
      case 'stop':
        this.stopReason = event.stopReason;
        break;
      case 'usage':
        this.usage = event.usage;
        break;
      default:
        break;
    }
  }

  /** The assistant turn as the next step's request carries it. */
  assistantMessage(): Message {
    return { role: 'ASSISTANT', content: this.blocks.length ? this.blocks : [{ text: ' ' }] };
  }
}

/** Usage summed over the steps of one answer (null while no step reported any). */
export function addUsage(total: Usage | null, step: Usage | null): Usage | null {
  if (!step) return total;
  if (!total) return { ...step };
  const sum: Usage = {
    inputTokens: total.inputTokens + step.inputTokens,
    outputTokens: total.outputTokens + step.outputTokens,
    totalTokens: total.totalTokens + step.totalTokens,
  };
  for (const key of ['cacheReadInputTokens', 'cacheWriteInputTokens'] as const) {
    if (total[key] != null || step[key] != null) sum[key] = (total[key] ?? 0) + (step[key] ?? 0);
  }
  return sum;
}

/** JSON with object keys sorted, so equal inputs give equal text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/**
 * The key a finished server-tool call is stored under: (step, tool name, input, which
 * occurrence of that same call in the step). Not the toolUseId: a new attempt regenerates
 * the model's output and Bedrock gives every call a new id, but a model asked the same
 * thing makes the same call at the same step, which then reuses the stored result. A call
 * the model makes differently on the new attempt (other input) is a different call and runs.
 */
export function toolResultKey(step: number, call: StepToolCall, occurrence: number): string {
  const digest = createHash('sha256').update(canonicalJson(call.input)).digest('hex').slice(0, 32);
  return `s${step}.${call.toolName}.${digest}.${occurrence}`;
}

/** The user turn that answers the step's tool calls. */
export function toolResultsMessage(
  results: Array<{ toolCallId: string; output: unknown; isError: boolean }>,
): Message {
  return {
    role: 'USER',
    content: results.map((r) => ({
      toolResult: {
        toolUseId: r.toolCallId,
        content: r.output as NonNullable<ContentBlock['toolResult']>['content'],
        status: r.isError ? 'ERROR' : 'SUCCESS',
      },
    })),
  };
}
