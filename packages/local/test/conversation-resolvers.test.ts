/**
 * The conversation resolvers (the bundled APPSYNC_JS files the construct deploys) over
 * GraphQL through the AppSync emulator, against dynalite with the conversationsByOwner
 * index: create/list/get/rename/delete, owner isolation across auth modes, and turns
 * (sendMessage, edit-and-resend, regenerateMessage, submitToolResults).
 *
 * The worker is NOT the subject here: its Lambda data source is a recording stand-in (the
 * payloads each mutation hands to the worker are asserted), and `finishAnswer` does to the
 * table what the worker does when an answer ends (the message's status and parts, the
 * conversation's lock cleared), so the next turn can be tested.
 */
import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import {
  ConversationMessagesDocument,
  CreateConversationDocument,
  DeleteConversationDocument,
  GetConversationDocument,
  LIMITS,
  ListConversationsDocument,
  ownerPartitionKey,
  RegenerateMessageDocument,
  RenameConversationDocument,
  SendMessageDocument,
  SubmitToolResultsDocument,
  TABLE,
  conversationPartitionKey,
  messageSortKey,
  parseMessageParts,
  streamPartitionKey,
  type QuotaSettings,
} from '@org/bedrock-stream-contracts';
import { schemaFiles } from '@org/bedrock-stream-contracts/node';
import { apiDefinition } from '@org/bedrock-stream-resolvers';
import { print, type DocumentNode } from 'graphql';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createDynamoDbDataSource,
  createLambdaDataSource,
  createNoneDataSource,
  ensureStreamsTable,
  postGraphQL,
  signAppSyncRequest,
  startAppSyncEmulator,
  startDynamoDB,
  type AppSyncEmulator,
  type LocalDynamoDB,
} from '../src/index.js';

const region = 'us-east-1';
const apiKey = 'da2-conversations-test';
const issuer = 'https://issuer.local';
const iamCaller = { accessKeyId: 'AKIDAPP', secretAccessKey: 'app-secret' };
const MODEL = 'test.model-v1';
const TABLE_NAME = 'streams';

let db: LocalDynamoDB;
let client: DynamoDBClient;
let emulator: AppSyncEmulator;
let signingKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
let publicKey: Awaited<ReturnType<typeof generateKeyPair>>['publicKey'];
/** Payloads the resolvers handed to the worker (the recording stand-in). */
let invoked: unknown[] = [];
/** When set, the stand-in fails every invoke as Lambda would when throttled. */
let invokeFails = false;

function recordingWorker() {
  return createLambdaDataSource({
    invoke: async (payload) => {
      if (invokeFails) throw new Error('Rate Exceeded.');
      invoked.push(payload);
      return null;
    },
  });
}

async function startEmulator(quotas?: QuotaSettings): Promise<AppSyncEmulator> {
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test', alg: 'RS256' };
  return startAppSyncEmulator({
    schemaFiles: [schemaFiles.awsBuiltins, schemaFiles.deployable],
    definition: apiDefinition,
    dataSources: {
      streamsTable: createDynamoDbDataSource({ client, tableName: TABLE_NAME }),
      worker: recordingWorker(),
      none: createNoneDataSource(),
    },
    auth: {
      defaultMode: 'API_KEY',
      additionalModes: ['AWS_IAM', 'OPENID_CONNECT'],
      apiKeys: [{ key: apiKey }],
      iam: { region, credentials: [{ ...iamCaller, accountId: '111111111111' }] },
      oidc: { issuer, jwks: { keys: [jwk] } },
    },
    environmentVariables: apiDefinition.environmentVariables({
      allowedModelIds: [MODEL],
      tableName: TABLE_NAME,
      ...(quotas ? { quotas } : {}),
    }),
  });
}

beforeAll(async () => {
  db = await startDynamoDB();
  client = new DynamoDBClient({
    region,
    endpoint: db.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await ensureStreamsTable(client, TABLE_NAME);
  const keys = await generateKeyPair('RS256');
  signingKey = keys.privateKey;
  publicKey = keys.publicKey;
  emulator = await startEmulator();
});
afterAll(async () => {
  await emulator?.close();
  client?.destroy();
  await db?.close();
});
beforeEach(() => {
  invoked = [];
  invokeFails = false;
});

/** Who calls: an OIDC user (by `sub`), the IAM app, or the API key. */
type Caller = { sub: string } | 'iam' | 'apikey';

interface Result {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; errorType?: string }>;
}

async function gql(
  caller: Caller,
  doc: DocumentNode,
  variables: Record<string, unknown>,
  target: AppSyncEmulator = emulator,
) {
  const query = print(doc);
  let headers: Record<string, string>;
  if (caller === 'apikey') headers = { 'x-api-key': apiKey };
  else if (caller === 'iam') {
    headers = await signAppSyncRequest(
      target.graphqlUrl,
      JSON.stringify({ query, variables }),
      iamCaller,
      region,
    );
  } else {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'test' })
      .setSubject(caller.sub)
      .setIssuer(issuer)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(signingKey);
    headers = { authorization: token };
  }
  return (await postGraphQL(target.graphqlUrl, headers, query, variables)) as Result;
}

