// Conversations end to end: the real resolvers on the AppSync emulator store each turn
// (sendMessage, submitToolResults, deleteConversation) and invoke this worker in process
// with their Event payload; the worker answers through the local Bedrock endpoint and
// publishes with SigV4 through the emulator's publishChunk, all on dynalite.
import { randomUUID } from 'node:crypto';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import {
  ConversationMessagesDocument,
  CreateConversationDocument,
  DeleteConversationDocument,
  SendMessageDocument,
  SubmitToolResultsDocument,
  conversationPartitionKey,
  parseMessageParts,
  streamPartitionKey,
} from '@org/bedrock-stream-contracts';
import { schemaFiles } from '@org/bedrock-stream-contracts/node';
import {
  createDynamoDbDataSource,
  createLambdaDataSource,
  createNoneDataSource,
  ensureStreamsTable,
  postGraphQL,
  startAppSyncEmulator,
  startBedrockServer,
  startDynamoDB,
  type AppSyncEmulator,
  type BedrockServer,
  type LocalDynamoDB,
} from '@org/bedrock-stream-local';
import { apiDefinition } from '@org/bedrock-stream-resolvers';
import { print, type DocumentNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import type { ProcessDeps } from '../src/deps.js';
import { WorkerEventSchema } from '../src/handler.js';
import { processStream } from '../src/process-stream.js';
import { createPublisher } from '../src/publisher.js';
import { purgeConversation } from '../src/purge.js';
import { StreamRecordStore } from '../src/record.js';

const region = 'us-east-1';
const apiKey = 'da2-conversation-e2e';
const workerCredentials = { accessKeyId: 'AKIDWORKER', secretAccessKey: 'worker-secret' };
const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0';
const TABLE_NAME = 'streams';

let db: LocalDynamoDB;
let dynamo: DynamoDBClient;
let bedrock: BedrockServer;
let bedrockClient: BedrockRuntimeClient;
let emulator: AppSyncEmulator;
let deps: ProcessDeps;
/** The worker's runs in flight (Event invocations are not awaited by AppSync). */
let runs: Array<Promise<unknown>> = [];

beforeAll(async () => {
  db = await startDynamoDB();
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  dynamo = new DynamoDBClient({ region, endpoint: db.endpoint, credentials });
  await ensureStreamsTable(dynamo, TABLE_NAME);
  bedrock = await startBedrockServer({});
  bedrockClient = new BedrockRuntimeClient({
    region,
    endpoint: bedrock.url,
    credentials,
    maxAttempts: 1,
  });
  emulator = await startAppSyncEmulator({
    schemaFiles: [schemaFiles.awsBuiltins, schemaFiles.deployable],
    definition: apiDefinition,
    dataSources: {
      streamsTable: createDynamoDbDataSource({ client: dynamo, tableName: TABLE_NAME }),
      worker: createLambdaDataSource({
        invoke: async (payload) => {
          const event = WorkerEventSchema.parse(payload);
          runs.push(
            'streamId' in event
              ? processStream(deps, event.streamId, () => 60_000)
              : purgeConversation(deps, event.purgeConversationId, { pollMs: 20 }),
          );
          return null;
        },
      }),
      none: createNoneDataSource(),
    },
    auth: {
      defaultMode: 'API_KEY',
      additionalModes: ['AWS_IAM'],
      apiKeys: [{ key: apiKey }],
      iam: { region, credentials: [{ ...workerCredentials, accountId: '111111111111' }] },
    },
    environmentVariables: apiDefinition.environmentVariables({
      allowedModelIds: [HAIKU],
      tableName: TABLE_NAME,
    }),
  });
  const config = loadConfig({
    GRAPHQL_URL: emulator.graphqlUrl,
    AWS_REGION: region,
    TABLE_NAME,
    ALLOWED_MODEL_IDS: HAIKU,
    FLUSH_WINDOW_MS: '20',
    CANCEL_POLL_MS: '20',
    METRICS_ENABLED: 'false',
  });
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
  deps = {
    config,
    store: new StreamRecordStore(dynamo, TABLE_NAME),
    bedrock: bedrockClient,
    publish: createPublisher({
      graphqlUrl: emulator.graphqlUrl,
      region,
      credentials: workerCredentials,
    }),
    logger: quiet,
    tools: [],
  };
});
afterAll(async () => {
  await emulator?.close();
  bedrockClient?.destroy();
  await bedrock?.close();
  dynamo?.destroy();
  await db?.close();
});

async function gql<T = Record<string, unknown>>(
  doc: DocumentNode,
  variables: Record<string, unknown>,
): Promise<T> {
  const result = (await postGraphQL(
    emulator.graphqlUrl,
    { 'x-api-key': apiKey },
    print(doc),
    variables,
  )) as { data?: T; errors?: Array<{ message: string }> };
  if (result.errors?.length) throw new Error(result.errors.map((e) => e.message).join('; '));
  return result.data!;
}

/** Waits for every worker run the resolvers started. */
async function workerDone(): Promise<void> {
  while (runs.length) {
    const pending = runs;
    runs = [];
    await Promise.all(pending);
  }
}

interface Msg {
  messageId: string;
  role: string;
  status: string;
  parts: string;
  stopReason: string | null;
}
async function messagesOf(conversationId: string): Promise<Msg[]> {
  const data = await gql<{ conversationMessages: { items: Msg[] } }>(ConversationMessagesDocument, {
    conversationId,
  });
  return data.conversationMessages.items;
}
const partsOf = (m: Msg) => {
  const parsed = parseMessageParts(m.parts);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.parts;
};

describe('conversations through the resolvers and the worker', () => {
  it('two turns, a client tool round trip, then delete purges everything', async () => {
    const created = await gql<{ createConversation: { conversationId: string } }>(
      CreateConversationDocument,
      { input: { modelId: HAIKU, title: 'e2e', system: 'Be brief.' } },
    );
    const conversationId = created.createConversation.conversationId;
    const streams: string[] = [];
    const send = async (text: string, options?: Record<string, unknown>) => {
      const streamId = randomUUID();
      streams.push(streamId);
      await gql(SendMessageDocument, {
        input: { conversationId, streamId, content: [{ text }], ...(options ? { options } : {}) },
      });
      await workerDone();
      return streamId;
    };

    await send('My name is Ada.');
    await send('What is my name?');
    let messages = await messagesOf(conversationId);
    expect(messages.map((m) => [m.role, m.status])).toEqual([
      ['USER', 'COMPLETE'],
      ['ASSISTANT', 'COMPLETE'],
      ['USER', 'COMPLETE'],
      ['ASSISTANT', 'COMPLETE'],
    ]);
    // The second answer was generated from the whole history (the log keeps its start).
    const prompt = bedrock.stats().recent.at(-1)!.prompt;
    expect(prompt.startsWith('Be brief.\nMy name is Ada.\n')).toBe(true);
    expect(partsOf(messages[3]!)[0]).toMatchObject({ type: 'text' });

    const lookupOrder = {
      name: 'lookup_order',
      description: 'Finds an order',
      inputSchema: JSON.stringify({ type: 'object', properties: { id: { type: 'string' } } }),
    };
    await send('please lookup_order id="A-1"', { toolConfig: { tools: [lookupOrder] } });
    messages = await messagesOf(conversationId);
    const awaiting = messages[5]!;
    expect(awaiting.status).toBe('AWAITING_TOOL_RESULT');
    const call = partsOf(awaiting).find((p) => p.type === 'tool-call');
    if (call?.type !== 'tool-call') throw new Error('no tool call stored');
    expect(call).toMatchObject({ toolName: 'lookup_order', state: 'input-available' });

    const continuation = randomUUID();
    streams.push(continuation);
    await gql(SubmitToolResultsDocument, {
      input: {
        conversationId,
        messageId: awaiting.messageId,
        streamId: continuation,
        results: [
          {
            toolUseId: call.toolCallId,
            output: JSON.stringify({ status: 'shipped' }),
          },
        ],
        options: { toolConfig: { tools: [lookupOrder] } },
      },
    });
    await workerDone();
    messages = await messagesOf(conversationId);
    const answered = messages[5]!;
    expect(answered.messageId).toBe(awaiting.messageId);
    expect(answered.status).toBe('COMPLETE');
    const parts = partsOf(answered);
    expect(parts.find((p) => p.type === 'tool-call')).toMatchObject({
      state: 'output-available',
      output: { status: 'shipped' },
    });
    const answerText = parts.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('');
    expect(answerText).toContain('lookup_order returned {"status":"shipped"}');

    await gql(DeleteConversationDocument, { conversationId });
    await workerDone();
    const itemsOf = async (pk: string) =>
      (
        await dynamo.send(
          new QueryCommand({
            TableName: TABLE_NAME,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: marshall({ ':pk': pk }),
          }),
        )
      ).Items ?? [];
    expect(await itemsOf(conversationPartitionKey(conversationId))).toEqual([]);
    for (const streamId of streams) expect(await itemsOf(streamPartitionKey(streamId))).toEqual([]);
  });
});
