// A conversation turn (sendMessage, regenerateMessage, submitToolResults) as ONE
// TransactWriteItems: the conversation record takes the turn (its condition: the owner, the
// message count the turn was planned on, no answer running), the turn's messages are
// written, and the answer's stream record is put exactly as startStream puts it (with its
// quota items), plus `conversation` so the worker answers from the stored history.
// Either all of it is stored or nothing is.
import { util } from '@aws-appsync/utils';
import { LIMITS, newStreamRecord, recordKey } from './common.js';
import {
  NAMES,
  TURN_LOCK_SECONDS,
  activeStreamOf,
  conversationKey,
  messageKey,
} from './conversations.js';
import { conditionFailed, quotaItems, refuseFromReasons } from './quotas.js';
import type { QuotaSettings } from '@org/bedrock-stream-contracts/quotas';

export type TurnKind = 'send' | 'regenerate' | 'submit';

const OPERATIONS: Record<string, string> = {
  send: 'sendMessage',
  regenerate: 'regenerateMessage',
  submit: 'submitToolResults',
};

function invalid(kind: TurnKind, message: string): void {
  util.error(`invalid ${OPERATIONS[kind] as string} input: ${message}`, 'ValidationError');
}

/** The stream's stored input: the conversation's model settings and the turn's options. */
export function turnInput(
  conversation: Record<string, unknown>,
  options: Record<string, unknown>,
): Record<string, unknown> {
  const input: Record<string, unknown> = { modelId: conversation['modelId'] };
  if (conversation['system']) input['system'] = conversation['system'];
  if (conversation['api']) input['api'] = conversation['api'];
  for (const key of Object.keys(options)) input[key] = options[key];
  return input;
}

/** What a turn's request stashed (see the resolvers' request handlers). */
export interface TurnRequest {
  kind: TurnKind;
  streamId: string;
  owner: string;
  input: Record<string, unknown>;
  conversation: Record<string, unknown>;
  /** Visible messages the turn read (readTurnMessages): the last one, or the replaced one. */
  messages: Array<Record<string, unknown>>;
  userParts?: Array<Record<string, unknown>>;
  replaceMessageId?: string;
  messageId?: string;
  results?: Array<Record<string, unknown>>;
  table: string;
  quotas: QuotaSettings;
}

/** The planned turn: the transaction and what the caller gets back once it is stored. */
export interface TurnPlan {
  transactItems: Array<Record<string, unknown>>;
  /** Index of the stream record's put in `transactItems` (quota items follow it). */
  recordIndex: number;
  record: Record<string, unknown>;
  conversation: Record<string, unknown>;
  userMessage: Record<string, unknown> | null;
  assistantMessage: Record<string, unknown>;
  checks: unknown[];
}

/** A new answer of the stream `streamId`: empty and STREAMING; its id is the stream's. */
function streamingAnswer(
  conversationId: string,
  index: number,
  streamId: string,
): Record<string, unknown> {
  return newMessage(conversationId, index, {
    messageId: streamId,
    role: 'ASSISTANT',
    parts: '[]',
    status: 'STREAMING',
    streamId,
    streamIds: [streamId],
  });
}

function newMessage(
  conversationId: string,
  index: number,
  fields: Record<string, unknown>,
): Record<string, unknown> {
  const now = util.time.nowISO8601();
  return {
    conversationId,
    index,
    createdAt: now,
    updatedAt: now,
    ...fields,
  };
}

function put(table: string, key: Record<string, unknown>, item: Record<string, unknown>) {
  return { table, operation: 'PutItem', key, attributeValues: util.dynamodb.toMapValues(item) };
}