/** The field's data, failing the test with the errors when there are any. */
async function ok<T = Record<string, unknown>>(
  caller: Caller,
  doc: DocumentNode,
  variables: Record<string, unknown>,
): Promise<T> {
  const res = await gql(caller, doc, variables);
  expect(res.errors).toBeUndefined();
  return Object.values(res.data ?? {})[0] as T;
}

/** The one error of a refused call. */
async function refused(caller: Caller, doc: DocumentNode, variables: Record<string, unknown>) {
  const res = await gql(caller, doc, variables);
  expect(res.errors).toHaveLength(1);
  return res.errors![0]!;
}

const alice: Caller = { sub: 'alice' };
const bob: Caller = { sub: 'bob' };
const newId = () => crypto.randomUUID();
/** Lets the clock move on so two writes get distinct `updatedAt` values (list order). */
const tick = () => new Promise((r) => setTimeout(r, 5));

interface Conversation {
  conversationId: string;
  title: string;
  messageCount: number;
  activeStreamId: string | null;
  updatedAt: string;
}
interface Message {
  messageId: string;
  index: number;
  role: string;
  parts: string;
  status: string;
  streamId: string | null;
}
interface Turn {
  conversation: Conversation;
  userMessage: Message | null;
  assistantMessage: Message;
  stream: { streamId: string; status: string };
}

async function create(caller: Caller, input: Record<string, unknown> = {}) {
  return ok<Conversation>(caller, CreateConversationDocument, {
    input: { modelId: MODEL, ...input },
  });
}

async function send(
  caller: Caller,
  conversationId: string,
  text: string,
  extra: Record<string, unknown> = {},
) {
  const streamId = (extra['streamId'] as string | undefined) ?? newId();
  return gql(caller, SendMessageDocument, {
    input: { conversationId, streamId, content: [{ text }], ...extra },
  });
}

async function messages(caller: Caller, conversationId: string, limit?: number) {
  return ok<{ items: Message[]; nextToken: string | null }>(caller, ConversationMessagesDocument, {
    conversationId,
    limit,
  });
}

async function item(pk: string, sk: string) {
  const out = await client.send(
    new GetItemCommand({ TableName: TABLE_NAME, Key: marshall({ pk, sk }), ConsistentRead: true }),
  );
  return out.Item ? unmarshall(out.Item) : null;
}

/**
 * The worker's part, done directly on the table: the answer of `streamId` ends with
 * `status` and `parts`, and the conversation's lock is cleared.
 */
async function finishAnswer(
  conversationId: string,
  streamId: string,
  status = 'COMPLETE',
  parts: unknown[] = [{ type: 'text', text: 'an answer' }],
) {
  const record = await item(streamPartitionKey(streamId), TABLE.recordSortKey);
  const index = (record?.['conversation'] as { messageIndex: number }).messageIndex;
  await client.send(
    new UpdateItemCommand({
      TableName: TABLE_NAME,
      Key: marshall({ pk: conversationPartitionKey(conversationId), sk: messageSortKey(index) }),
      UpdateExpression: 'SET #status = :status, parts = :parts',
      ConditionExpression: 'streamId = :streamId',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: marshall({
        ':status': status,
        ':parts': JSON.stringify(parts),
        ':streamId': streamId,
      }),
    }),
  );
  await client.send(
    new UpdateItemCommand({
      TableName: TABLE_NAME,
      Key: marshall({ pk: conversationPartitionKey(conversationId), sk: TABLE.recordSortKey }),
      UpdateExpression: 'REMOVE activeStreamId, activeUntil',
    }),
  );
}

