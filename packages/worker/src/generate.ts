import {
  ConverseStreamCommand,
  InvokeModelWithResponseStreamCommand,
  type BedrockRuntimeClient,
  type Message,
  type SystemContentBlock,
} from '@aws-sdk/client-bedrock-runtime';
import {
  STOP_REASON_MAX_CHARS,
  STOP_REASON_PATTERN,
  type StartStreamInputParsed,
  type StopReason,
  type Usage,
} from '@org/bedrock-stream-contracts';

/** One normalized model event, whichever Bedrock API produced it. */
export type ModelEvent =
  | { type: 'text'; text: string }
  | { type: 'stop'; stopReason: StopReason }
  | { type: 'usage'; usage: Usage }
  | { type: 'latency'; latencyMs: number };

/** The stored stream input (StartStreamInput without streamId). */
export type StoredInput = Omit<StartStreamInputParsed, 'streamId'>;

const STOP_REASON = new RegExp(`^${STOP_REASON_PATTERN}$`);

/**
 * Bedrock's stop reason as the contract carries it: unchanged (a reason this worker does
 * not know, e.g. a new one, passes through). A stop event without a reason still ended
 * the answer (a stream cut before its stop event is TruncatedStreamError, not this), so
 * it stays `end_turn`. A reason not in Bedrock's snake_case form is brought into it: the
 * terminal chunk must pass the contract, and a complete answer must not fail over it.
 */
export function toStopReason(value: string | undefined | null): StopReason {
  if (!value) return 'end_turn';
  if (value.length <= STOP_REASON_MAX_CHARS && STOP_REASON.test(value)) return value;
  const snake = value
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^[^a-z]+/, '')
    .slice(0, STOP_REASON_MAX_CHARS);
  return snake || 'end_turn';
}

function conversation(input: StoredInput): Array<{ role: 'user' | 'assistant'; text: string }> {
  if (input.messages)
    return input.messages.map((m) => ({
      role: m.role === 'USER' ? 'user' : 'assistant',
      // Content blocks other than text reach Bedrock once the worker maps them (issue 14).
      text: m.text ?? (m.content ?? []).map((b) => b.text ?? '').join(''),
    }));
  return [{ role: 'user', text: input.prompt ?? '' }];
}

async function* converse(
  client: BedrockRuntimeClient,
  input: StoredInput,
  signal: AbortSignal,
): AsyncGenerator<ModelEvent> {
  const config = input.inferenceConfig ?? {};
  const response = await client.send(
    new ConverseStreamCommand({
      modelId: input.modelId,
      messages: conversation(input).map((m): Message => ({
        role: m.role,
        content: [{ text: m.text }],
      })),
      system: input.system ? ([{ text: input.system }] as SystemContentBlock[]) : undefined,
      inferenceConfig: {
        maxTokens: config.maxTokens ?? undefined,
        temperature: config.temperature ?? undefined,
        topP: config.topP ?? undefined,
        stopSequences: config.stopSequences ?? undefined,
      },
    }),
    { abortSignal: signal },
  );
  for await (const event of response.stream ?? []) {
    const text = event.contentBlockDelta?.delta?.text;
    if (text) yield { type: 'text', text };
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
        },
      };
    }
    if (event.metadata?.metrics?.latencyMs !== undefined)
      yield { type: 'latency', latencyMs: event.metadata.metrics.latencyMs };
    // Exceptions arrive as events too; the SDK throws them from the iterator.
  }
}

interface AnthropicEvent {
  type: string;
  message?: { usage?: { input_tokens?: number } };
  delta?: { type?: string; text?: string; stop_reason?: string };
  usage?: { output_tokens?: number };
  'amazon-bedrock-invocationMetrics'?: {
    inputTokenCount?: number;
    outputTokenCount?: number;
    invocationLatency?: number;
  };
}

async function* invokeAnthropic(
  client: BedrockRuntimeClient,
  input: StoredInput,
  signal: AbortSignal,
): AsyncGenerator<ModelEvent> {
  const config = input.inferenceConfig ?? {};
  const body = {
    anthropic_version: 'bedrock-2023-05-31',
    max_tokens: config.maxTokens ?? 1024,
    ...(input.system ? { system: input.system } : {}),
    messages: conversation(input).map((m) => ({
      role: m.role,
      content: [{ type: 'text', text: m.text }],
    })),
    ...(config.temperature != null ? { temperature: config.temperature } : {}),
    ...(config.topP != null ? { top_p: config.topP } : {}),
    ...(config.stopSequences ? { stop_sequences: config.stopSequences } : {}),
  };
  const response = await client.send(
    new InvokeModelWithResponseStreamCommand({
      modelId: input.modelId,
      contentType: 'application/json',
      accept: 'application/json',
      body: new TextEncoder().encode(JSON.stringify(body)),
    }),
    { abortSignal: signal },
  );
  let inputTokens = 0;
  let outputTokens = 0;
  let stopped = false;
  const decoder = new TextDecoder();
  for await (const part of response.body ?? []) {
    if (!part.chunk?.bytes) continue;
    const event = JSON.parse(decoder.decode(part.chunk.bytes)) as AnthropicEvent;
    if (event.type === 'message_start') inputTokens = event.message?.usage?.input_tokens ?? 0;
    if (event.type === 'content_block_delta' && event.delta?.text)
      yield { type: 'text', text: event.delta.text };
    if (event.type === 'message_delta') {
      outputTokens = event.usage?.output_tokens ?? outputTokens;
      if (event.delta?.stop_reason) {
        stopped = true;
        yield { type: 'stop', stopReason: toStopReason(event.delta.stop_reason) };
      }
    }
    if (event.type === 'message_stop') {
      // The stream's own end event: the answer ended even if no reason came before it.
      if (!stopped) yield { type: 'stop', stopReason: toStopReason(null) };
      const m = event['amazon-bedrock-invocationMetrics'];
      const i = m?.inputTokenCount ?? inputTokens;
      const o = m?.outputTokenCount ?? outputTokens;
      yield { type: 'usage', usage: { inputTokens: i, outputTokens: o, totalTokens: i + o } };
      if (m?.invocationLatency !== undefined)
        yield { type: 'latency', latencyMs: m.invocationLatency };
    }
  }
}

/**
 * Streams the model's answer: ConverseStream by default, InvokeModelWithResponseStream
 * with the native Anthropic Messages body when `input.api` is INVOKE_MODEL.
 */
export function generate(
  client: BedrockRuntimeClient,
  input: StoredInput,
  signal: AbortSignal,
): AsyncGenerator<ModelEvent> {
  return input.api === 'INVOKE_MODEL'
    ? invokeAnthropic(client, input, signal)
    : converse(client, input, signal);
}