/** The pending client tool calls of an awaiting answer, with the results filled in. */
function applyToolResults(
  parts: Array<Record<string, unknown>>,
  results: Array<Record<string, unknown>>,
): Array<Record<string, unknown>> {
  const pending = parts.filter(
    (p) => p['type'] === 'tool-call' && p['state'] === 'input-available',
  );
  const pendingIds = pending.map((p) => p['toolCallId'] as string);
  const given: string[] = [];
  let i = 0;
  for (const result of results) {
    const id = result['toolUseId'] as string;
    if (pendingIds.indexOf(id) === -1)
      invalid(
        'submit',
        `results.${i}.toolUseId '${id}' is not a tool call awaiting a result (awaiting: ${pendingIds.join(', ')})`,
      );
    if (given.indexOf(id) !== -1) invalid('submit', `results give '${id}' twice`);
    given.push(id);
    i += 1;
  }
  const missing = pendingIds.filter((id) => given.indexOf(id) === -1);
  if (missing.length > 0)
    invalid('submit', `missing results for tool calls: ${missing.join(', ')}`);
  return parts.map((part) => {
    const result = results.find(
      (r) => part['type'] === 'tool-call' && r['toolUseId'] === part['toolCallId'],
    );
    if (!result || part['state'] !== 'input-available') return part;
    const output = result['output'];
    const next: Record<string, unknown> = { ...part, output };
    if (result['isError'] === true) {
      next['state'] = 'output-error';
      next['errorText'] = typeof output === 'string' ? output : JSON.stringify(output);
    } else next['state'] = 'output-available';
    return next;
  });
}