describe('conversations: create, list, get, rename, delete', () => {
  it('creates with defaults, lists newest first with pagination, renames to the top, deletes', async () => {
    const owner: Caller = { sub: 'lister' };
    const first = await create(owner, { title: 'First', system: 'Be brief.' });
    expect(first).toMatchObject({
      title: 'First',
      modelId: MODEL,
      system: 'Be brief.',
      messageCount: 0,
      activeStreamId: null,
    });
    await tick();
    const second = await create(owner);
    expect(second.title).toBe('New conversation');
    await tick();
    const third = await create(owner, { title: 'Third', api: 'INVOKE_MODEL' });

    const page1 = await ok<{ items: Conversation[]; nextToken: string | null }>(
      owner,
      ListConversationsDocument,
      { limit: 2 },
    );
    expect(page1.items.map((c) => c.conversationId)).toEqual([
      third.conversationId,
      second.conversationId,
    ]);
    expect(page1.nextToken).toEqual(expect.any(String));
    const page2 = await ok<{ items: Conversation[]; nextToken: string | null }>(
      owner,
      ListConversationsDocument,
      { limit: 2, nextToken: page1.nextToken },
    );
    expect(page2.items.map((c) => c.conversationId)).toEqual([first.conversationId]);

    await tick();
    const renamed = await ok<Conversation>(owner, RenameConversationDocument, {
      conversationId: first.conversationId,
      title: 'Renamed',
    });
    expect(renamed.title).toBe('Renamed');
    expect(renamed.updatedAt > first.updatedAt).toBe(true);
    const afterRename = await ok<{ items: Conversation[] }>(owner, ListConversationsDocument, {});
    expect(afterRename.items.map((c) => c.conversationId)).toEqual([
      first.conversationId,
      third.conversationId,
      second.conversationId,
    ]);
    expect(
      await ok(owner, GetConversationDocument, { conversationId: third.conversationId }),
    ).toMatchObject({ title: 'Third', api: 'INVOKE_MODEL' });

    const deleted = await ok<Conversation>(owner, DeleteConversationDocument, {
      conversationId: second.conversationId,
    });
    expect(deleted.conversationId).toBe(second.conversationId);
    // The worker purges the messages and their streams in the background.
    expect(invoked).toEqual([{ purgeConversationId: second.conversationId }]);
    expect(
      await ok(owner, GetConversationDocument, { conversationId: second.conversationId }),
    ).toBeNull();
    const afterDelete = await ok<{ items: Conversation[] }>(owner, ListConversationsDocument, {});
    expect(afterDelete.items.map((c) => c.conversationId)).not.toContain(second.conversationId);
    expect(
      await refused(owner, DeleteConversationDocument, { conversationId: second.conversationId }),
    ).toMatchObject({ errorType: 'NotFound' });
  });

  it('keeps the conversation when the worker cannot be told to purge it, so a retry can', async () => {
    const { conversationId } = await create(alice, { title: 'Keep me' });
    invokeFails = true;
    const error = await refused(alice, DeleteConversationDocument, { conversationId });
    expect(error).toMatchObject({ errorType: 'Lambda:Unhandled' });
    expect(error.message).toContain('conversation not deleted');
    expect(await ok(alice, GetConversationDocument, { conversationId })).toMatchObject({
      title: 'Keep me',
    });
    invokeFails = false;
    await ok(alice, DeleteConversationDocument, { conversationId });
    expect(invoked).toEqual([{ purgeConversationId: conversationId }]);
    expect(await ok(alice, GetConversationDocument, { conversationId })).toBeNull();
  });

  it('answers a retried create with the stored conversation; another owner gets a conflict', async () => {
    const conversationId = newId();
    const made = await create(alice, { conversationId, title: 'Retry me' });
    expect(made.conversationId).toBe(conversationId);
    expect(await create(alice, { conversationId, title: 'Retry me' })).toEqual(made);
    expect(
      await refused(bob, CreateConversationDocument, {
        input: { conversationId, modelId: MODEL },
      }),
    ).toMatchObject({ errorType: 'ConflictError' });
  });

  it('refuses bad input with clear errors', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ modelId: 'other.model' }, "modelId 'other.model' is not allowed"],
      [{ title: 'x'.repeat(LIMITS.conversationTitleChars + 1) }, 'title exceeds'],
      [{ title: '' }, 'title is empty'],
      [{ system: 'x'.repeat(LIMITS.systemChars + 1) }, 'system exceeds'],
      [{ conversationId: 'not-a-uuid' }, 'conversationId must be a lowercase UUID v4'],
    ];
    for (const [input, message] of cases) {
      const error = await refused(alice, CreateConversationDocument, {
        input: { modelId: MODEL, ...input },
      });
      expect(error.errorType).toBe('ValidationError');
      expect(error.message).toContain(message);
    }
    const conversation = await create(alice);
    expect(
      await refused(alice, RenameConversationDocument, {
        conversationId: conversation.conversationId,
        title: '',
      }),
    ).toMatchObject({ errorType: 'ValidationError' });
    expect(await refused(alice, ListConversationsDocument, { limit: 0 })).toMatchObject({
      errorType: 'ValidationError',
      message: `limit must be between 1 and ${LIMITS.conversationPageMax}`,
    });
  });
});

