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
import { PromptTranscript, malformed, textOf } from './requests.js';

const Role = z.enum(['user', 'assistant']);
const CacheControl = z.looseObject({ type: z.string(), ttl: z.string().optional() });
const Source = z.looseObject({
  type: z.string(),
  media_type: z.string().optional(),
  data: z.string().optional(),
});
const Block = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  source: Source.optional(),
  title: z.string().optional(),
  id: z.string().optional(),
  name: z.string().optional(),
  input: z.unknown().optional(),
  tool_use_id: z.string().optional(),
  content: z
    .union([z.string(), z.array(z.looseObject({ type: z.string(), text: z.string().optional() }))])
    .optional(),
  is_error: z.boolean().optional(),
  thinking: z.string().optional(),
  signature: z.string().optional(),
  data: z.string().optional(),
  cache_control: CacheControl.optional(),
});

/** Native Anthropic Messages body as Bedrock's InvokeModel* accept it. */
export const AnthropicBodySchema = z.looseObject({
  anthropic_version: z.string(),
  max_tokens: z.number().int().min(1),
  messages: z
    .array(z.object({ role: Role, content: z.union([z.string(), z.array(Block)]) }))
    .min(1),
  system: z.union([z.string(), z.array(Block)]).optional(),
  stop_sequences: z.array(z.string()).optional(),
  temperature: z.number().min(0).max(1).optional(),
  tools: z
    .array(
      z.looseObject({
        name: z.string(),
        description: z.string().optional(),
        input_schema: z.record(z.string(), z.unknown()).optional(),
        cache_control: CacheControl.optional(),
      }),
    )
    .optional(),
  tool_choice: z
    .looseObject({ type: z.enum(['auto', 'any', 'tool', 'none']), name: z.string().optional() })
    .optional(),
  thinking: z
    .union([
      z.looseObject({ type: z.literal('enabled'), budget_tokens: z.number().int() }),
      z.looseObject({ type: z.literal('disabled') }),
      z.looseObject({ type: z.literal('adaptive') }),
    ])
    .optional(),
});

type Body = z.infer<typeof AnthropicBodySchema>;

const IMAGE_TYPES: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

function mediaOf(b: z.infer<typeof Block>, where: string): MediaInput {
  const source = b.source;
  if (
    !source ||
    source.data === undefined ||
    (source.type !== 'base64' && source.type !== 'text')
  ) {
    throw new BedrockHttpError(
      'ValidationException',
      `${where}.source: the local endpoint accepts base64 (or text) sources only.`,
    );
  }
  const bytes =
    source.type === 'text' ? Buffer.from(source.data) : decodeBase64(source.data, where);
  if (b.type === 'image') {
    const format = IMAGE_TYPES[source.media_type ?? ''] ?? source.media_type ?? '';
    return checkImage(format, bytes, where);
  }
  const format = source.media_type === 'application/pdf' ? 'pdf' : 'txt';
  return checkDocument(format, b.title ?? 'document', bytes, where);
}

function toolResultText(b: z.infer<typeof Block>): string {
  if (typeof b.content === 'string') return b.content;
  return textOf(b.content ?? []);
}

