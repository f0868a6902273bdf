import { z } from 'zod';
import { LIMITS } from './limits.js';

/**
 * Text a user may send: any Unicode except control characters other than tab,
 * newline and carriage return, and no lone surrogates (invalid UTF-16/UTF-8).
 */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function safeText(field: string, max: number) {
  return z
    .string()
    .max(max, `${field} exceeds ${max} characters`)
    .refine((s) => !CONTROL_CHARS.test(s), `${field} contains control characters`)
    .refine((s) => !LONE_SURROGATE.test(s), `${field} contains invalid Unicode (lone surrogate)`);
}

/** UUID v4: 122 random bits, what `crypto.randomUUID()` makes. */
export const StreamIdSchema = z
  .string()
  .regex(
    /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    'streamId must be a lowercase UUID v4',
  );

/** Bedrock model ids, inference-profile ids and ARNs. */
export const ModelIdSchema = z
  .string()
  .min(1, 'modelId is empty')
  .max(LIMITS.modelIdChars)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, 'modelId has characters no Bedrock model id has');

export const MessageRoleSchema = z.enum(['USER', 'ASSISTANT']);

export const MessageSchema = z.strictObject({
  role: MessageRoleSchema,
  text: safeText('message text', LIMITS.inputChars).min(1, 'message text is empty'),
});
export type Message = z.infer<typeof MessageSchema>;

export const InferenceConfigSchema = z.strictObject({
  maxTokens: z.number().int().min(1).max(LIMITS.maxTokens).nullish(),
  temperature: z.number().min(0).max(1).nullish(),
  topP: z.number().min(0).max(1).nullish(),
  stopSequences: z
    .array(safeText('stop sequence', LIMITS.stopSequenceChars).min(1))
    .max(LIMITS.stopSequences)
    .nullish(),
});
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
    messages: z.array(MessageSchema).min(1, 'messages is empty').max(LIMITS.messages).nullish(),
    prompt: safeText('prompt', LIMITS.inputChars).min(1, 'prompt is empty').nullish(),
    system: safeText('system', LIMITS.systemChars).nullish(),
    inferenceConfig: InferenceConfigSchema.nullish(),
    api: BedrockApiSchema.nullish(),
  })
  .superRefine((input, ctx) => {
    const hasMessages = input.messages != null;
    const hasPrompt = input.prompt != null;
    if (hasMessages === hasPrompt) {
      ctx.addIssue({ code: 'custom', path: [], message: 'give exactly one of messages or prompt' });
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
      const total = input.messages.reduce((n, m) => n + m.text.length, 0);
      if (total > LIMITS.inputChars) {
        ctx.addIssue({
          code: 'custom',
          path: ['messages'],
          message: `messages total ${total} characters, over the ${LIMITS.inputChars} bound`,
        });
      }
    }
  });
export type StartStreamInputParsed = z.infer<typeof StartStreamInputSchema>;