describe('conversations: owner only, under every auth mode', () => {
  it("keeps each caller's conversations to that caller", async () => {
    const mine = await create(alice, { title: 'Alice only' });
    const id = { conversationId: mine.conversationId };
    expect(await ok(bob, GetConversationDocument, id)).toBeNull();
    for (const [doc, variables] of [
      [ConversationMessagesDocument, id],
      [RenameConversationDocument, { ...id, title: 'Mine now' }],
      [DeleteConversationDocument, id],
    ] as const) {
      expect(await refused(bob, doc, variables)).toMatchObject({
        errorType: 'NotFound',
        message: 'conversation not found',
      });
    }
    expect((await send(bob, mine.conversationId, 'hello')).errors?.[0]).toMatchObject({
      errorType: 'NotFound',
    });
    expect(invoked).toEqual([]);

    // The IAM app and API-key callers each have their own conversations too.
    const app = await create('iam', { title: 'App' });
    const shared = await create('apikey', { title: 'API key' });
    const listed = async (caller: Caller) =>
      (await ok<{ items: Conversation[] }>(caller, ListConversationsDocument, {})).items.map(
        (c) => c.conversationId,
      );
    expect(await listed('iam')).toEqual([app.conversationId]);
    expect(await listed('apikey')).toEqual([shared.conversationId]);
    expect(await listed(bob)).not.toContain(mine.conversationId);
    expect(await listed(alice)).toContain(mine.conversationId);
    expect(await listed(alice)).not.toContain(app.conversationId);
    expect(await ok(alice, GetConversationDocument, { conversationId: app.conversationId })).toBe(
      null,
    );
    // A turn works the same for the IAM caller.
    const turn = await send('iam', app.conversationId, 'from the backend');
    expect(turn.errors).toBeUndefined();
  });
});