function messageOf(
  m: Body['messages'][number],
  index: number,
  transcript: PromptTranscript,
): ChatMessage {
  if (typeof m.content === 'string') {
    transcript.add(m.content);
    return { role: m.role, text: m.content, blocks: ['text'] };
  }
  const blocks: BlockKind[] = [];
  const texts: string[] = [];
  const media: MediaInput[] = [];
  const reasoning: ReasoningInput[] = [];
  const msg: ChatMessage = { role: m.role, text: '' };
  m.content.forEach((b, j) => {
    const where = `messages.${index}.content.${j}`;
    switch (b.type) {
      case 'text':
        blocks.push('text');
        texts.push(b.text ?? '');
        transcript.add(b.text ?? '');
        break;
      case 'image':
      case 'document':
        blocks.push(b.type);
        media.push(mediaOf(b, where));
        break;
      case 'tool_use':
        blocks.push('toolUse');
        (msg.toolUses ??= []).push({ id: b.id ?? '', name: b.name ?? '', input: b.input ?? {} });
        transcript.add(JSON.stringify([b.id, b.name, b.input]));
        break;
      case 'tool_result': {
        blocks.push('toolResult');
        const text = toolResultText(b);
        (msg.toolResults ??= []).push({
          toolUseId: b.tool_use_id ?? '',
          text,
          isError: b.is_error === true,
        });
        transcript.add(text);
        break;
      }
      case 'thinking':
        blocks.push('reasoning');
        reasoning.push({ kind: 'text', text: b.thinking ?? '', signature: b.signature });
        break;
      case 'redacted_thinking':
        blocks.push('reasoning');
        reasoning.push({ kind: 'redacted', data: b.data ?? '' });
        break;
      default:
        throw new BedrockHttpError(
          'ValidationException',
          `${where}.type: Input tag '${b.type}' found using 'type' does not match any of the expected tags: 'text', 'image', 'document', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking'`,
        );
    }
    if (b.cache_control) transcript.checkpoint(b.cache_control.ttl);
  });
  // The Messages API does not ask for a text block beside a document (Converse does).
  checkMessageMedia(media, m.role, true, `messages.${index}`);
  for (const x of media) transcript.extraTokens += x.tokens;
  msg.text = texts.join('\n');
  msg.blocks = blocks;
  if (media.length > 0) msg.media = media;
  if (reasoning.length > 0) msg.reasoning = reasoning;
  return msg;
}

function thinkingOf(b: Body): ThinkingRequest | undefined {
  const t = b.thinking;
  if (t === undefined || t.type === 'disabled') return undefined;
  return t.type === 'enabled'
    ? { type: 'enabled', budgetTokens: t.budget_tokens }
    : { type: 'adaptive' };
}

function toolChoiceOf(b: Body): ToolChoice | undefined {
  const c = b.tool_choice;
  if (!c) return undefined;
  if (c.type === 'tool') return { type: 'tool', name: c.name ?? '' };
  return { type: c.type };
}

/** Normalises a parsed Anthropic Messages body (InvokeModel*) into a {@link ChatRequest}. */
export function parseAnthropicRequest(json: unknown): ChatRequest {
  const parsed = AnthropicBodySchema.safeParse(json);
  if (!parsed.success) throw malformed(parsed.error);
  const b = parsed.data;
  const transcript = new PromptTranscript();
  let tools: ToolSpec[] | undefined;
  if (b.tools) {
    tools = b.tools.map((t) => {
      const tool = { name: t.name, description: t.description, inputSchema: t.input_schema ?? {} };
      transcript.add(JSON.stringify(tool));
      if (t.cache_control) transcript.checkpoint(t.cache_control.ttl);
      return tool;
    });
    transcript.extraTokens += Math.ceil(JSON.stringify(tools).length / 4);
  }
  const system: string[] = [];
  if (typeof b.system === 'string') {
    if (b.system.length > 0) system.push(b.system);
    transcript.add(b.system);
  } else if (b.system) {
    for (const s of b.system) {
      if (s.text) system.push(s.text);
      transcript.add(s.text ?? '');
      if (s.cache_control) transcript.checkpoint(s.cache_control.ttl);
    }
  }
  const messages = b.messages.map((m, i) => messageOf(m, i, transcript));
  return {
    // The old parser joined array system prompts into one entry; keep that (it seeds the answer).
    system:
      typeof b.system === 'string' || b.system === undefined
        ? system
        : [system.join('\n')].filter((s) => s.length > 0),
    messages,
    maxTokens: b.max_tokens,
    stopSequences: b.stop_sequences,
    temperature: b.temperature,
    tools,
    toolChoice: toolChoiceOf(b),
    thinking: thinkingOf(b),
    cacheCheckpoints: transcript.checkpoints,
    extraInputTokens: transcript.extraTokens,
  };
}
