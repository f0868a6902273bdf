// zod/mini: tree-shakable functions, where the method-chain build puts 450 KB into every
// bundle that imports it (the worker's cold start, the web app). zod's English messages,
// which the full build installs on import, are installed here (the locale alone: the
// locales index would keep every language in a bundle).
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { deferred, once } from './lazy-schema.js';
import { LIMITS } from './limits.js';

z.config(en());

/**
 * Text a user may send: any Unicode except control characters other than tab,
 * newline and carriage return, and no lone surrogates (invalid UTF-16/UTF-8).
 */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function safeText(field: string, max: number) {
  return z.string().check(
    z.maxLength(max, `${field} exceeds ${max} characters`),
    z.refine((s) => !CONTROL_CHARS.test(s), `${field} contains control characters`),
    z.refine((s) => !LONE_SURROGATE.test(s), `${field} contains invalid Unicode (lone surrogate)`),
  );
}

/** UUID v4: 122 random bits, what `crypto.randomUUID()` makes. */
export const StreamIdSchema = z
  .string()
  .check(
    z.regex(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      'streamId must be a lowercase UUID v4',
    ),
  );

/** Bedrock model ids, inference-profile ids and ARNs. */
export const ModelIdSchema = z
  .string()
  .check(
    z.minLength(1, 'modelId is empty'),
    z.maxLength(LIMITS.modelIdChars),
    z.regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, 'modelId has characters no Bedrock model id has'),
  );

export const MessageRoleSchema = z.enum(['USER', 'ASSISTANT']);

/**
 * An AWSJSON argument: a JSON string as the client sends it, or the value AppSync parsed
 * it into (what the resolvers store and the worker reads). Either way, the parsed value.
 */
function awsJson<T extends z.ZodMiniType>(field: string, schema: T) {
  // zod/mini has no preprocess: this is what zod's preprocess is (transform, then pipe).
  const parsed = z.transform((value: unknown, ctx) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      ctx.issues.push({ code: 'custom', message: `${field} is not valid JSON`, input: value });
      return z.NEVER;
    }
  });
  return z.pipe(parsed, schema);
}

/** Base64 bytes of an attachment, bounded before decoding. */
function base64Bytes(field: string) {
  return z
    .string()
    .check(
      z.minLength(1, `${field} is empty`),
      z.maxLength(
        LIMITS.attachmentBase64Chars,
        `${field} exceeds ${LIMITS.attachmentBase64Chars} base64 characters`,
      ),
      z.regex(/^[A-Za-z0-9+/]*={0,2}$/, `${field} is not base64`),
    );
}

/** Bedrock's toolUseId and tool name patterns. */
const ToolUseIdSchema = z
  .string()
  .check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'toolUseId must be 1-64 of [A-Za-z0-9_-]'));
export const ToolNameSchema = z
  .string()
  .check(z.regex(/^[a-zA-Z0-9_-]{1,64}$/, 'tool name must be 1-64 of [a-zA-Z0-9_-]'));

/** Image formats Bedrock's Converse API accepts. */
export const IMAGE_FORMATS = ['PNG', 'JPEG', 'GIF', 'WEBP'] as const;
/** Document formats Bedrock's Converse API accepts. */
export const DOCUMENT_FORMATS = [
  'PDF',
  'CSV',
  'DOC',
  'DOCX',
  'XLS',
  'XLSX',
  'HTML',
  'TXT',
  'MD',
] as const;