describe('conversations: sendMessage', () => {
  it('stores the user message, the streaming answer and its stream record, and invokes the worker', async () => {
    const conversation = await create(alice, { system: 'Answer in French.' });
    const conversationId = conversation.conversationId;
    const streamId = newId();
    const options = { inferenceConfig: { maxTokens: 500 }, maxSteps: 3 };
    const res = await send(alice, conversationId, 'Bonjour', { streamId, options });
    expect(res.errors).toBeUndefined();
    const turn = res.data!['sendMessage'] as Turn;
    expect(turn.stream).toMatchObject({ streamId, status: 'ACCEPTED' });
    expect(turn.conversation).toMatchObject({ messageCount: 2, activeStreamId: streamId });
    expect(turn.userMessage).toMatchObject({ index: 0, role: 'USER', status: 'COMPLETE' });
    expect(parseMessageParts(turn.userMessage!.parts)).toEqual({
      ok: true,
      parts: [{ type: 'text', text: 'Bonjour' }],
      skipped: [],
    });
    expect(turn.assistantMessage).toMatchObject({
      messageId: streamId,
      index: 1,
      role: 'ASSISTANT',
      status: 'STREAMING',
      streamId,
      parts: '[]',
    });
    expect(invoked).toEqual([{ streamId }]);

    const record = await item(streamPartitionKey(streamId), TABLE.recordSortKey);
    expect(record).toMatchObject({
      owner: `jwt:${issuer}:alice`,
      status: 'ACCEPTED',
      attempt: 0,
      conversation: { conversationId, messageIndex: 1, messageId: streamId },
    });
    // The worker reads the history from the table: the input holds no messages.
    expect(record?.['input']).toEqual({ modelId: MODEL, system: 'Answer in French.', ...options });
    const stored = await item(conversationPartitionKey(conversationId), messageSortKey(1));
    expect(stored).toMatchObject({ streamIds: [streamId], status: 'STREAMING' });

    const listed = await messages(alice, conversationId);
    expect(listed.items.map((m) => [m.index, m.role, m.status])).toEqual([
      [0, 'USER', 'COMPLETE'],
      [1, 'ASSISTANT', 'STREAMING'],
    ]);
  });

  it('answers a retried send with the same turn, writing and invoking nothing again', async () => {
    const { conversationId } = await create(alice);
    const streamId = newId();
    const first = await send(alice, conversationId, 'once', { streamId });
    const again = await send(alice, conversationId, 'once', { streamId });
    expect(again.errors).toBeUndefined();
    expect(again.data).toEqual(first.data);
    expect(invoked).toHaveLength(1);
    expect((await messages(alice, conversationId)).items).toHaveLength(2);
    // The same streamId with other options is not a retry.
    const changed = await send(alice, conversationId, 'once', {
      streamId,
      options: { maxSteps: 2 },
    });
    expect(changed.errors?.[0]).toMatchObject({ errorType: 'ConflictError' });
    // Nor is another message with it.
    const otherText = await send(alice, conversationId, 'twice', { streamId });
    expect(otherText.errors?.[0]).toMatchObject({
      errorType: 'ConflictError',
      message: 'a turn with this streamId exists with a different message; use a new streamId',
    });
    // Nor is another owner's use of it.
    const other = await create(bob);
    const stolen = await send(bob, other.conversationId, 'once', { streamId });
    expect(stolen.errors?.[0]).toMatchObject({ errorType: 'ConflictError' });
  });

  it('runs one answer at a time per conversation', async () => {
    const { conversationId } = await create(alice);
    const first = await send(alice, conversationId, 'one');
    expect(first.errors).toBeUndefined();
    const streamId = (first.data!['sendMessage'] as Turn).stream.streamId;
    const second = await send(alice, conversationId, 'two');
    expect(second.errors?.[0]).toMatchObject({ errorType: 'ConflictError' });
    expect(second.errors?.[0]?.message).toContain(
      `an answer is still being generated in this conversation (stream ${streamId})`,
    );
    expect(invoked).toHaveLength(1);
    await finishAnswer(conversationId, streamId);
    const third = await send(alice, conversationId, 'three');
    expect(third.errors).toBeUndefined();
    expect((third.data!['sendMessage'] as Turn).conversation.messageCount).toBe(4);
  });

  it('frees a conversation whose answer was never ended once its lock expired', async () => {
    const { conversationId } = await create(alice);
    const first = (await send(alice, conversationId, 'lost')).data!['sendMessage'] as Turn;
    // As if no worker ever ran it and 20 minutes went by.
    await client.send(
      new UpdateItemCommand({
        TableName: TABLE_NAME,
        Key: marshall({ pk: conversationPartitionKey(conversationId), sk: TABLE.recordSortKey }),
        UpdateExpression: 'SET activeUntil = :past',
        ExpressionAttributeValues: marshall({ ':past': Math.floor(Date.now() / 1000) - 1 }),
      }),
    );
    expect(await ok(alice, GetConversationDocument, { conversationId })).toMatchObject({
      activeStreamId: null,
    });
    const next = await send(alice, conversationId, 'again');
    expect(next.errors).toBeUndefined();
    expect((next.data!['sendMessage'] as Turn).conversation).toMatchObject({ messageCount: 4 });
    expect(first.conversation.activeStreamId).toBe(first.stream.streamId);
  });

  it('edit-and-resend replaces a user message and hides every later message', async () => {
    const { conversationId } = await create(alice);
    const first = (await send(alice, conversationId, 'first question')).data![
      'sendMessage'
    ] as Turn;
    await finishAnswer(conversationId, first.stream.streamId);
    const second = (await send(alice, conversationId, 'second question')).data![
      'sendMessage'
    ] as Turn;
    await finishAnswer(conversationId, second.stream.streamId);
    expect((await messages(alice, conversationId)).items).toHaveLength(4);

    const edited = await send(alice, conversationId, 'first question, edited', {
      replaceMessageId: first.userMessage!.messageId,
    });
    expect(edited.errors).toBeUndefined();
    const turn = edited.data!['sendMessage'] as Turn;
    expect(turn.conversation.messageCount).toBe(2);
    expect(turn.userMessage).toMatchObject({ index: 0 });
    expect(turn.userMessage!.messageId).not.toBe(first.userMessage!.messageId);
    expect(turn.assistantMessage).toMatchObject({ index: 1, status: 'STREAMING' });
    const visible = (await messages(alice, conversationId)).items;
    expect(visible.map((m) => m.messageId)).toEqual([
      turn.userMessage!.messageId,
      turn.assistantMessage.messageId,
    ]);
    expect(JSON.parse(visible[0]!.parts)).toEqual([
      { type: 'text', text: 'first question, edited' },
    ]);

    await finishAnswer(conversationId, turn.stream.streamId);
    // A hidden message, an answer and an unknown id cannot be edited.
    for (const replaceMessageId of [
      second.userMessage!.messageId,
      turn.assistantMessage.messageId,
      'no-such-message',
    ]) {
      const res = await send(alice, conversationId, 'nope', { replaceMessageId });
      expect(res.errors?.[0]).toMatchObject({
        errorType: 'ValidationError',
        message:
          'invalid sendMessage input: replaceMessageId is not a user message of this conversation',
      });
    }
  });

  it('pages through a conversation oldest first', async () => {
    const { conversationId } = await create(alice);
    for (const text of ['a', 'b', 'c']) {
      const turn = (await send(alice, conversationId, text)).data!['sendMessage'] as Turn;
      await finishAnswer(conversationId, turn.stream.streamId);
    }
    const page1 = await messages(alice, conversationId, 4);
    expect(page1.items.map((m) => m.index)).toEqual([0, 1, 2, 3]);
    const page2 = await ok<{ items: Message[]; nextToken: string | null }>(
      alice,
      ConversationMessagesDocument,
      { conversationId, limit: 4, nextToken: page1.nextToken },
    );
    expect(page2.items.map((m) => m.index)).toEqual([4, 5]);
  });

  it('refuses content a user message cannot hold, and malformed ids', async () => {
    const { conversationId } = await create(alice);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ content: [] }, 'invalid sendMessage input: content is empty'],
      [
        { content: [{ toolUse: { toolUseId: 't1', name: 'x', input: '{}' } }] },
        'invalid sendMessage input: content.0: a user message holds text, image and document blocks only (got toolUse)',
      ],
      [
        { content: [{ cachePoint: true }] },
        'invalid sendMessage input: content.0: a user message holds text, image and document blocks only (got cachePoint)',
      ],
      [
        { content: [{ image: { format: 'PNG', bytes: 'not base64!' } }] },
        'invalid sendMessage input: content.0.image.bytes is not base64',
      ],
      [
        { content: [{ text: 'hi', image: { format: 'PNG', bytes: 'AAAA' } }] },
        'sets exactly one of',
      ],
      [{ streamId: 'nope' }, 'streamId must be a lowercase UUID v4'],
      [{ options: { maxSteps: 0 } }, 'invalid sendMessage input: maxSteps must be from 1 to'],
    ];
    for (const [input, message] of cases) {
      const res = await gql(alice, SendMessageDocument, {
        input: { conversationId, streamId: newId(), content: [{ text: 'hi' }], ...input },
      });
      expect(res.errors?.[0]?.errorType, message).toBe('ValidationError');
      expect(res.errors?.[0]?.message).toContain(message);
    }
    const notUuid = await send(alice, 'abc', 'hi');
    expect(notUuid.errors?.[0]).toMatchObject({
      errorType: 'ValidationError',
      message: 'conversationId must be a lowercase UUID v4',
    });
    expect(invoked).toEqual([]);
    expect((await messages(alice, conversationId)).items).toEqual([]);
  });

  it('stores image and document parts of a user message', async () => {
    const { conversationId } = await create(alice);
    const res = await gql(alice, SendMessageDocument, {
      input: {
        conversationId,
        streamId: newId(),
        content: [
          { text: 'What is in these?' },
          { image: { format: 'PNG', bytes: 'iVBORw0KGgo=' } },
          { document: { format: 'TXT', name: 'notes (v2)', bytes: 'aGVsbG8=' } },
        ],
      },
    });
    expect(res.errors).toBeUndefined();
    const parts = parseMessageParts((res.data!['sendMessage'] as Turn).userMessage!.parts);
    expect(parts).toEqual({
      ok: true,
      skipped: [],
      parts: [
        { type: 'text', text: 'What is in these?' },
        { type: 'image', format: 'PNG', bytes: 'iVBORw0KGgo=' },
        { type: 'document', format: 'TXT', name: 'notes (v2)', bytes: 'aGVsbG8=' },
      ],
    });
  });
});

