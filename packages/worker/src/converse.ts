import {
  ConverseStreamCommand,
  type BedrockRuntimeClient,
  type ContentBlock as BedrockBlock,
  type Message as BedrockMessage,
  type SystemContentBlock,
  type Tool,
  type ToolChoice,
  type ToolResultContentBlock,
} from '@aws-sdk/client-bedrock-runtime';
import type { ContentBlock, Message } from '@org/bedrock-stream-contracts';
import { parseToolInput, toStopReason, type ModelEvent, type ModelRequest } from './generate.js';

type DocumentValue = NonNullable<BedrockBlock.ToolUseMember['toolUse']['input']>;

const bytes = (base64: string) => Buffer.from(base64, 'base64');

/** A tool result as Converse takes it: a string as text, an object as json, else its JSON text. */
export function toolResultContent(content: unknown): ToolResultContentBlock[] {
  if (typeof content === 'string') return [{ text: content }];
  if (content !== null && typeof content === 'object' && !Array.isArray(content))
    return [{ json: content as DocumentValue }];
  return [{ text: JSON.stringify(content) }];
}

/** One contract content block as a Converse content block. */
function toConverseBlock(block: ContentBlock): BedrockBlock {
  if (block.text != null) return { text: block.text };
  if (block.image)
    return {
      image: {
        format: block.image.format.toLowerCase() as 'png',
        source: { bytes: bytes(block.image.bytes) },
      },
    };
  if (block.document)
    return {
      document: {
        format: block.document.format.toLowerCase() as 'pdf',
        name: block.document.name,
        source: { bytes: bytes(block.document.bytes) },
      },
    };
  if (block.toolUse)
    return {
      toolUse: {
        toolUseId: block.toolUse.toolUseId,
        name: block.toolUse.name,
        input: block.toolUse.input as DocumentValue,
      },
    };
  if (block.toolResult)
    return {
      toolResult: {
        toolUseId: block.toolResult.toolUseId,
        content: toolResultContent(block.toolResult.content),
        ...(block.toolResult.status
          ? { status: block.toolResult.status === 'ERROR' ? 'error' : 'success' }
          : {}),
      },
    };
  if (block.reasoning?.redactedContent)
    return { reasoningContent: { redactedContent: bytes(block.reasoning.redactedContent) } };
  if (block.reasoning)
    return {
      reasoningContent: {
        reasoningText: {
          text: block.reasoning.text ?? '',
          ...(block.reasoning.signature ? { signature: block.reasoning.signature } : {}),
        },
      },
    };
  return { cachePoint: { type: 'default' } };
}

/** The conversation as Converse messages. */
export function toConverseMessages(messages: Message[]): BedrockMessage[] {
  return messages.map((m) => ({
    role: m.role === 'USER' ? 'user' : 'assistant',
    content: m.text != null ? [{ text: m.text }] : (m.content ?? []).map(toConverseBlock),
  }));
}

function toolChoiceOf(choice: ModelRequest['toolChoice']): ToolChoice | undefined {
  if (!choice) return undefined;
  if (choice.mode === 'ANY') return { any: {} };
  if (choice.mode === 'TOOL' && choice.name) return { tool: { name: choice.name } };
  return { auto: {} };
}