// The schemas of the input's optional branches (messages and their blocks, tools, inference
// settings) are built once, by the first input that has the branch (see lazy-schema.ts).
// Their exported constants are `/* @__PURE__ */`: a bundle that never names one (the
// worker's) drops its line, so only the builders remain.
const imageBlockSchema = once(() =>
  z.strictObject({
    format: z.enum(IMAGE_FORMATS),
    bytes: base64Bytes('image bytes'),
  }),
);
export const ImageBlockSchema = /* @__PURE__ */ imageBlockSchema();
const documentBlockSchema = once(() =>
  z.strictObject({
    format: z.enum(DOCUMENT_FORMATS),
    /** Bedrock: alphanumerics, single spaces, hyphens, parentheses and brackets. */
    name: z.string().check(
      z.minLength(1),
      z.maxLength(LIMITS.documentNameChars),
      z.regex(
        /^[A-Za-z0-9\-()[\] ]+$/,
        'document name may hold letters, digits, spaces, - ( ) [ ] only',
      ),
      z.refine((n) => !n.includes('  '), 'document name has consecutive spaces'),
    ),
    bytes: base64Bytes('document bytes'),
  }),
);
export const DocumentBlockSchema = /* @__PURE__ */ documentBlockSchema();
const toolUseBlockSchema = once(() =>
  z.strictObject({
    toolUseId: ToolUseIdSchema,
    name: ToolNameSchema,
    input: awsJson(
      'toolUse.input',
      z.record(z.string(), z.json(), { error: 'toolUse.input must be a JSON object' }),
    ),
  }),
);
export const ToolUseBlockSchema = /* @__PURE__ */ toolUseBlockSchema();
const toolResultBlockSchema = once(() =>
  z.strictObject({
    toolUseId: ToolUseIdSchema,
    /** What the tool returned: any JSON (a string is sent to the model as text). */
    content: awsJson('toolResult.content', z.json()),
    status: z.nullish(z.enum(['SUCCESS', 'ERROR'])),
  }),
);
export const ToolResultBlockSchema = /* @__PURE__ */ toolResultBlockSchema();
const reasoningBlockSchema = once(() =>
  z.strictObject({
    text: z.nullish(safeText('reasoning text', LIMITS.inputChars)),
    signature: z.nullish(z.string().check(z.maxLength(LIMITS.reasoningSignatureChars))),
    redactedContent: z.nullish(z.base64().check(z.maxLength(LIMITS.attachmentBase64Chars))),
  }),
);
export const ReasoningBlockSchema = /* @__PURE__ */ reasoningBlockSchema();

const CONTENT_BLOCK_KINDS = [
  'text',
  'image',
  'document',
  'toolUse',
  'toolResult',
  'reasoning',
  'cachePoint',
] as const;
const contentBlockSchema = once(() =>
  z
    .strictObject({
      text: z.nullish(
        safeText('content text', LIMITS.inputChars).check(z.minLength(1, 'content text is empty')),
      ),
      image: z.nullish(imageBlockSchema()),
      document: z.nullish(documentBlockSchema()),
      toolUse: z.nullish(toolUseBlockSchema()),
      toolResult: z.nullish(toolResultBlockSchema()),
      reasoning: z.nullish(reasoningBlockSchema()),
      /** A prompt-cache checkpoint after the blocks before it (`true`). */
      cachePoint: z.nullish(z.literal(true)),
    })
    .check(
      z.superRefine((block, ctx) => {
        const set = CONTENT_BLOCK_KINDS.filter((k) => block[k] != null);
        if (set.length !== 1)
          ctx.addIssue({
            code: 'custom',
            message: `a content block sets exactly one of ${CONTENT_BLOCK_KINDS.join(', ')} (got ${set.length ? set.join(', ') : 'none'})`,
          });
      }),
    ),
);
/** One content block of a message: exactly one of its fields is set. */
export const ContentBlockSchema = /* @__PURE__ */ contentBlockSchema();
export type ContentBlock = z.infer<typeof ContentBlockSchema>;

const messageSchema = once(() =>
  z
    .strictObject({
      role: MessageRoleSchema,
      /** Plain text of the message. Exclusive with `content`. */
      text: z.nullish(
        safeText('message text', LIMITS.inputChars).check(z.minLength(1, 'message text is empty')),
      ),
      /** Content blocks of the message. Exclusive with `text`. */
      content: z.nullish(
        z
          .array(contentBlockSchema())
          .check(
            z.minLength(1, 'message content is empty'),
            z.maxLength(LIMITS.contentBlocksPerMessage),
          ),
      ),
    })
    .check(
      z.superRefine((message, ctx) => {
        if ((message.text == null) === (message.content == null))
          ctx.addIssue({
            code: 'custom',
            message: 'a message gives exactly one of text or content',
          });
      }),
    ),
);
export const MessageSchema = /* @__PURE__ */ messageSchema();
export type Message = z.infer<typeof MessageSchema>;

