import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiDefinition } from '@org/bedrock-stream-resolvers';
import {
  executeResolver,
  loadResolverCode,
  type ContextInput,
  type DataSourceRegistry,
  type LoadedResolver,
} from '../src/appsync/runtime/index.js';
import {
  createDynamoDbDataSource,
  createLambdaDataSource,
  createNoneDataSource,
} from '../src/appsync/datasources/index.js';
import { claimAttempt1 } from './claim.js';

// Runs the real bundled resolvers end to end through the runtime against dynalite.
const server = dynalite({ createTableMs: 0 });
let client: DynamoDBClient;
const invoked: unknown[] = [];
let sources: DataSourceRegistry;

async function load(typeName: string, fieldName: string): Promise<LoadedResolver> {
  const r = apiDefinition.resolvers.find(
    (x) => x.typeName === typeName && x.fieldName === fieldName,
  )!;
  const functions = await Promise.all(
    (r.functions ?? []).map(async (name) => ({
      name,
      code: await loadResolverCode(apiDefinition.functions[name]!.codeFile),
      dataSource: apiDefinition.functions[name]!.dataSource,
    })),
  );
  return {
    kind: r.kind,
    code: await loadResolverCode(r.codeFile),
    dataSource: r.dataSource,
    functions,
  };
}

function ctx(
  typeName: string,
  fieldName: string,
  args: Record<string, unknown>,
  sub = 'user-1',
): ContextInput {
  return {
    arguments: args,
    identity: { sub, username: sub, claims: { sub } },
    source: null,
    request: { headers: {}, domainName: null },
    info: {
      fieldName,
      parentTypeName: typeName,
      variables: {},
      selectionSetList: [],
      selectionSetGraphQL: '',
    },
    env: apiDefinition.environmentVariables({ allowedModelIds: ['test.model-v1'] }),
  };
}

beforeAll(async () => {
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  const { port } = server.address() as AddressInfo;
  client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  await client.send(
    new CreateTableCommand({
      TableName: 'streams',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  sources = {
    streamsTable: createDynamoDbDataSource({ client, tableName: 'streams' }),
    worker: createLambdaDataSource({
      invoke: async (payload) => {
        invoked.push(payload);
        return null;
      },
    }),
    none: createNoneDataSource(),
  };
});

afterAll(async () => {
  client?.destroy();
  await new Promise<void>((res) => server.close(() => res()));
});

describe('resolvers through the APPSYNC_JS runtime', () => {
  it('loads every bundled file in the definition', async () => {
    for (const r of apiDefinition.resolvers) await load(r.typeName, r.fieldName);
  });

  it('startStream -> publishChunk -> streamChunks, owner checks', async () => {
    const streamId = 'a1b2c3d4-0000-4000-8000-000000000001';
    const start = await executeResolver(
      await load('Mutation', 'startStream'),
      ctx('Mutation', 'startStream', {
        input: { streamId, prompt: 'hello', modelId: 'test.model-v1' },
      }),
      sources,
    );
    expect(start.errors).toEqual([]);
    expect(invoked).toEqual([{ streamId }]);
    const again = await executeResolver(
      await load('Mutation', 'startStream'),
      ctx(
        'Mutation',
        'startStream',
        { input: { streamId, prompt: 'x', modelId: 'test.model-v1' } },
        'user-2',
      ),
      sources,
    );
    expect(again.errors.length).toBe(1);
    const stranger = await executeResolver(
      await load('Query', 'getStream'),
      ctx('Query', 'getStream', { streamId }, 'user-2'),
      sources,
    );
    expect(stranger.errors[0]?.errorType).toMatch(/Unauthorized/);

    // The worker's claim (what packages/worker does): attempt 1, running.
    await claimAttempt1(client, 'streams', streamId);
    const worker = { accountId: '1', userArn: 'arn:aws:iam::1:role/worker' };
    const publish = async (attempt: number, seq: number) =>
      executeResolver(
        await load('Mutation', 'publishChunk'),
        {
          ...ctx('Mutation', 'publishChunk', {
            input: {
              streamId,
              attempt,
              seq,
              payload: { v: 1, events: [{ type: 'text', text: `t${seq}` }] },
            },
          }),
          identity: worker,
        },
        sources,
      );
    expect((await publish(1, 0)).errors).toEqual([]);
    expect((await publish(1, 0)).errors).toEqual([]); // idempotent retry
    expect((await publish(1, 1)).errors).toEqual([]);
    expect((await publish(1, 5)).errors.length).toBe(1); // from the future
    const chunks = await executeResolver(
      await load('Query', 'streamChunks'),
      ctx('Query', 'streamChunks', { streamId }),
      sources,
    );
    expect(chunks.errors).toEqual([]);
    expect(JSON.stringify(chunks.data)).toContain('t1');
  });
});
