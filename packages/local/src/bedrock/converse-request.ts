import { z } from 'zod';
import type {
  BlockKind,
  ChatMessage,
  ChatRequest,
  MediaInput,
  ReasoningInput,
  ThinkingRequest,
  ToolChoice,
  ToolSpec,
} from './chat.js';
import { BedrockHttpError } from './errors.js';
import { checkDocument, checkImage, checkMessageMedia, decodeBase64 } from './media.js';
import { PromptTranscript, malformed, parseJson, textOf } from './requests.js';

const Role = z.enum(['user', 'assistant']);
const CachePoint = z.looseObject({ type: z.string(), ttl: z.string().optional() });
const Bytes = z.looseObject({
  bytes: z.string().optional(),
  s3Location: z.unknown().optional(),
  text: z.string().optional(),
  content: z.array(z.looseObject({ text: z.string().optional() })).optional(),
});
const Image = z.looseObject({ format: z.string(), source: Bytes });
const Document = z.looseObject({ format: z.string().optional(), name: z.string(), source: Bytes });
const ToolResultContent = z.looseObject({
  text: z.string().optional(),
  json: z.unknown().optional(),
  image: Image.optional(),
  document: Document.optional(),
});
const ContentBlock = z.looseObject({
  text: z.string().optional(),
  image: Image.optional(),
  document: Document.optional(),
  toolUse: z
    .looseObject({ toolUseId: z.string(), name: z.string(), input: z.unknown() })
    .optional(),
  toolResult: z
    .looseObject({
      toolUseId: z.string(),
      content: z.array(ToolResultContent),
      status: z.enum(['success', 'error']).optional(),
    })
    .optional(),
  reasoningContent: z
    .looseObject({
      reasoningText: z
        .looseObject({ text: z.string(), signature: z.string().optional() })
        .optional(),
      redactedContent: z.string().optional(),
    })
    .optional(),
  cachePoint: CachePoint.optional(),
  guardContent: z.looseObject({ text: z.looseObject({ text: z.string() }).optional() }).optional(),
});
const SystemBlock = z.looseObject({
  text: z.string().optional(),
  cachePoint: CachePoint.optional(),
  guardContent: z.looseObject({ text: z.looseObject({ text: z.string() }).optional() }).optional(),
});
const Thinking = z.union([
  z.looseObject({ type: z.literal('enabled'), budget_tokens: z.number().int() }),
  z.looseObject({ type: z.literal('disabled') }),
  z.looseObject({ type: z.literal('adaptive') }),
]);

/** Converse / ConverseStream body (the fields this endpoint understands; others are ignored). */
export const ConverseBodySchema = z.looseObject({
  messages: z.array(z.object({ role: Role, content: z.array(ContentBlock) })).min(1),
  system: z.array(SystemBlock).optional(),
  inferenceConfig: z
    .looseObject({
      maxTokens: z.number().int().min(1).optional(),
      temperature: z.number().min(0).max(1).optional(),
      topP: z.number().min(0).max(1).optional(),
      stopSequences: z.array(z.string()).max(4).optional(),
    })
    .optional(),
  toolConfig: z
    .looseObject({
      tools: z
        .array(
          z.looseObject({
            toolSpec: z
              .looseObject({
                name: z.string(),
                description: z.string().optional(),
                inputSchema: z.looseObject({ json: z.record(z.string(), z.unknown()) }),
              })
              .optional(),
            cachePoint: CachePoint.optional(),
          }),
        )
        .min(1),
      toolChoice: z
        .looseObject({
          auto: z.object({}).optional(),
          any: z.object({}).optional(),
          tool: z.looseObject({ name: z.string() }).optional(),
        })
        .optional(),
    })
    .optional(),
  guardrailConfig: z
    .looseObject({
      guardrailIdentifier: z.string().min(1),
      guardrailVersion: z.string().regex(/^(([1-9][0-9]{0,7})|(DRAFT))$/),
      trace: z.enum(['enabled', 'disabled', 'enabled_full']).optional(),
      streamProcessingMode: z.enum(['sync', 'async']).optional(),
    })
    .optional(),
  additionalModelRequestFields: z.record(z.string(), z.unknown()).optional(),
  additionalModelResponseFieldPaths: z.array(z.string()).optional(),
});