const toolSpecSchema = once(() =>
  z.strictObject({
    name: ToolNameSchema,
    description: safeText('tool description', LIMITS.toolDescriptionChars).check(z.minLength(1)),
    inputSchema: awsJson(
      'tool inputSchema',
      z
        .record(z.string(), z.json(), {
          error: "tool inputSchema must be a JSON Schema with type 'object'",
        })
        .check(
          z.refine((s) => s['type'] === 'object', {
            message: "tool inputSchema must be a JSON Schema with type 'object'",
          }),
        ),
    ),
  }),
);
/** A tool the model may call: its name, what it does, and its input's JSON Schema. */
export const ToolSpecSchema = /* @__PURE__ */ toolSpecSchema();
export type ToolSpec = z.infer<typeof ToolSpecSchema>;

const toolChoiceSchema = once(() =>
  z.strictObject({ mode: z.enum(['AUTO', 'ANY', 'TOOL']), name: z.nullish(ToolNameSchema) }).check(
    z.superRefine((choice, ctx) => {
      if ((choice.mode === 'TOOL') !== (choice.name != null))
        ctx.addIssue({
          code: 'custom',
          path: ['name'],
          message: 'toolChoice.name is required with mode TOOL and only then',
        });
    }),
  ),
);
export const ToolChoiceSchema = /* @__PURE__ */ toolChoiceSchema();

const toolConfigSchema = once(() =>
  z
    .strictObject({
      tools: z
        .array(toolSpecSchema())
        .check(z.minLength(1, 'toolConfig.tools is empty'), z.maxLength(LIMITS.tools)),
      toolChoice: z.nullish(toolChoiceSchema()),
    })
    .check(
      z.superRefine((config, ctx) => {
        const names = config.tools.map((t) => t.name);
        const duplicate = names.find((n, i) => names.indexOf(n) !== i);
        if (duplicate)
          ctx.addIssue({
            code: 'custom',
            path: ['tools'],
            message: `tool '${duplicate}' is declared twice`,
          });
        const chosen = config.toolChoice?.name;
        if (chosen && !names.includes(chosen))
          ctx.addIssue({
            code: 'custom',
            path: ['toolChoice', 'name'],
            message: `toolChoice names '${chosen}', which is not in toolConfig.tools`,
          });
      }),
    ),
);
export const ToolConfigSchema = /* @__PURE__ */ toolConfigSchema();
export type ToolConfig = z.infer<typeof ToolConfigSchema>;

const thinkingSchema = once(() =>
  z.strictObject({
    budgetTokens: z.int().check(z.gte(LIMITS.thinkingBudgetMin), z.lte(LIMITS.maxTokens)),
  }),
);
/** Extended thinking: the model may spend up to `budgetTokens` reasoning first. */
export const ThinkingSchema = /* @__PURE__ */ thinkingSchema();

const inferenceConfigSchema = once(() =>
  z.strictObject({
    maxTokens: z.nullish(z.int().check(z.gte(1), z.lte(LIMITS.maxTokens))),
    temperature: z.nullish(z.number().check(z.gte(0), z.lte(1))),
    topP: z.nullish(z.number().check(z.gte(0), z.lte(1))),
    stopSequences: z.nullish(
      z
        .array(safeText('stop sequence', LIMITS.stopSequenceChars).check(z.minLength(1)))
        .check(z.maxLength(LIMITS.stopSequences)),
    ),
  }),
);
export const InferenceConfigSchema = /* @__PURE__ */ inferenceConfigSchema();
export type InferenceConfig = z.infer<typeof InferenceConfigSchema>;

export const BedrockApiSchema = z.enum(['CONVERSE', 'INVOKE_MODEL']);

/**
 * The startStream input. Exactly one of `messages` (ending with a USER turn) or
 * `prompt`; total text bounded by LIMITS.inputChars. Mirrors StartStreamInput in
 * schema.graphql; the resolver enforces the same bounds server-side.
 */