describe('conversations: regenerateMessage', () => {
  it('replaces the last answer with a new one, keeping the count', async () => {
    const { conversationId } = await create(alice);
    const empty = await gql(alice, RegenerateMessageDocument, {
      input: { conversationId, streamId: newId() },
    });
    expect(empty.errors?.[0]).toMatchObject({
      errorType: 'ValidationError',
      message: 'invalid regenerateMessage input: the last message is not an answer',
    });
    const first = (await send(alice, conversationId, 'q')).data!['sendMessage'] as Turn;
    // Not while it streams.
    const busy = await gql(alice, RegenerateMessageDocument, {
      input: { conversationId, streamId: newId() },
    });
    expect(busy.errors?.[0]).toMatchObject({ errorType: 'ConflictError' });
    await finishAnswer(conversationId, first.stream.streamId, 'STOPPED');

    invoked = [];
    const streamId = newId();
    const res = await gql(alice, RegenerateMessageDocument, {
      input: { conversationId, streamId, options: { inferenceConfig: { temperature: 0.9 } } },
    });
    expect(res.errors).toBeUndefined();
    const turn = res.data!['regenerateMessage'] as Turn;
    expect(turn.userMessage).toBeNull();
    expect(turn.conversation).toMatchObject({ messageCount: 2, activeStreamId: streamId });
    expect(turn.assistantMessage).toMatchObject({
      messageId: streamId,
      index: 1,
      status: 'STREAMING',
      parts: '[]',
    });
    expect(invoked).toEqual([{ streamId }]);
    // A retry of the same regenerate (its response lost) gets the same turn back.
    const again = await gql(alice, RegenerateMessageDocument, {
      input: { conversationId, streamId, options: { inferenceConfig: { temperature: 0.9 } } },
    });
    expect(again.data).toEqual(res.data);
    expect(invoked).toHaveLength(1);
    const record = await item(streamPartitionKey(streamId), TABLE.recordSortKey);
    expect(record?.['conversation']).toEqual({
      conversationId,
      messageIndex: 1,
      messageId: streamId,
    });
    expect((await messages(alice, conversationId)).items.map((m) => m.messageId)).toEqual([
      first.userMessage!.messageId,
      streamId,
    ]);
  });
});