type Body = z.infer<typeof ConverseBodySchema>;

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

function coral(value: string, at: string, constraint: string): BedrockHttpError {
  return new BedrockHttpError(
    'ValidationException',
    `1 validation error detected: Value '${value}' at '${at}' failed to satisfy constraint: ${constraint}`,
  );
}

function mediaBytes(source: z.infer<typeof Bytes>, where: string): Buffer {
  if (source.bytes !== undefined) return decodeBase64(source.bytes, where);
  if (source.text !== undefined) return Buffer.from(source.text);
  if (source.content !== undefined) return Buffer.from(textOf(source.content));
  if (source.s3Location !== undefined) {
    throw new BedrockHttpError(
      'ValidationException',
      `The local endpoint has no S3: send the content at ${where} as bytes.`,
    );
  }
  throw new BedrockHttpError('ValidationException', `The source at ${where} has no content.`);
}

function toolsOf(body: Body, transcript: PromptTranscript): ToolSpec[] | undefined {
  const config = body.toolConfig;
  if (!config) return undefined;
  const tools: ToolSpec[] = [];
  config.tools.forEach((t, i) => {
    if (t.cachePoint) {
      transcript.checkpoint(t.cachePoint.ttl);
      return;
    }
    const spec = t.toolSpec;
    if (!spec) return;
    if (!TOOL_NAME.test(spec.name)) {
      throw coral(
        spec.name,
        `toolConfig.tools.${i + 1}.member.toolSpec.name`,
        'Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+',
      );
    }
    const tool = {
      name: spec.name,
      description: spec.description,
      inputSchema: spec.inputSchema.json,
    };
    transcript.add(JSON.stringify(tool));
    tools.push(tool);
  });
  transcript.extraTokens += Math.ceil(JSON.stringify(tools).length / 4);
  return tools;
}

function toolChoiceOf(body: Body): ToolChoice | undefined {
  const choice = body.toolConfig?.toolChoice;
  if (!choice) return undefined;
  if (choice.tool) return { type: 'tool', name: choice.tool.name };
  if (choice.any) return { type: 'any' };
  return { type: 'auto' };
}

function thinkingOf(body: Body): ThinkingRequest | undefined {
  const raw = body.additionalModelRequestFields?.thinking;
  if (raw === undefined) return undefined;
  const parsed = Thinking.safeParse(raw);
  if (!parsed.success) {
    throw new BedrockHttpError(
      'ValidationException',
      "The model returned the following errors: thinking.type: Input should be 'enabled', 'disabled' or 'adaptive'",
    );
  }
  const t = parsed.data;
  if (t.type === 'disabled') return undefined;
  return t.type === 'enabled'
    ? { type: 'enabled', budgetTokens: t.budget_tokens }
    : { type: 'adaptive' };
}

