import { z } from 'zod';
import { parseAnthropicRequest } from './anthropic-request.js';
import type { CacheCheckpoint, ChatRequest, GuardrailRequest } from './chat.js';
import { BedrockHttpError } from './errors.js';

/** Native body dialect of an InvokeModel* request. */
export type NativeDialect = 'anthropic' | 'nova';

/** Bedrock's answer to a body that does not match the model's request schema. */
export function malformed(error: z.ZodError): BedrockHttpError {
  const issue = error.issues[0];
  const where = issue === undefined ? '#' : ['#', ...issue.path.map(String)].join('/');
  return new BedrockHttpError(
    'ValidationException',
    `Malformed input request: ${where}: ${issue?.message ?? 'invalid'}, please reformat your input and try again.`,
  );
}

/** Parses a request body as JSON, or throws Bedrock's "Malformed input request". */
export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new BedrockHttpError(
      'ValidationException',
      'Malformed input request: request body is not valid JSON, please reformat your input and try again.',
    );
  }
}

/** The text of blocks that have one, newline-joined. */
export function textOf(blocks: ReadonlyArray<{ text?: string | undefined }>): string {
  return blocks
    .map((b) => b.text)
    .filter((t): t is string => typeof t === 'string')
    .join('\n');
}

/**
 * Collects the prompt in the order a model reads it (tools, system, messages) so a prompt-cache
 * checkpoint can name the text before it, and sums input tokens that are not text.
 */
export class PromptTranscript {
  private text = '';
  readonly checkpoints: CacheCheckpoint[] = [];
  extraTokens = 0;

  /** Appends prompt content. */
  add(piece: string): void {
    this.text += `${piece}\n`;
  }

  /** Marks a cache checkpoint after everything added so far. */
  checkpoint(ttl: string | undefined): void {
    this.checkpoints.push({ prefix: this.text, ttlSeconds: ttl === '1h' ? 3600 : 300 });
  }
}

/** Guardrail settings of a native (InvokeModel*) request: headers plus the body's config field. */
export interface NativeGuardrailHeaders {
  identifier?: string;
  version?: string;
  trace?: string;
}

/** Builds the guardrail of a native request, or throws when the headers are incomplete. */
export function nativeGuardrail(
  headers: NativeGuardrailHeaders,
  body: unknown,
): GuardrailRequest | undefined {
  if (headers.identifier === undefined) return undefined;
  if (headers.version === undefined || !/^(([1-9][0-9]{0,7})|(DRAFT))$/.test(headers.version)) {
    throw new BedrockHttpError(
      'ValidationException',
      'The guardrail version is missing or invalid: X-Amzn-Bedrock-GuardrailVersion must be a version number or DRAFT.',
    );
  }
  const config = (
    body as { 'amazon-bedrock-guardrailConfig'?: { streamProcessingMode?: unknown } }
  )['amazon-bedrock-guardrailConfig'];
  const trace = headers.trace?.toUpperCase();
  return {
    identifier: headers.identifier,
    version: headers.version,
    trace: trace === 'ENABLED' ? 'enabled' : trace === 'ENABLED_FULL' ? 'enabled_full' : 'disabled',
    mode: config?.streamProcessingMode === 'ASYNCHRONOUS' ? 'async' : 'sync',
  };
}

const Role = z.enum(['user', 'assistant']);
const NovaBlock = z.looseObject({ text: z.string().optional() });

/** Amazon Nova native body (InvokeModel* on amazon.nova-*): Converse-like, `schemaVersion` optional. */
export const NovaBodySchema = z.looseObject({
  schemaVersion: z.string().optional(),
  messages: z.array(z.object({ role: Role, content: z.array(NovaBlock) })).min(1),
  system: z.array(NovaBlock).optional(),
  inferenceConfig: z
    .looseObject({
      maxTokens: z.number().int().min(1).optional(),
      max_new_tokens: z.number().int().min(1).optional(),
      stopSequences: z.array(z.string()).optional(),
    })
    .optional(),
});

/**
 * Parses an InvokeModel* body. The dialect follows the body: `anthropic_version` means the
 * Anthropic Messages API, otherwise a Nova body is accepted (for `amazon.*` and `local.*` ids).
 */
export function parseNativeBody(
  body: Buffer,
  modelId: string,
  guardrail: NativeGuardrailHeaders = {},
): { chat: ChatRequest; dialect: NativeDialect } {
  const json = parseJson(body);
  const isAnthropic = typeof json === 'object' && json !== null && 'anthropic_version' in json;
  if (isAnthropic || modelId.startsWith('anthropic.')) {
    const chat = parseAnthropicRequest(json);
    const guard = nativeGuardrail(guardrail, json);
    return { chat: guard ? { ...chat, guardrail: guard } : chat, dialect: 'anthropic' };
  }
  const parsed = NovaBodySchema.safeParse(json);
  if (!parsed.success) throw malformed(parsed.error);
  const b = parsed.data;
  const guard = nativeGuardrail(guardrail, json);
  return {
    dialect: 'nova',
    chat: {
      system: (b.system ?? []).map((s) => s.text ?? '').filter((s) => s.length > 0),
      messages: b.messages.map((m) => ({ role: m.role, text: textOf(m.content) })),
      maxTokens: b.inferenceConfig?.maxTokens ?? b.inferenceConfig?.max_new_tokens,
      stopSequences: b.inferenceConfig?.stopSequences,
      ...(guard ? { guardrail: guard } : {}),
    },
  };
}
