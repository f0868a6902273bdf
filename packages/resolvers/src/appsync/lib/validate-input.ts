// Server-side validation of StartStreamInput, mirroring contracts' StartStreamInputSchema
// (zod cannot run in APPSYNC_JS), and of the conversation inputs (titles, turn options, user
// content, tool results), which reuse its block and option checks. Every failure is a
// ValidationError naming the field. It stays whole (~440 lines): the conversation checks are
// built from the startStream ones, and one file keeps both in step with contracts.
import { util } from '@aws-appsync/utils';
import { LIMITS } from './common.js';

// Patterns are strings for util.matches (whole-string match; APPSYNC_JS has no regex literals).
const CONTROL = '(?s).*[\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F].*';
const LONE_SURROGATE =
  '(?s).*([\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])|(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]).*';
const MODEL_ID = '[A-Za-z0-9][A-Za-z0-9._:/-]*';

// What the errors name ("invalid startStream input: ..."): set by each exported entry point
// (a module is evaluated afresh for every request, so this never leaks between calls).
let subject = 'startStream input';

function invalid(message: string): void {
  util.error(`invalid ${subject}: ${message}`, 'ValidationError');
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

interface Counts {
  images: number;
  documents: number;
  attachmentChars: number;
  cachePoints: number;
}

const TOOL_NAME = '[a-zA-Z0-9_-]{1,64}';
const TOOL_USE_ID = '[A-Za-z0-9_-]{1,64}';
const BASE64 = '[A-Za-z0-9+/]*={0,2}';
const DOCUMENT_NAME = '[A-Za-z0-9\\-()\\[\\] ]+';
/** The blocks a user message of a conversation may hold (the rest are the model's). */
const USER_BLOCK_KINDS = ['text', 'image', 'document'];
const BLOCK_KINDS = [
  'text',
  'image',
  'document',
  'toolUse',
  'toolResult',
  'reasoning',
  'cachePoint',
];

function isSet(value: unknown): boolean {
  return value !== null && value !== undefined;
}

function checkPattern(field: string, value: unknown, pattern: string, what: string): void {
  if (typeof value !== 'string' || !util.matches(pattern, value)) invalid(`${field} ${what}`);
}

function checkBase64(field: string, value: unknown): number {
  if (typeof value !== 'string' || value.length === 0) invalid(`${field} is empty`);
  const text = value as string;
  if (text.length > LIMITS.attachmentBase64Chars)
    invalid(`${field} exceeds ${LIMITS.attachmentBase64Chars} base64 characters`);
  if (!util.matches(BASE64, text)) invalid(`${field} is not base64`);
  return text.length;
}

/** Characters of a JSON value (an AWSJSON argument AppSync already parsed). */
function jsonChars(value: unknown): number {
  return JSON.stringify(value).length;
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One content block: exactly one kind set; returns the characters it counts. */
function checkBlock(field: string, block: Record<string, unknown>, counts: Counts): number {
  let set = 0;
  for (const kind of BLOCK_KINDS) {
    if (isSet(block[kind])) set += 1;
  }
  if (set !== 1) invalid(`${field} sets exactly one of ${BLOCK_KINDS.join(', ')} (got ${set})`);
  if (isSet(block['text']))
    return checkText(`${field}.text`, block['text'], LIMITS.inputChars, true);
  const image = block['image'] as Record<string, unknown> | null | undefined;
  if (image) {
    counts.images += 1;
    counts.attachmentChars += checkBase64(`${field}.image.bytes`, image['bytes']);
    return 0;
  }
  const document = block['document'] as Record<string, unknown> | null | undefined;
  if (document) {
    counts.documents += 1;
    const name = document['name'];
    if (
      typeof name !== 'string' ||
      name.length > LIMITS.documentNameChars ||
      !util.matches(DOCUMENT_NAME, name) ||
      name.indexOf('  ') !== -1
    )
      invalid(`${field}.document.name may hold letters, digits, single spaces, - ( ) [ ] only`);
    counts.attachmentChars += checkBase64(`${field}.document.bytes`, document['bytes']);
    return 0;
  }
  const toolUse = block['toolUse'] as Record<string, unknown> | null | undefined;
  if (toolUse) {
    checkPattern(
      `${field}.toolUse.toolUseId`,
      toolUse['toolUseId'],
      TOOL_USE_ID,
      'must be 1-64 of [A-Za-z0-9_-]',
    );
    checkPattern(
      `${field}.toolUse.name`,
      toolUse['name'],
      TOOL_NAME,
      'must be 1-64 of [a-zA-Z0-9_-]',
    );
    if (!isObject(toolUse['input'])) invalid(`${field}.toolUse.input must be a JSON object`);
    return jsonChars(toolUse['input']);
  }
  const toolResult = block['toolResult'] as Record<string, unknown> | null | undefined;
  if (toolResult) {
    checkPattern(
      `${field}.toolResult.toolUseId`,
      toolResult['toolUseId'],
      TOOL_USE_ID,
      'must be 1-64 of [A-Za-z0-9_-]',
    );
    return jsonChars(toolResult['content']);
  }
  const reasoning = block['reasoning'] as Record<string, unknown> | null | undefined;
  if (reasoning) {
    const signature = reasoning['signature'];
    if (typeof signature === 'string' && signature.length > LIMITS.reasoningSignatureChars)
      invalid(`${field}.reasoning.signature exceeds ${LIMITS.reasoningSignatureChars} characters`);
    if (isSet(reasoning['redactedContent']))
      checkBase64(`${field}.reasoning.redactedContent`, reasoning['redactedContent']);
    return checkText(`${field}.reasoning.text`, reasoning['text'], LIMITS.inputChars, false);
  }
  if (block['cachePoint'] !== true) invalid(`${field}.cachePoint must be true when set`);
  counts.cachePoints += 1;
  return 0;
}

/** One message: exactly one of text or content; returns the characters it counts. */
function checkMessage(field: string, message: Record<string, unknown>, counts: Counts): number {
  const content = message['content'] as Array<Record<string, unknown>> | null | undefined;
  if (isSet(message['text']) === isSet(content))
    invalid(`${field} gives exactly one of text or content`);
  if (!content) return checkText(`${field}.text`, message['text'], LIMITS.inputChars, true);
  if (content.length === 0) invalid(`${field}.content is empty`);
  if (content.length > LIMITS.contentBlocksPerMessage)
    invalid(`${field}.content has more than ${LIMITS.contentBlocksPerMessage} blocks`);
  let chars = 0;
  let i = 0;
  for (const block of content) {
    chars += checkBlock(`${field}.content.${i}`, block, counts);
    i += 1;
  }
  return chars;
}

function checkToolConfig(value: unknown): void {
  if (!isSet(value)) return;
  const config = value as Record<string, unknown>;
  const tools = config['tools'] as Array<Record<string, unknown>>;
  if (tools.length === 0) invalid('toolConfig.tools is empty');
  if (tools.length > LIMITS.tools) invalid(`more than ${LIMITS.tools} tools`);
  const names: string[] = [];
  let i = 0;
  for (const tool of tools) {
    const name = tool['name'] as string;
    checkPattern(`toolConfig.tools.${i}.name`, name, TOOL_NAME, 'must be 1-64 of [a-zA-Z0-9_-]');
    if (names.indexOf(name) !== -1) invalid(`tool '${name}' is declared twice`);
    names.push(name);
    checkText(
      `toolConfig.tools.${i}.description`,
      tool['description'],
      LIMITS.toolDescriptionChars,
      true,
    );
    const schema = tool['inputSchema'] as Record<string, unknown>;
    if (!isObject(schema) || schema['type'] !== 'object')
      invalid(`toolConfig.tools.${i}.inputSchema must be a JSON Schema with type 'object'`);
    i += 1;
  }
  const choice = config['toolChoice'] as Record<string, unknown> | null | undefined;
  if (choice) {
    const chosen = choice['name'];
    if ((choice['mode'] === 'TOOL') !== isSet(chosen))
      invalid('toolChoice.name is required with mode TOOL and only then');
    if (isSet(chosen) && names.indexOf(chosen as string) === -1)
      invalid(`toolChoice names '${chosen as string}', which is not in toolConfig.tools`);
  }
}

/** A Bedrock model id on the allow-list (comma-separated; empty allows any). */
function checkModelId(modelId: unknown, allowedModelIds: string): void {
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
}

function checkAttachmentCounts(counts: Counts): void {
  if (counts.images > LIMITS.images)
    invalid(`${counts.images} images, over Bedrock's ${LIMITS.images}`);
  if (counts.documents > LIMITS.documents)
    invalid(`${counts.documents} documents, over Bedrock's ${LIMITS.documents}`);
  if (counts.attachmentChars > LIMITS.attachmentBase64Chars)
    invalid(
      `attachments total ${counts.attachmentChars} base64 characters, over the ${LIMITS.attachmentBase64Chars} bound`,
    );
}

/** The options of an answer (startStream's and a conversation turn's): inference, tools, thinking. */
function checkOptions(input: Record<string, unknown>, cachePoints: number): void {
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
  if (cachePoints > LIMITS.cachePoints)
    invalid(`${cachePoints} cache points, over Bedrock's ${LIMITS.cachePoints}`);
  checkToolConfig(input['toolConfig']);
  const thinking = input['thinking'] as Record<string, unknown> | null | undefined;
  if (thinking) {
    const budget = thinking['budgetTokens'] as number;
    if (budget < LIMITS.thinkingBudgetMin || budget > LIMITS.maxTokens)
      invalid(
        `thinking.budgetTokens must be an integer from ${LIMITS.thinkingBudgetMin} to ${LIMITS.maxTokens}`,
      );
    const maxTokens = config?.['maxTokens'];
    if (typeof maxTokens === 'number' && maxTokens <= budget)
      invalid('thinking.budgetTokens must be below inferenceConfig.maxTokens');
  }
  const maxSteps = input['maxSteps'];
  if (
    maxSteps !== null &&
    maxSteps !== undefined &&
    ((maxSteps as number) < 1 || (maxSteps as number) > LIMITS.maxSteps)
  )
    invalid(`maxSteps must be from 1 to ${LIMITS.maxSteps}`);
}

/** Validates the input and returns it without `streamId` for storage. */
export function validateStartInput(
  input: Record<string, unknown>,
  allowedModelIds: string,
): Record<string, unknown> {
  subject = 'startStream input';
  checkModelId(input['modelId'], allowedModelIds);
  const messages = input['messages'];
  const prompt = input['prompt'];
  const hasMessages = messages !== null && messages !== undefined;
  const hasPrompt = prompt !== null && prompt !== undefined;
  if (hasMessages === hasPrompt) invalid('give exactly one of messages or prompt');
  let total = 0;
  const counts: Counts = {
    images: 0,
    documents: 0,
    attachmentChars: 0,
    cachePoints: input['cacheSystem'] === true ? 1 : 0,
  };
  if (hasPrompt) total = checkText('prompt', prompt, LIMITS.inputChars, true);
  if (hasMessages) {
    const list = messages as Array<Record<string, unknown>>;
    if (list.length === 0) invalid('messages is empty');
    if (list.length > LIMITS.messages) invalid(`more than ${LIMITS.messages} messages`);
    let i = 0;
    for (const message of list) {
      total += checkMessage(`messages.${i}`, message, counts);
      i += 1;
    }
    checkAttachmentCounts(counts);
    if (list[list.length - 1]?.['role'] !== 'USER')
      invalid('the last message must be a USER message');
  }
  if (total > LIMITS.inputChars)
    invalid(`input totals ${total} characters, over the ${LIMITS.inputChars} bound`);
  checkText('system', input['system'], LIMITS.systemChars, false);
  checkOptions(input, counts.cachePoints);
  return definedFields(input, 'streamId');
}

/** Non-null fields of `input`, except `omit` (what is stored). */
function definedFields(input: Record<string, unknown>, omit: string): Record<string, unknown> {
  const stored: Record<string, unknown> = {};
  for (const key of Object.keys(input)) {
    if (key !== omit && input[key] !== null && input[key] !== undefined) stored[key] = input[key];
  }
  return stored;
}

/** createConversation's input: model allowed, title and system prompt bounded. */
export function validateConversationInput(
  input: Record<string, unknown>,
  allowedModelIds: string,
): void {
  subject = 'createConversation input';
  checkModelId(input['modelId'], allowedModelIds);
  checkText('title', input['title'], LIMITS.conversationTitleChars, false);
  if (input['title'] === '') invalid('title is empty');
  checkText('system', input['system'], LIMITS.systemChars, false);
}

/** A conversation title (renameConversation). */
export function validateTitle(title: unknown): string {
  subject = 'renameConversation input';
  checkText('title', title, LIMITS.conversationTitleChars, true);
  return title as string;
}

/**
 * The options of a conversation turn (sendMessage, regenerateMessage, submitToolResults),
 * bounded like startStream's; returns the non-null fields for the stream's stored input.
 */
export function validateTurnOptions(
  operation: string,
  options: Record<string, unknown> | null | undefined,
): Record<string, unknown> {
  subject = `${operation} input`;
  if (!options) return {};
  checkOptions(options, options['cacheSystem'] === true ? 1 : 0);
  return definedFields(options, '');
}

/**
 * A user message's content blocks (sendMessage) as stored message parts: text, image and
 * document blocks only, bounded like startStream's blocks.
 */
export function userContentToParts(content: unknown): Array<Record<string, unknown>> {
  subject = 'sendMessage input';
  const blocks = content as Array<Record<string, unknown>> | null | undefined;
  if (!blocks || blocks.length === 0) invalid('content is empty');
  const list = blocks as Array<Record<string, unknown>>;
  if (list.length > LIMITS.contentBlocksPerMessage)
    invalid(`content has more than ${LIMITS.contentBlocksPerMessage} blocks`);
  const counts: Counts = { images: 0, documents: 0, attachmentChars: 0, cachePoints: 0 };
  const parts: Array<Record<string, unknown>> = [];
  let total = 0;
  let i = 0;
  for (const block of list) {
    const field = `content.${i}`;
    const kinds = BLOCK_KINDS.filter((kind) => isSet(block[kind]));
    if (kinds.length === 1 && USER_BLOCK_KINDS.indexOf(kinds[0] as string) === -1)
      invalid(
        `${field}: a user message holds text, image and document blocks only (got ${kinds[0] as string})`,
      );
    total += checkBlock(field, block, counts);
    const image = block['image'] as Record<string, unknown> | null | undefined;
    const document = block['document'] as Record<string, unknown> | null | undefined;
    if (isSet(block['text'])) parts.push({ type: 'text', text: block['text'] });
    else if (image) parts.push({ type: 'image', format: image['format'], bytes: image['bytes'] });
    else if (document)
      parts.push({
        type: 'document',
        format: document['format'],
        name: document['name'],
        bytes: document['bytes'],
      });
    i += 1;
  }
  checkAttachmentCounts(counts);
  if (total > LIMITS.inputChars)
    invalid(`content totals ${total} characters, over the ${LIMITS.inputChars} bound`);
  return parts;
}

/** submitToolResults' results: at least one, well-formed ids, outputs bounded together. */
export function validateToolResults(results: unknown): Array<Record<string, unknown>> {
  subject = 'submitToolResults input';
  const list = results as Array<Record<string, unknown>> | null | undefined;
  if (!list || list.length === 0) invalid('results is empty');
  const checked = list as Array<Record<string, unknown>>;
  if (checked.length > LIMITS.tools * LIMITS.maxSteps) invalid('too many results');
  let total = 0;
  let i = 0;
  for (const result of checked) {
    checkPattern(
      `results.${i}.toolUseId`,
      result['toolUseId'],
      TOOL_USE_ID,
      'must be 1-64 of [A-Za-z0-9_-]',
    );
    if (result['output'] === undefined) invalid(`results.${i}.output is required`);
    total += jsonChars(result['output']);
    i += 1;
  }
  if (total > LIMITS.inputChars)
    invalid(`results total ${total} characters, over the ${LIMITS.inputChars} bound`);
  return checked;
}
