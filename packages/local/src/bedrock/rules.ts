import type { ChatRequest } from './chat.js';
import { BedrockHttpError } from './errors.js';
import type { ModelInfo } from './models.js';
import { verifyReasoningSignature } from './thinking.js';

/** Which API the request came through: errors from the model read differently in each. */
export type RequestApi = 'converse' | 'native';

/** Most cache checkpoints a request may carry. */
export const MAX_CACHE_CHECKPOINTS = 4;

/**
 * An error the model (not Bedrock) raised: Converse wraps it in "The model returned the
 * following errors: ...", InvokeModel passes the model's message through.
 */
function modelError(api: RequestApi, message: string): BedrockHttpError {
  return new BedrockHttpError(
    'ValidationException',
    api === 'converse' ? `The model returned the following errors: ${message}` : message,
  );
}

function checkTurns(req: ChatRequest, api: RequestApi): void {
  for (let i = 1; i < req.messages.length; i++) {
    const role = req.messages[i]?.role;
    if (role === req.messages[i - 1]?.role) {
      if (api === 'converse') {
        throw new BedrockHttpError(
          'ValidationException',
          'A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.',
        );
      }
      throw modelError(
        api,
        `messages: roles must alternate between "user" and "assistant", but found multiple "${role}" roles in a row`,
      );
    }
  }
}

function checkTools(req: ChatRequest, api: RequestApi): void {
  const usesTools = req.messages.some((m) => m.toolUses?.length || m.toolResults?.length);
  if (api === 'converse' && usesTools && req.tools === undefined) {
    throw new BedrockHttpError(
      'ValidationException',
      'The toolConfig field must be defined when using toolUse and toolResult content blocks.',
    );
  }
  const names = (req.tools ?? []).map((t) => t.name);
  if (new Set(names).size !== names.length)
    throw modelError(api, 'tools: Tool names must be unique.');
  const choice = req.toolChoice;
  if (choice?.type === 'tool' && !names.includes(choice.name)) {
    throw modelError(api, `tool_choice: Tool '${choice.name}' not found in tools.`);
  }
  // Every tool_use is answered by a tool_result in the next turn, and only those.
  req.messages.forEach((m, i) => {
    const ids = (m.toolUses ?? []).map((t) => t.id);
    const next = req.messages[i + 1];
    const answered = new Set((next?.toolResults ?? []).map((r) => r.toolUseId));
    const missing = ids.filter((id) => !answered.has(id));
    if (m.role === 'assistant' && next && missing.length > 0) {
      throw modelError(
        api,
        `messages.${i + 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`,
      );
    }
    const prev = new Set(i > 0 ? (req.messages[i - 1]?.toolUses ?? []).map((t) => t.id) : []);
    const stray = (m.toolResults ?? []).map((r) => r.toolUseId).filter((id) => !prev.has(id));
    if (stray.length > 0) {
      throw modelError(
        api,
        `messages.${i}.content.0: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${stray.join(', ')}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`,
      );
    }
  });
}

function checkThinking(req: ChatRequest, model: ModelInfo, api: RequestApi): void {
  const thinking = req.thinking;
  if (thinking === undefined) return;
  if (!model.thinking) {
    if (api === 'converse' && model.family === 'anthropic')
      throw modelError(api, 'thinking: Extra inputs are not permitted');
    throw new BedrockHttpError(
      'ValidationException',
      'Malformed input request: #: extraneous key [thinking] is not permitted, please reformat your input and try again.',
    );
  }
  if (thinking.type === 'adaptive' && !model.adaptiveThinking) {
    throw modelError(api, "thinking.type: Input should be 'enabled' or 'disabled'");
  }
  if (thinking.type === 'enabled') {
    if (thinking.budgetTokens < 1024) {
      throw modelError(
        api,
        'thinking.enabled.budget_tokens: Input should be greater than or equal to 1024',
      );
    }
    if (req.maxTokens !== undefined && req.maxTokens <= thinking.budgetTokens) {
      throw modelError(
        api,
        '`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size',
      );
    }
  }
  if (req.temperature !== undefined && req.temperature !== 1) {
    throw modelError(
      api,
      '`temperature` may only be set to 1 when thinking is enabled. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility',
    );
  }
  if (req.toolChoice?.type === 'any' || req.toolChoice?.type === 'tool') {
    throw modelError(api, 'Thinking may not be enabled when tool_choice forces tool use.');
  }
  // The assistant turn that made the pending tool calls must hand its reasoning back first.
  const last = req.messages.length - 1;
  const lastAssistant = req.messages[last - 1];
  if (req.messages[last]?.toolResults?.length && lastAssistant?.toolUses?.length) {
    const first = lastAssistant.blocks?.[0];
    if (first !== 'reasoning') {
      throw modelError(
        api,
        `messages.${last - 1}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${first === 'toolUse' ? 'tool_use' : (first ?? 'text')}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block (preceeding the lastmost set of \`tool_use\` and \`tool_result\` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable \`thinking\`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking`,
      );
    }
  }
}

function checkSignatures(req: ChatRequest, api: RequestApi): void {
  req.messages.forEach((m, i) => {
    const j = (m.blocks ?? []).indexOf('reasoning');
    for (const r of m.reasoning ?? []) {
      if (
        r.kind === 'text' &&
        (r.signature === undefined || !verifyReasoningSignature(r.text, r.signature))
      ) {
        throw modelError(
          api,
          `messages.${i}.content.${Math.max(0, j)}: Invalid \`signature\` in \`thinking\` block`,
        );
      }
    }
  });
}

/**
 * The checks that depend on the model and on how the parts of a request fit together (the
 * body schemas check shapes): role order, tool use/result pairing, thinking support and its
 * constraints, reasoning signatures, output and cache limits, media support.
 */
export function checkRequest(req: ChatRequest, model: ModelInfo, api: RequestApi): void {
  checkTurns(req, api);
  checkTools(req, api);
  checkThinking(req, model, api);
  checkSignatures(req, api);
  if (
    model.family === 'anthropic' &&
    req.maxTokens !== undefined &&
    req.maxTokens > model.maxOutputTokens
  ) {
    throw modelError(
      api,
      `max_tokens: ${req.maxTokens} > ${model.maxOutputTokens}, which is the maximum allowed number of output tokens for ${model.id}`,
    );
  }
  const checkpoints = req.cacheCheckpoints?.length ?? 0;
  if (checkpoints > 0 && model.cacheMinTokens === undefined) {
    throw new BedrockHttpError(
      'AccessDeniedException',
      'You invoked an unsupported model or your request did not allow prompt caching. See the documentation for more information.',
    );
  }
  if (checkpoints > MAX_CACHE_CHECKPOINTS) {
    throw modelError(
      api,
      `A maximum of ${MAX_CACHE_CHECKPOINTS} blocks with cache_control may be provided. Found ${checkpoints}.`,
    );
  }
  const media = req.messages.flatMap((m) => m.media ?? []);
  const unsupported = media.find(() => !model.media);
  if (unsupported) {
    throw new BedrockHttpError(
      'ValidationException',
      `This model doesn't support the ${unsupported.kind} content block that you provided. Try again with a supported content block or a different model.`,
    );
  }
}