describe('conversations: submitToolResults', () => {
  const awaitingParts = [
    { type: 'step-start', step: 1, stopReason: 'tool_use' },
    { type: 'text', text: 'Let me check.' },
    {
      type: 'tool-call',
      toolCallId: 'call_weather',
      toolName: 'get_weather',
      state: 'input-available',
      inputText: '{"city":"Paris"}',
      input: { city: 'Paris' },
    },
    {
      type: 'tool-call',
      toolCallId: 'call_time',
      toolName: 'get_time',
      state: 'input-available',
      inputText: '{}',
      input: {},
    },
  ];

  async function awaitingAnswer() {
    const { conversationId } = await create(alice);
    const turn = (await send(alice, conversationId, 'weather and time?')).data![
      'sendMessage'
    ] as Turn;
    await finishAnswer(conversationId, turn.stream.streamId, 'AWAITING_TOOL_RESULT', awaitingParts);
    invoked = [];
    return { conversationId, messageId: turn.assistantMessage.messageId };
  }

  it('stores every result into its tool call and continues the same answer on a new stream', async () => {
    const { conversationId, messageId } = await awaitingAnswer();
    const streamId = newId();
    const res = await gql(alice, SubmitToolResultsDocument, {
      input: {
        conversationId,
        messageId,
        streamId,
        results: [
          { toolUseId: 'call_weather', output: JSON.stringify({ sky: 'sunny', c: 21 }) },
          { toolUseId: 'call_time', output: JSON.stringify('clock broken'), isError: true },
        ],
      },
    });
    expect(res.errors).toBeUndefined();
    const turn = res.data!['submitToolResults'] as Turn;
    expect(turn.assistantMessage).toMatchObject({
      messageId,
      index: 1,
      status: 'STREAMING',
      streamId,
    });
    expect(turn.conversation).toMatchObject({ messageCount: 2, activeStreamId: streamId });
    const parts = JSON.parse(turn.assistantMessage.parts) as Array<Record<string, unknown>>;
    expect(parts[2]).toMatchObject({ state: 'output-available', output: { sky: 'sunny', c: 21 } });
    expect(parts[3]).toMatchObject({
      state: 'output-error',
      output: 'clock broken',
      errorText: 'clock broken',
    });
    expect(parseMessageParts(turn.assistantMessage.parts).ok).toBe(true);
    expect(invoked).toEqual([{ streamId }]);
    const stored = await item(conversationPartitionKey(conversationId), messageSortKey(1));
    expect(stored?.['streamIds']).toEqual([messageId, streamId]);
    const record = await item(streamPartitionKey(streamId), TABLE.recordSortKey);
    expect(record?.['conversation']).toEqual({ conversationId, messageIndex: 1, messageId });
  });

  it('refuses missing, unknown and repeated results, another message, and an answer not awaiting', async () => {
    const { conversationId, messageId } = await awaitingAnswer();
    const submit = (input: Record<string, unknown>) =>
      gql(alice, SubmitToolResultsDocument, {
        input: { conversationId, messageId, streamId: newId(), ...input },
      });
    const weather = { toolUseId: 'call_weather', output: '"ok"' };
    const time = { toolUseId: 'call_time', output: '"noon"' };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ results: [weather] }, 'missing results for tool calls: call_time'],
      [
        { results: [weather, time, { toolUseId: 'call_other', output: '1' }] },
        "results.2.toolUseId 'call_other' is not a tool call awaiting a result (awaiting: call_weather, call_time)",
      ],
      [{ results: [weather, weather, time] }, "results give 'call_weather' twice"],
      [{ results: [] }, 'results is empty'],
      [{ results: [{ toolUseId: 'bad id!', output: '1' }] }, 'results.0.toolUseId must be'],
      [{ messageId: newId(), results: [weather, time] }, 'messageId is not the last answer'],
    ];
    for (const [input, message] of cases) {
      const res = await submit(input);
      expect(res.errors?.[0]?.errorType, message).toBe('ValidationError');
      expect(res.errors?.[0]?.message).toContain(message);
    }
    expect(invoked).toEqual([]);
    // Once continued, the answer is no longer awaiting results.
    expect((await submit({ results: [weather, time] })).errors).toBeUndefined();
    const streamId = (await item(streamPartitionKey(messageId), TABLE.recordSortKey))?.['streamId'];
    expect(streamId).toBe(messageId);
    const conversation = await item(conversationPartitionKey(conversationId), TABLE.recordSortKey);
    await finishAnswer(conversationId, conversation?.['activeStreamId'] as string);
    const late = await submit({ results: [weather, time] });
    expect(late.errors?.[0]).toMatchObject({
      errorType: 'ValidationError',
      message: 'invalid submitToolResults input: the answer is COMPLETE, not AWAITING_TOOL_RESULT',
    });
  });
});

