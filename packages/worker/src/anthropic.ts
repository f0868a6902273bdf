import {
  InvokeModelWithResponseStreamCommand,
  type BedrockRuntimeClient,
} from '@aws-sdk/client-bedrock-runtime';
import type { ContentBlock, Message } from '@org/bedrock-stream-contracts';
import { parseToolInput, toStopReason, type ModelEvent, type ModelRequest } from './generate.js';

type AnthropicBlock = Record<string, unknown>;

const MEDIA_TYPES: Record<string, string> = {
  PNG: 'image/png',
  JPEG: 'image/jpeg',
  GIF: 'image/gif',
  WEBP: 'image/webp',
  PDF: 'application/pdf',
  TXT: 'text/plain',
  MD: 'text/plain',
  HTML: 'text/html',
  CSV: 'text/csv',
};

/** One contract content block as an Anthropic Messages block (null: a cache point). */
function toAnthropicBlock(block: ContentBlock): AnthropicBlock | null {
  if (block.text != null) return { type: 'text', text: block.text };
  if (block.image)
    return {
      type: 'image',
      source: {
        type: 'base64',
        media_type: MEDIA_TYPES[block.image.format],
        data: block.image.bytes,
      },
    };
  if (block.document)
    return {
      type: 'document',
      title: block.document.name,
      source: {
        type: 'base64',
        media_type: MEDIA_TYPES[block.document.format] ?? 'application/octet-stream',
        data: block.document.bytes,
      },
    };
  if (block.toolUse)
    return {
      type: 'tool_use',
      id: block.toolUse.toolUseId,
      name: block.toolUse.name,
      input: block.toolUse.input,
    };
  if (block.toolResult) {
    const content = block.toolResult.content;
    return {
      type: 'tool_result',
      tool_use_id: block.toolResult.toolUseId,
      content: typeof content === 'string' ? content : JSON.stringify(content),
      ...(block.toolResult.status === 'ERROR' ? { is_error: true } : {}),
    };
  }
  if (block.reasoning?.redactedContent)
    return { type: 'redacted_thinking', data: block.reasoning.redactedContent };
  if (block.reasoning)
    return {
      type: 'thinking',
      thinking: block.reasoning.text ?? '',
      signature: block.reasoning.signature ?? '',
    };
  return null;
}

/** Content blocks with each cache point as `cache_control` on the block before it. */
function toAnthropicContent(blocks: ContentBlock[]): AnthropicBlock[] {
  const out: AnthropicBlock[] = [];
  for (const block of blocks) {
    const mapped = toAnthropicBlock(block);
    if (mapped) out.push(mapped);
    else if (out.length)
      out[out.length - 1] = { ...out.at(-1), cache_control: { type: 'ephemeral' } };
  }
  return out;
}

function toAnthropicMessages(messages: Message[]) {
  return messages.map((m) => ({
    role: m.role === 'USER' ? 'user' : 'assistant',
    content:
      m.text != null ? [{ type: 'text', text: m.text }] : toAnthropicContent(m.content ?? []),
  }));
}

/** The native Anthropic Messages body of `request` (exported for tests). */
export function anthropicBody(request: ModelRequest): Record<string, unknown> {
  const config = request.inferenceConfig ?? {};
  const choice = request.toolChoice;
  return {
    anthropic_version: 'bedrock-2023-05-31',
    max_tokens: config.maxTokens ?? 1024,
    ...(request.system
      ? {
          system: request.cacheSystem
            ? [{ type: 'text', text: request.system, cache_control: { type: 'ephemeral' } }]
            : request.system,
        }
      : {}),
    messages: toAnthropicMessages(request.messages),
    ...(config.temperature != null ? { temperature: config.temperature } : {}),
    ...(config.topP != null ? { top_p: config.topP } : {}),
    ...(config.stopSequences ? { stop_sequences: config.stopSequences } : {}),
    ...(request.tools.length
      ? {
          tools: request.tools.map((t) => ({
            name: t.name,
            description: t.description,
            input_schema: t.inputSchema,
          })),
          ...(choice
            ? {
                tool_choice:
                  choice.mode === 'TOOL'
                    ? { type: 'tool', name: choice.name }
                    : { type: choice.mode.toLowerCase() },
              }
            : {}),
        }
      : {}),
    ...(request.thinkingBudgetTokens
      ? { thinking: { type: 'enabled', budget_tokens: request.thinkingBudgetTokens } }
      : {}),
    ...(request.guardrail
      ? {
          'amazon-bedrock-guardrailConfig': {
            streamProcessingMode:
              request.guardrail.streamMode === 'async' ? 'ASYNCHRONOUS' : 'SYNCHRONOUS',
          },
        }
      : {}),
  };
}

interface AnthropicUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