function messageOf(
  m: Body['messages'][number],
  index: number,
  transcript: PromptTranscript,
): ChatMessage {
  const blocks: BlockKind[] = [];
  const texts: string[] = [];
  const media: MediaInput[] = [];
  const reasoning: ReasoningInput[] = [];
  const msg: ChatMessage = { role: m.role, text: '' };
  m.content.forEach((b, j) => {
    const where = `messages.${index}.content.${j}`;
    if (b.text !== undefined) {
      blocks.push('text');
      texts.push(b.text);
      transcript.add(b.text);
    } else if (b.guardContent?.text) {
      blocks.push('guard');
      texts.push(b.guardContent.text.text);
      transcript.add(b.guardContent.text.text);
    } else if (b.image) {
      blocks.push('image');
      const at = `messages.${index + 1}.member.content.${j + 1}.member`;
      media.push(checkImage(b.image.format, mediaBytes(b.image.source, where), at));
    } else if (b.document) {
      blocks.push('document');
      const at = `messages.${index + 1}.member.content.${j + 1}.member`;
      const format = b.document.format ?? 'txt';
      media.push(checkDocument(format, b.document.name, mediaBytes(b.document.source, where), at));
    } else if (b.toolUse) {
      blocks.push('toolUse');
      (msg.toolUses ??= []).push({
        id: b.toolUse.toolUseId,
        name: b.toolUse.name,
        input: b.toolUse.input,
      });
      transcript.add(JSON.stringify(b.toolUse));
    } else if (b.toolResult) {
      blocks.push('toolResult');
      const text = b.toolResult.content
        .map((c) => c.text ?? (c.json !== undefined ? JSON.stringify(c.json) : ''))
        .filter((s) => s.length > 0)
        .join('\n');
      (msg.toolResults ??= []).push({
        toolUseId: b.toolResult.toolUseId,
        text,
        isError: b.toolResult.status === 'error',
      });
      transcript.add(text);
    } else if (b.reasoningContent) {
      blocks.push('reasoning');
      const r = b.reasoningContent;
      if (r.reasoningText) reasoning.push({ kind: 'text', ...r.reasoningText });
      else if (r.redactedContent !== undefined)
        reasoning.push({ kind: 'redacted', data: r.redactedContent });
    } else if (b.cachePoint) {
      blocks.push('cachePoint');
      transcript.checkpoint(b.cachePoint.ttl);
    }
  });
  checkMessageMedia(media, m.role, texts.length > 0, `messages.${index}`);
  for (const x of media) transcript.extraTokens += x.tokens;
  msg.text = texts.join('\n');
  msg.blocks = blocks;
  if (media.length > 0) msg.media = media;
  if (reasoning.length > 0) msg.reasoning = reasoning;
  return msg;
}

/** Normalises a parsed Converse request (the object the SDK serialises) into a {@link ChatRequest}. */
export function parseConverseRequest(json: unknown): ChatRequest {
  const parsed = ConverseBodySchema.safeParse(json);
  if (!parsed.success) throw malformed(parsed.error);
  const b = parsed.data;
  if (b.messages[0]?.role !== 'user') {
    throw new BedrockHttpError(
      'ValidationException',
      'A conversation must start with a user message.',
    );
  }
  const transcript = new PromptTranscript();
  const tools = toolsOf(b, transcript);
  const system: string[] = [];
  for (const s of b.system ?? []) {
    const text = s.text ?? s.guardContent?.text?.text;
    if (text !== undefined && text.length > 0) {
      system.push(text);
      transcript.add(text);
    }
    if (s.cachePoint) transcript.checkpoint(s.cachePoint.ttl);
  }
  const messages = b.messages.map((m, i) => messageOf(m, i, transcript));
  const guard = b.guardrailConfig;
  return {
    system,
    messages,
    maxTokens: b.inferenceConfig?.maxTokens,
    stopSequences: b.inferenceConfig?.stopSequences,
    temperature: b.inferenceConfig?.temperature,
    tools,
    toolChoice: toolChoiceOf(b),
    thinking: thinkingOf(b),
    guardrail: guard && {
      identifier: guard.guardrailIdentifier,
      version: guard.guardrailVersion,
      trace: guard.trace ?? 'disabled',
      mode: guard.streamProcessingMode ?? 'sync',
    },
    cacheCheckpoints: transcript.checkpoints,
    responseFieldPaths: b.additionalModelResponseFieldPaths,
    extraInputTokens: transcript.extraTokens,
  };
}

/** Parses a Converse/ConverseStream body; throws ValidationException the way Bedrock does. */
export function parseConverseBody(body: Buffer): ChatRequest {
  return parseConverseRequest(parseJson(body));
}