describe('conversations: turns under quotas (the same transaction as startStream)', () => {
  let limited: AppSyncEmulator;
  beforeAll(async () => {
    limited = await startEmulator({ concurrentStreamsPerOwner: 1 });
  });
  afterAll(async () => {
    await limited?.close();
  });
  const at = (caller: Caller, doc: DocumentNode, variables: Record<string, unknown>) =>
    gql(caller, doc, variables, limited);
  const active = async (sub: string) =>
    (await item(ownerPartitionKey(`jwt:${issuer}:${sub}`), TABLE.activeSortKey))?.['active'];

  it('takes a slot per answer and refuses one over the limit, storing nothing', async () => {
    const owner: Caller = { sub: 'quota-user' };
    const a = (await at(owner, CreateConversationDocument, { input: { modelId: MODEL } })).data!;
    const b = (await at(owner, CreateConversationDocument, { input: { modelId: MODEL } })).data!;
    const idOf = (d: Record<string, unknown>) =>
      (d['createConversation'] as Conversation).conversationId;
    const first = await at(owner, SendMessageDocument, {
      input: { conversationId: idOf(a), streamId: newId(), content: [{ text: 'one' }] },
    });
    expect(first.errors).toBeUndefined();
    const streamId = (first.data!['sendMessage'] as Turn).stream.streamId;
    expect((await item(streamPartitionKey(streamId), TABLE.recordSortKey))?.['slots']).toEqual([
      'owner',
    ]);
    expect(await active('quota-user')).toBe(1);

    const second = await at(owner, SendMessageDocument, {
      input: { conversationId: idOf(b), streamId: newId(), content: [{ text: 'two' }] },
    });
    expect(second.errors?.[0]).toMatchObject({
      errorType: 'QuotaExceeded',
      errorInfo: { quota: 'concurrentStreamsPerOwner', limit: 1, current: 1 },
    });
    expect(invoked).toEqual([{ streamId }]);
    expect(await at(owner, GetConversationDocument, { conversationId: idOf(b) })).toMatchObject({
      data: { getConversation: { messageCount: 0, activeStreamId: null } },
    });
  });

  it('gives the slot back when the worker cannot be invoked, and fails the turn', async () => {
    const owner: Caller = { sub: 'quota-invoke' };
    const made = await at(owner, CreateConversationDocument, { input: { modelId: MODEL } });
    const { conversationId } = made.data!['createConversation'] as Conversation;
    invokeFails = true;
    const streamId = newId();
    const res = await at(owner, SendMessageDocument, {
      input: { conversationId, streamId, content: [{ text: 'hi' }] },
    });
    expect(res.errors?.[0]).toMatchObject({ errorType: 'Lambda:Unhandled' });
    expect(await active('quota-invoke')).toBe(0);
    expect(
      (await item(streamPartitionKey(streamId), TABLE.recordSortKey))?.['slots'],
    ).toBeUndefined();
  });
});