/** The ConverseStream command input of `request` (exported for tests). */
export function converseCommandInput(request: ModelRequest) {
  const config = request.inferenceConfig ?? {};
  const system: SystemContentBlock[] | undefined = request.system
    ? [
        { text: request.system },
        ...(request.cacheSystem ? [{ cachePoint: { type: 'default' as const } }] : []),
      ]
    : undefined;
  const tools: Tool[] = request.tools.map((t) => ({
    toolSpec: {
      name: t.name,
      description: t.description,
      inputSchema: { json: t.inputSchema as DocumentValue },
    },
  }));
  const guardrail = request.guardrail;
  return {
    modelId: request.modelId,
    messages: toConverseMessages(request.messages),
    system,
    inferenceConfig: {
      maxTokens: config.maxTokens ?? undefined,
      temperature: config.temperature ?? undefined,
      topP: config.topP ?? undefined,
      stopSequences: config.stopSequences ?? undefined,
    },
    ...(tools.length
      ? { toolConfig: { tools, toolChoice: toolChoiceOf(request.toolChoice) } }
      : {}),
    ...(request.thinkingBudgetTokens
      ? {
          additionalModelRequestFields: {
            thinking: { type: 'enabled', budget_tokens: request.thinkingBudgetTokens },
          },
        }
      : {}),
    ...(guardrail
      ? {
          guardrailConfig: {
            guardrailIdentifier: guardrail.id,
            guardrailVersion: guardrail.version,
            trace: guardrail.trace,
            streamProcessingMode: guardrail.streamMode,
          },
        }
      : {}),
  };
}

/** ConverseStream, normalized to ModelEvents. */
export async function* streamConverse(
  client: BedrockRuntimeClient,
  request: ModelRequest,
  signal: AbortSignal,
): AsyncGenerator<ModelEvent> {
  const response = await client.send(new ConverseStreamCommand(converseCommandInput(request)), {
    abortSignal: signal,
  });
  // Tool-use blocks by content block index: their input streams as partial JSON.
  const toolBlocks = new Map<number, { id: string; name: string; json: string }>();
  for await (const event of response.stream ?? []) {
    const startedTool = event.contentBlockStart?.start?.toolUse;
    if (startedTool?.toolUseId && startedTool.name) {
      toolBlocks.set(event.contentBlockStart?.contentBlockIndex ?? 0, {
        id: startedTool.toolUseId,
        name: startedTool.name,
        json: '',
      });
      yield {
        type: 'tool-call-start',
        toolCallId: startedTool.toolUseId,
        toolName: startedTool.name,
      };
    }
    const delta = event.contentBlockDelta?.delta;
    if (delta?.text) yield { type: 'text', text: delta.text };
    const reasoning = delta?.reasoningContent;
    if (reasoning?.text) yield { type: 'reasoning', text: reasoning.text };
    if (reasoning?.signature) yield { type: 'reasoning-signature', signature: reasoning.signature };
    if (reasoning?.redactedContent?.length)
      yield {
        type: 'reasoning-redacted',
        data: Buffer.from(reasoning.redactedContent).toString('base64'),
      };
    const toolDelta = delta?.toolUse?.input;
    if (toolDelta) {
      const block = toolBlocks.get(event.contentBlockDelta?.contentBlockIndex ?? 0);
      if (block) {
        block.json += toolDelta;
        yield { type: 'tool-call-delta', toolCallId: block.id, inputDelta: toolDelta };
      }
    }
    if (event.contentBlockStop) {
      const index = event.contentBlockStop.contentBlockIndex ?? 0;
      const block = toolBlocks.get(index);
      if (block) {
        toolBlocks.delete(index);
        yield {
          type: 'tool-call',
          toolCallId: block.id,
          toolName: block.name,
          input: parseToolInput(block.json),
        };
      }
    }
    if (event.messageStop)
      yield { type: 'stop', stopReason: toStopReason(event.messageStop.stopReason) };
    if (event.metadata?.usage) {
      const u = event.metadata.usage;
      yield {
        type: 'usage',
        usage: {
          inputTokens: u.inputTokens ?? 0,
          outputTokens: u.outputTokens ?? 0,
          totalTokens: u.totalTokens ?? 0,
          ...(u.cacheReadInputTokens != null
            ? { cacheReadInputTokens: u.cacheReadInputTokens }
            : {}),
          ...(u.cacheWriteInputTokens != null
            ? { cacheWriteInputTokens: u.cacheWriteInputTokens }
            : {}),
        },
      };
    }
    if (event.metadata?.metrics?.latencyMs !== undefined)
      yield { type: 'latency', latencyMs: event.metadata.metrics.latencyMs };
    // Exceptions arrive as events too; the SDK throws them from the iterator.
  }
}
