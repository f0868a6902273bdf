// Server-side validation of StartStreamInput, mirroring contracts' StartStreamInputSchema
// (zod cannot run in APPSYNC_JS). Every failure is a ValidationError naming the field.
import { util } from '@aws-appsync/utils';
import { LIMITS } from './common.js';

// Patterns are strings for util.matches (whole-string match; APPSYNC_JS has no regex literals).
const CONTROL = '(?s).*[\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F].*';
const LONE_SURROGATE =
  '(?s).*([\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])|(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]).*';
const MODEL_ID = '[A-Za-z0-9][A-Za-z0-9._:/-]*';

function invalid(message: string): void {
  util.error(`invalid startStream input: ${message}`, 'ValidationError');
}

function checkText(field: string, value: unknown, max: number, required: boolean): number {
  if (value === null || value === undefined) {
    if (required) invalid(`${field} is required`);
    return 0;
  }
  if (typeof value !== 'string') {
    invalid(`${field} must be a string`);
    return 0;
  }
  if (required && value.length === 0) invalid(`${field} is empty`);
  if (value.length > max) invalid(`${field} exceeds ${max} characters`);
  if (util.matches(CONTROL, value)) invalid(`${field} contains control characters`);
  if (util.matches(LONE_SURROGATE, value)) invalid(`${field} contains invalid Unicode`);
  return value.length;
}

/** Validates the input and returns it without `streamId` for storage. */
export function validateStartInput(
  input: Record<string, unknown>,
  allowedModelIds: string,
): Record<string, unknown> {
  const modelId = input['modelId'];
  if (
    typeof modelId !== 'string' ||
    modelId.length === 0 ||
    modelId.length > LIMITS.modelIdChars ||
    !util.matches(MODEL_ID, modelId)
  ) {
    invalid('modelId is not a Bedrock model id');
  }
  const allowed = allowedModelIds.length > 0 ? allowedModelIds.split(',') : [];
  if (allowed.length > 0 && allowed.indexOf(modelId as string) === -1) {
    invalid(`modelId '${modelId as string}' is not allowed (allowed: ${allowed.join(', ')})`);
  }
  const messages = input['messages'];
  const prompt = input['prompt'];
  const hasMessages = messages !== null && messages !== undefined;
  const hasPrompt = prompt !== null && prompt !== undefined;
  if (hasMessages === hasPrompt) invalid('give exactly one of messages or prompt');
  let total = 0;
  if (hasPrompt) total = checkText('prompt', prompt, LIMITS.inputChars, true);
  if (hasMessages) {
    const list = messages as Array<Record<string, unknown>>;
    if (list.length === 0) invalid('messages is empty');
    if (list.length > LIMITS.messages) invalid(`more than ${LIMITS.messages} messages`);
    let i = 0;
    for (const message of list) {
      total += checkText(`messages.${i}.text`, message['text'], LIMITS.inputChars, true);
      i += 1;
    }
    if (list[list.length - 1]?.['role'] !== 'USER')
      invalid('the last message must be a USER message');
  }
  if (total > LIMITS.inputChars)
    invalid(`input totals ${total} characters, over the ${LIMITS.inputChars} bound`);
  checkText('system', input['system'], LIMITS.systemChars, false);
  const config = input['inferenceConfig'] as Record<string, unknown> | null | undefined;
  if (config) {
    const maxTokens = config['maxTokens'];
    if (maxTokens !== null && maxTokens !== undefined) {
      if (
        typeof maxTokens !== 'number' ||
        maxTokens < 1 ||
        maxTokens > LIMITS.maxTokens ||
        Math.floor(maxTokens) !== maxTokens
      ) {
        invalid(`inferenceConfig.maxTokens must be an integer from 1 to ${LIMITS.maxTokens}`);
      }
    }
    const temperature = config['temperature'];
    if (
      temperature !== null &&
      temperature !== undefined &&
      ((temperature as number) < 0 || (temperature as number) > 1)
    ) {
      invalid('inferenceConfig.temperature must be between 0 and 1');
    }
    const topP = config['topP'];
    if (topP !== null && topP !== undefined && ((topP as number) < 0 || (topP as number) > 1)) {
      invalid('inferenceConfig.topP must be between 0 and 1');
    }
    const stops = config['stopSequences'] as unknown[] | null | undefined;
    if (stops) {
      if (stops.length > LIMITS.stopSequences)
        invalid(`more than ${LIMITS.stopSequences} stop sequences`);
      let i = 0;
      for (const stop of stops) {
        checkText(`inferenceConfig.stopSequences.${i}`, stop, LIMITS.stopSequenceChars, true);
        i += 1;
      }
    }
  }
  const stored: Record<string, unknown> = {};
  for (const key of Object.keys(input)) {
    if (key !== 'streamId' && input[key] !== null && input[key] !== undefined)
      stored[key] = input[key];
  }
  return stored;
}