interface AnthropicEvent {
  type: string;
  index?: number;
  message?: { usage?: AnthropicUsage };
  content_block?: { type?: string; id?: string; name?: string; data?: string };
  delta?: {
    type?: string;
    text?: string;
    thinking?: string;
    signature?: string;
    partial_json?: string;
    stop_reason?: string;
  };
  usage?: AnthropicUsage;
  /** On the last event when the request used a guardrail. */
  'amazon-bedrock-guardrailAction'?: string;
  'amazon-bedrock-invocationMetrics'?: {
    inputTokenCount?: number;
    outputTokenCount?: number;
    invocationLatency?: number;
    cacheReadInputTokenCount?: number;
    cacheWriteInputTokenCount?: number;
  };
}

/** InvokeModelWithResponseStream with the native Anthropic body, normalized to ModelEvents. */
export async function* streamAnthropic(
  client: BedrockRuntimeClient,
  request: ModelRequest,
  signal: AbortSignal,
): AsyncGenerator<ModelEvent> {
  const guardrail = request.guardrail;
  const response = await client.send(
    new InvokeModelWithResponseStreamCommand({
      modelId: request.modelId,
      contentType: 'application/json',
      accept: 'application/json',
      body: new TextEncoder().encode(JSON.stringify(anthropicBody(request))),
      ...(guardrail
        ? {
            guardrailIdentifier: guardrail.id,
            guardrailVersion: guardrail.version,
            trace: guardrail.trace === 'enabled' ? 'ENABLED' : 'DISABLED',
          }
        : {}),
    }),
    { abortSignal: signal },
  );
  let inputTokens = 0;
  let outputTokens = 0;
  let cacheRead: number | undefined;
  let cacheWrite: number | undefined;
  let stopReason: string | null = null;
  let stopped = false;
  const toolBlocks = new Map<number, { id: string; name: string; json: string }>();
  const decoder = new TextDecoder();
  for await (const part of response.body ?? []) {
    if (!part.chunk?.bytes) continue;
    const event = JSON.parse(decoder.decode(part.chunk.bytes)) as AnthropicEvent;
    const index = event.index ?? 0;
    if (event.type === 'message_start') {
      const u = event.message?.usage;
      inputTokens = u?.input_tokens ?? 0;
      cacheRead = u?.cache_read_input_tokens;
      cacheWrite = u?.cache_creation_input_tokens;
    }
    if (event.type === 'content_block_start') {
      const block = event.content_block;
      if (block?.type === 'tool_use' && block.id && block.name) {
        toolBlocks.set(index, { id: block.id, name: block.name, json: '' });
        yield { type: 'tool-call-start', toolCallId: block.id, toolName: block.name };
      }
      if (block?.type === 'redacted_thinking' && block.data)
        yield { type: 'reasoning-redacted', data: block.data };
    }
    if (event.type === 'content_block_delta') {
      const delta = event.delta;
      if (delta?.text) yield { type: 'text', text: delta.text };
      if (delta?.thinking) yield { type: 'reasoning', text: delta.thinking };
      if (delta?.signature) yield { type: 'reasoning-signature', signature: delta.signature };
      const tool = toolBlocks.get(index);
      if (delta?.partial_json && tool) {
        tool.json += delta.partial_json;
        yield { type: 'tool-call-delta', toolCallId: tool.id, inputDelta: delta.partial_json };
      }
    }
    if (event.type === 'content_block_stop') {
      const tool = toolBlocks.get(index);
      if (tool) {
        toolBlocks.delete(index);
        yield {
          type: 'tool-call',
          toolCallId: tool.id,
          toolName: tool.name,
          input: parseToolInput(tool.json),
        };
      }
    }
    if (event.type === 'message_delta') {
      outputTokens = event.usage?.output_tokens ?? outputTokens;
      // Told at message_stop, where Bedrock says whether a guardrail intervened.
      if (event.delta?.stop_reason) stopReason = event.delta.stop_reason;
    }
    if (event.type === 'message_stop') {
      // The stream's own end event: the answer ended even if no reason came before it. The
      // native body has no guardrail stop reason (Claude says end_turn): Bedrock's
      // guardrail action tells it, carried as Converse names it.
      stopped = true;
      const intervened = event['amazon-bedrock-guardrailAction'] === 'INTERVENED';
      yield {
        type: 'stop',
        stopReason: intervened ? 'guardrail_intervened' : toStopReason(stopReason),
      };
      const m = event['amazon-bedrock-invocationMetrics'];
      const i = m?.inputTokenCount ?? inputTokens;
      const o = m?.outputTokenCount ?? outputTokens;
      const read = m?.cacheReadInputTokenCount ?? cacheRead;
      const write = m?.cacheWriteInputTokenCount ?? cacheWrite;
      yield {
        type: 'usage',
        usage: {
          inputTokens: i,
          outputTokens: o,
          totalTokens: i + o + (read ?? 0) + (write ?? 0),
          ...(read != null ? { cacheReadInputTokens: read } : {}),
          ...(write != null ? { cacheWriteInputTokens: write } : {}),
        },
      };
      if (m?.invocationLatency !== undefined)
        yield { type: 'latency', latencyMs: m.invocationLatency };
    }
  }
  // A stream cut after its stop reason but before message_stop still ended the answer.
  if (!stopped && stopReason) yield { type: 'stop', stopReason: toStopReason(stopReason) };
}
