import { z } from 'zod';
import { BedrockHttpError } from './errors.js';
import type { ChatRequest } from './model.js';

const Role = z.enum(['user', 'assistant']);
const ConverseBlock = z.looseObject({ text: z.string().optional() });

/** Converse / ConverseStream body (the fields this endpoint understands; others are ignored). */
export const ConverseBodySchema = z.looseObject({
  messages: z.array(z.object({ role: Role, content: z.array(ConverseBlock) })).min(1),
  system: z.array(ConverseBlock).optional(),
  inferenceConfig: z
    .looseObject({
      maxTokens: z.number().int().min(1).optional(),
      temperature: z.number().min(0).max(1).optional(),
      topP: z.number().min(0).max(1).optional(),
      stopSequences: z.array(z.string()).max(4).optional(),
    })
    .optional(),
});

const AnthropicBlock = z.looseObject({ type: z.string(), text: z.string().optional() });

/** Native Anthropic Messages body as Bedrock's InvokeModel* accept it. */
export const AnthropicBodySchema = z.looseObject({
  anthropic_version: z.string(),
  max_tokens: z.number().int().min(1),
  messages: z
    .array(z.object({ role: Role, content: z.union([z.string(), z.array(AnthropicBlock)]) }))
    .min(1),
  system: z.union([z.string(), z.array(AnthropicBlock)]).optional(),
  stop_sequences: z.array(z.string()).optional(),
  temperature: z.number().min(0).max(1).optional(),
});

function malformed(error: z.ZodError): BedrockHttpError {
  const issue = error.issues[0];
  const where = issue === undefined ? '#' : ['#', ...issue.path.map(String)].join('/');
  return new BedrockHttpError(
    'ValidationException',
    `Malformed input request: ${where}: ${issue?.message ?? 'invalid'}, please reformat your input and try again.`,
  );
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new BedrockHttpError(
      'ValidationException',
      'Malformed input request: request body is not valid JSON, please reformat your input and try again.',
    );
  }
}

function textOf(blocks: ReadonlyArray<{ text?: string | undefined }>): string {
  return blocks
    .map((b) => b.text)
    .filter((t): t is string => typeof t === 'string')
    .join('\n');
}

/** Parses a Converse/ConverseStream body; throws ValidationException the way Bedrock does. */
export function parseConverseBody(body: Buffer): ChatRequest {
  const parsed = ConverseBodySchema.safeParse(parseJson(body));
  if (!parsed.success) throw malformed(parsed.error);
  const b = parsed.data;
  if (b.messages[0]?.role !== 'user') {
    throw new BedrockHttpError(
      'ValidationException',
      'A conversation must start with a user message.',
    );
  }
  return {
    system: (b.system ?? []).map((s) => s.text ?? '').filter((s) => s.length > 0),
    messages: b.messages.map((m) => ({ role: m.role, text: textOf(m.content) })),
    maxTokens: b.inferenceConfig?.maxTokens,
    stopSequences: b.inferenceConfig?.stopSequences,
  };
}

/** Parses an Anthropic Messages body (InvokeModel / InvokeModelWithResponseStream). */
export function parseAnthropicBody(body: Buffer): ChatRequest {
  const parsed = AnthropicBodySchema.safeParse(parseJson(body));
  if (!parsed.success) throw malformed(parsed.error);
  const b = parsed.data;
  const system =
    b.system === undefined ? [] : typeof b.system === 'string' ? [b.system] : [textOf(b.system)];
  return {
    system: system.filter((s) => s.length > 0),
    messages: b.messages.map((m) => ({
      role: m.role,
      text: typeof m.content === 'string' ? m.content : textOf(m.content),
    })),
    maxTokens: b.max_tokens,
    stopSequences: b.stop_sequences,
  };
}

/** Amazon Nova native body (InvokeModel* on amazon.nova-*): Converse-like, `schemaVersion` optional. */
export const NovaBodySchema = z.looseObject({
  schemaVersion: z.string().optional(),
  messages: z.array(z.object({ role: Role, content: z.array(ConverseBlock) })).min(1),
  system: z.array(ConverseBlock).optional(),
  inferenceConfig: z
    .looseObject({
      maxTokens: z.number().int().min(1).optional(),
      max_new_tokens: z.number().int().min(1).optional(),
      stopSequences: z.array(z.string()).optional(),
    })
    .optional(),
});

/** Native body dialect of an InvokeModel* request. */
export type NativeDialect = 'anthropic' | 'nova';

/**
 * Parses an InvokeModel* body. The dialect follows the body: `anthropic_version` means the
 * Anthropic Messages API, otherwise a Nova body is accepted (for `amazon.*` and `local.*` ids).
 */
export function parseNativeBody(
  body: Buffer,
  modelId: string,
): { chat: ChatRequest; dialect: NativeDialect } {
  const json = parseJson(body);
  const isAnthropic = typeof json === 'object' && json !== null && 'anthropic_version' in json;
  if (isAnthropic || modelId.startsWith('anthropic.')) {
    return { chat: parseAnthropicBody(body), dialect: 'anthropic' };
  }
  const parsed = NovaBodySchema.safeParse(json);
  if (!parsed.success) throw malformed(parsed.error);
  const b = parsed.data;
  return {
    dialect: 'nova',
    chat: {
      system: (b.system ?? []).map((s) => s.text ?? '').filter((s) => s.length > 0),
      messages: b.messages.map((m) => ({ role: m.role, text: textOf(m.content) })),
      maxTokens: b.inferenceConfig?.maxTokens ?? b.inferenceConfig?.max_new_tokens,
      stopSequences: b.inferenceConfig?.stopSequences,
    },
  };
}