/** Checks the turn against the stored conversation and builds its transaction. */
export function planTurn(turn: TurnRequest): TurnPlan {
  const conversation = turn.conversation;
  const conversationId = conversation['conversationId'] as string;
  const count = conversation['messageCount'] as number;
  const active = activeStreamOf(conversation);
  if (active) {
    util.error(
      `an answer is still being generated in this conversation (stream ${active}); wait for it to end or cancel it`,
      'ConflictError',
    );
  }
  const last = turn.messages[0];
  const now = util.time.nowISO8601();
  const table = turn.table;
  let newCount = count;
  let assistantIndex = count - 1;
  let userMessage: Record<string, unknown> | null = null;
  let assistantMessage: Record<string, unknown> = {};
  const messageItems: Array<Record<string, unknown>> = [];
  if (turn.kind === 'send') {
    let userIndex = count;
    if (turn.replaceMessageId) {
      const replaced = turn.messages.find(
        (m) => m['messageId'] === turn.replaceMessageId && m['role'] === 'USER',
      );
      if (!replaced) invalid('send', 'replaceMessageId is not a user message of this conversation');
      userIndex = (replaced as Record<string, unknown>)['index'] as number;
    }
    newCount = userIndex + 2;
    assistantIndex = userIndex + 1;
    if (newCount > LIMITS.conversationMessages)
      invalid('send', `the conversation is full (${LIMITS.conversationMessages} messages)`);
    userMessage = newMessage(conversationId, userIndex, {
      messageId: util.autoId(),
      role: 'USER',
      parts: JSON.stringify(turn.userParts ?? []),
      status: 'COMPLETE',
    });
    assistantMessage = streamingAnswer(conversationId, assistantIndex, turn.streamId);
    messageItems.push(put(table, messageKey(conversationId, userIndex), userMessage));
    messageItems.push(put(table, messageKey(conversationId, assistantIndex), assistantMessage));
  } else if (turn.kind === 'regenerate') {
    if (!last || last['role'] !== 'ASSISTANT')
      invalid('regenerate', 'the last message is not an answer');
    const previous = last as Record<string, unknown>;
    if (previous['status'] === 'STREAMING')
      invalid('regenerate', 'the last answer is still streaming; cancel it first');
    assistantMessage = streamingAnswer(conversationId, assistantIndex, turn.streamId);
    messageItems.push({
      ...put(table, messageKey(conversationId, assistantIndex), assistantMessage),
      // The answer it replaces is still the one read (no other turn replaced it meanwhile).
      condition: {
        expression: 'messageId = :previous',
        expressionValues: util.dynamodb.toMapValues({ ':previous': previous['messageId'] }),
        returnValuesOnConditionCheckFailure: false,
      },
    });
  } else {
    if (!last || last['messageId'] !== turn.messageId || last['role'] !== 'ASSISTANT')
      invalid('submit', 'messageId is not the last answer of this conversation');
    const awaiting = last as Record<string, unknown>;
    if (awaiting['status'] !== 'AWAITING_TOOL_RESULT')
      invalid('submit', `the answer is ${awaiting['status'] as string}, not AWAITING_TOOL_RESULT`);
    const parts = applyToolResults(
      JSON.parse(awaiting['parts'] as string) as Array<Record<string, unknown>>,
      turn.results ?? [],
    );
    const streamIds = ((awaiting['streamIds'] as string[] | undefined) ?? []).concat([
      turn.streamId,
    ]);
    assistantMessage = {
      ...awaiting,
      parts: JSON.stringify(parts),
      status: 'STREAMING',
      streamId: turn.streamId,
      streamIds,
      updatedAt: now,
    };
    messageItems.push({
      table,
      operation: 'UpdateItem',
      key: messageKey(conversationId, assistantIndex),
      update: {
        expression:
          'SET parts = :parts, #status = :streaming, streamId = :streamId, streamIds = :streamIds, updatedAt = :now',
        expressionNames: { '#status': NAMES['#status'] as string },
        expressionValues: util.dynamodb.toMapValues({
          ':parts': assistantMessage['parts'],
          ':streaming': 'STREAMING',
          ':streamId': turn.streamId,
          ':streamIds': streamIds,
          ':now': now,
        }),
      },
      condition: {
        expression: 'streamId = :previous AND #status = :awaiting',
        expressionNames: { '#status': NAMES['#status'] as string },
        expressionValues: util.dynamodb.toMapValues({
          ':previous': awaiting['streamId'],
          ':awaiting': 'AWAITING_TOOL_RESULT',
        }),
        returnValuesOnConditionCheckFailure: false,
      },
    });
  }
  const activeUntil = util.time.nowEpochSeconds() + TURN_LOCK_SECONDS;
  const updated: Record<string, unknown> = {
    ...conversation,
    messageCount: newCount,
    activeStreamId: turn.streamId,
    activeUntil,
    updatedAt: now,
    convUpdatedAt: now,
  };
  const conversationUpdate = {
    table,
    operation: 'UpdateItem',
    key: conversationKey(conversationId),
    update: {
      expression:
        'SET messageCount = :newCount, activeStreamId = :streamId, activeUntil = :until, updatedAt = :now, convUpdatedAt = :now',
      expressionValues: util.dynamodb.toMapValues({
        ':newCount': newCount,
        ':streamId': turn.streamId,
        ':until': activeUntil,
        ':now': now,
      }),
    },
    condition: {
      // Planned on this count, by its owner, with no answer running (or a stale lock).
      expression:
        '#owner = :owner AND messageCount = :count AND (attribute_not_exists(activeStreamId) OR activeUntil < :nowSeconds)',
      expressionNames: { '#owner': NAMES['#owner'] as string },
      expressionValues: util.dynamodb.toMapValues({
        ':owner': turn.owner,
        ':count': count,
        ':nowSeconds': util.time.nowEpochSeconds(),
      }),
      returnValuesOnConditionCheckFailure: false,
    },
  };
  const record = newStreamRecord(turn.streamId, turn.owner, turn.input);
  record['conversation'] = {
    conversationId,
    messageIndex: assistantIndex,
    messageId: assistantMessage['messageId'],
  };
  const quota = quotaItems(table, turn.owner, turn.quotas);
  if (quota.slots.length > 0) record['slots'] = quota.slots;
  const transactItems = [conversationUpdate, ...messageItems];
  const recordIndex = transactItems.length;
  transactItems.push({
    table,
    operation: 'PutItem',
    key: recordKey(turn.streamId),
    attributeValues: util.dynamodb.toMapValues(record),
    condition: {
      expression: 'attribute_not_exists(pk)',
      returnValuesOnConditionCheckFailure: false,
    },
  });
  return {
    transactItems: transactItems.concat(quota.items),
    recordIndex,
    record,
    conversation: updated,
    userMessage,
    assistantMessage,
    checks: quota.checks,
  };
}

/**
 * Raises the error of a cancelled turn transaction from its reasons: the conversation (or
 * the answer a turn continues) changed since it was read, the stream id is taken, or a quota
 * refused the stream.
 */
export function refuseTurn(
  reasons: Array<Record<string, unknown>>,
  recordIndex: number,
  checks: unknown[],
): void {
  let index = 0;
  for (const reason of reasons) {
    if (index < recordIndex && conditionFailed(reason)) {
      util.error(
        'the conversation changed meanwhile (another turn started, or the answer was replaced); reload it and retry',
        'ConflictError',
      );
    }
    index += 1;
  }
  if (conditionFailed(reasons[recordIndex])) {
    util.error('a stream with this streamId exists; use a new streamId', 'ConflictError');
  }
  refuseFromReasons(reasons.slice(recordIndex), checks as Parameters<typeof refuseFromReasons>[1]);
}