export const StartStreamInputSchema = z
  .strictObject({
    streamId: StreamIdSchema,
    modelId: ModelIdSchema,
    // The branches only some inputs use are `deferred`: built by the first input that has them.
    messages: z.nullish(
      deferred(() =>
        z
          .array(messageSchema())
          .check(z.minLength(1, 'messages is empty'), z.maxLength(LIMITS.messages)),
      ),
    ),
    prompt: z.nullish(
      safeText('prompt', LIMITS.inputChars).check(z.minLength(1, 'prompt is empty')),
    ),
    system: z.nullish(safeText('system', LIMITS.systemChars)),
    inferenceConfig: z.nullish(deferred(inferenceConfigSchema)),
    api: z.nullish(BedrockApiSchema),
    /** Put a prompt-cache checkpoint after the system prompt. */
    cacheSystem: z.nullish(z.boolean()),
    /** Tools the app declares (it runs them); the worker's own tools are added to these. */
    toolConfig: z.nullish(deferred(toolConfigSchema)),
    thinking: z.nullish(deferred(thinkingSchema)),
    /** Model calls in one answer when tools are used (default 5). */
    maxSteps: z.nullish(z.int().check(z.gte(1), z.lte(LIMITS.maxSteps))),
  })
  .check(
    z.superRefine((input, ctx) => {
      const hasMessages = input.messages != null;
      const hasPrompt = input.prompt != null;
      if (hasMessages === hasPrompt) {
        ctx.addIssue({
          code: 'custom',
          path: [],
          message: 'give exactly one of messages or prompt',
        });
        return;
      }
      if (input.messages) {
        const last = input.messages[input.messages.length - 1];
        if (last && last.role !== 'USER') {
          ctx.addIssue({
            code: 'custom',
            path: ['messages'],
            message: 'the last message must be a USER message',
          });
        }
        const total = input.messages.reduce((n, m) => n + messageChars(m), 0);
        if (total > LIMITS.inputChars) {
          ctx.addIssue({
            code: 'custom',
            path: ['messages'],
            message: `messages total ${total} characters, over the ${LIMITS.inputChars} bound`,
          });
        }
        const blocks = input.messages.flatMap((m) => m.content ?? []);
        const images = blocks.filter((b) => b.image != null).length;
        const documents = blocks.filter((b) => b.document != null).length;
        const attachmentChars = blocks.reduce(
          (n, b) => n + (b.image?.bytes.length ?? 0) + (b.document?.bytes.length ?? 0),
          0,
        );
        if (images > LIMITS.images)
          ctx.addIssue({
            code: 'custom',
            path: ['messages'],
            message: `${images} images, over Bedrock's ${LIMITS.images}`,
          });
        if (documents > LIMITS.documents)
          ctx.addIssue({
            code: 'custom',
            path: ['messages'],
            message: `${documents} documents, over Bedrock's ${LIMITS.documents}`,
          });
        if (attachmentChars > LIMITS.attachmentBase64Chars)
          ctx.addIssue({
            code: 'custom',
            path: ['messages'],
            message: `attachments total ${attachmentChars} base64 characters, over the ${LIMITS.attachmentBase64Chars} bound (larger files: see the S3 note in the contracts README)`,
          });
        const cachePoints =
          blocks.filter((b) => b.cachePoint != null).length + (input.cacheSystem ? 1 : 0);
        if (cachePoints > LIMITS.cachePoints)
          ctx.addIssue({
            code: 'custom',
            path: ['messages'],
            message: `${cachePoints} cache points, over Bedrock's ${LIMITS.cachePoints}`,
          });
      }
      if (
        input.thinking &&
        input.inferenceConfig?.maxTokens != null &&
        input.inferenceConfig.maxTokens <= input.thinking.budgetTokens
      )
        ctx.addIssue({
          code: 'custom',
          path: ['thinking', 'budgetTokens'],
          message: 'thinking.budgetTokens must be below inferenceConfig.maxTokens',
        });
    }),
  );

/** Characters a message counts toward LIMITS.inputChars (text, reasoning, tool JSON). */
function messageChars(message: Message): number {
  if (message.text != null) return message.text.length;
  return (message.content ?? []).reduce(
    (n, b) =>
      n +
      (b.text?.length ?? 0) +
      (b.reasoning?.text?.length ?? 0) +
      (b.toolUse ? JSON.stringify(b.toolUse.input).length : 0) +
      (b.toolResult ? JSON.stringify(b.toolResult.content).length : 0),
    0,
  );
}
export type StartStreamInputParsed = z.infer<typeof StartStreamInputSchema>;
