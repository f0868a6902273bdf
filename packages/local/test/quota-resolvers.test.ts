import {
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import {
  TABLE,
  ownerPartitionKey,
  streamPartitionKey,
  usageDaySortKey,
  usageMonthSortKey,
  type QuotaSettings,
} from '@org/bedrock-stream-contracts';
import { apiDefinition } from '@org/bedrock-stream-resolvers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DataSourceError,
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
import { ensureStreamsTable, startDynamoDB, type LocalDynamoDB } from '../src/index.js';

// The quota and ledger resolvers (the bundled files AppSync runs) through the APPSYNC_JS
// runtime, against the local store's TransactWriteItems; and the data source's
// TransactWriteItems request/response shapes as AppSync documents them.
const TABLE_NAME = 'quota-streams';
let db: LocalDynamoDB;
let client: DynamoDBClient;
let sources: DataSourceRegistry;
let invoked: unknown[] = [];
let invokeFails = false;
const resolvers = new Map<string, LoadedResolver>();

async function load(typeName: string, fieldName: string): Promise<LoadedResolver> {
  const id = `${typeName}.${fieldName}`;
  const cached = resolvers.get(id);
  if (cached) return cached;
  const r = apiDefinition.resolvers.find((x) => `${x.typeName}.${x.fieldName}` === id)!;
  const loaded: LoadedResolver = {
    kind: r.kind,
    code: await loadResolverCode(r.codeFile),
    dataSource: r.dataSource,
    functions: await Promise.all(
      (r.functions ?? []).map(async (name) => ({
        name,
        code: await loadResolverCode(apiDefinition.functions[name]!.codeFile),
        dataSource: apiDefinition.functions[name]!.dataSource,
      })),
    ),
  };
  resolvers.set(id, loaded);
  return loaded;
}

function context(
  fieldName: string,
  args: Record<string, unknown>,
  quotas: QuotaSettings,
  identity: Record<string, unknown> | null,
  typeName = 'Mutation',
): ContextInput {
  return {
    arguments: args,
    identity,
    source: null,
    request: { headers: {}, domainName: null },
    info: {
      fieldName,
      parentTypeName: typeName,
      variables: {},
      selectionSetList: [],
      selectionSetGraphQL: '',
    },
    env: apiDefinition.environmentVariables({
      allowedModelIds: ['test.model-v1'],
      tableName: TABLE_NAME,
      quotas,
    }),
  };
}

const user = (sub: string) => ({ sub, issuer: 'https://issuer', claims: { sub } });
const ownerKey = (sub: string) => `jwt:https://issuer:${sub}`;
let ids = 0;
const newId = () => `00000000-0000-4000-8000-${String((ids += 1)).padStart(12, '0')}`;

async function start(quotas: QuotaSettings, sub: string, streamId = newId()) {
  const out = await executeResolver(
    await load('Mutation', 'startStream'),
    context(
      'startStream',
      { input: { streamId, prompt: 'hi', modelId: 'test.model-v1' } },
      quotas,
      user(sub),
    ),
    sources,
  );
  return { streamId, ...out };
}

async function item(pk: string, sk: string) {
  const out = await client.send(
    new GetItemCommand({ TableName: TABLE_NAME, Key: marshall({ pk, sk }), ConsistentRead: true }),
  );
  return out.Item ? unmarshall(out.Item) : null;
}

const record = (streamId: string) => item(streamPartitionKey(streamId), TABLE.recordSortKey);
const active = async (owner: string | null) =>
  (await item(owner ? ownerPartitionKey(owner) : TABLE.globalPartitionKey, TABLE.activeSortKey))?.[
    'active'
  ] ?? 0;

beforeAll(async () => {
  db = await startDynamoDB();
  client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: db.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await ensureStreamsTable(client, TABLE_NAME);
  sources = {
    streamsTable: createDynamoDbDataSource({ client, tableName: TABLE_NAME }),
    worker: createLambdaDataSource({
      invoke: async (payload) => {
        if (invokeFails) throw new Error('Rate Exceeded.');
        invoked.push(payload);
        return null;
      },
    }),
    none: createNoneDataSource(),
  };
});
afterAll(async () => {
  client.destroy();
  await db.close();
});
beforeEach(() => {
  invoked = [];
  invokeFails = false;
});

describe('startStream under quotas', () => {
  it('lets exactly the per-owner limit run at once; a refusal is typed, stores nothing and invokes nothing', async () => {
    const quotas = { concurrentStreamsPerOwner: 2 };
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => start(quotas, 'alice')));
    const accepted = results.filter((r) => r.errors.length === 0);
    const refused = results.filter((r) => r.errors.length > 0);
    expect(accepted).toHaveLength(2);
    expect(invoked).toHaveLength(2);
    for (const r of refused) {
      expect(r.data).toBeNull();
      expect(r.errors).toEqual([
        {
          errorType: 'QuotaExceeded',
          message: expect.stringContaining('concurrentStreamsPerOwner') as string,
          data: null,
          errorInfo: {
            quota: 'concurrentStreamsPerOwner',
            limit: 2,
            current: 2,
            retryAfterSeconds: 5,
          },
        },
      ]);
      expect(await record(r.streamId)).toBeNull();
    }
    expect(await active(ownerKey('alice'))).toBe(2);
    expect((await record(accepted[0]!.streamId))?.['slots']).toEqual(['owner']);
    // Another owner is not affected.
    expect((await start(quotas, 'bob')).errors).toEqual([]);
  });

  it('answers a retried start from the stored stream, without counting it again', async () => {
    const quotas = { concurrentStreamsPerOwner: 1 };
    const first = await start(quotas, 'carol');
    expect(first.errors).toEqual([]);
    const again = await start(quotas, 'carol', first.streamId);
    expect(again.errors).toEqual([]);
    expect(again.data).toMatchObject({ streamId: first.streamId, status: 'ACCEPTED' });
    expect(invoked).toHaveLength(1);
    expect(await active(ownerKey('carol'))).toBe(1);
  });

  it('counts starts per UTC minute and says when the next minute begins', async () => {
    const quotas = { streamsPerMinutePerOwner: 3 };
    const results = [];
    for (let i = 0; i < 5; i += 1) results.push(await start(quotas, 'dave'));
    const refused = results.filter((r) => r.errors.length > 0);
    // A minute boundary inside the loop lets a 4th through; never more.
    expect(refused.length).toBeGreaterThanOrEqual(1);
    const info = refused[0]!.errors[0]!.errorInfo as Record<string, number>;
    expect(info).toMatchObject({ quota: 'streamsPerMinutePerOwner', limit: 3, current: 3 });
    expect(info['retryAfterSeconds']).toBeGreaterThanOrEqual(1);
    expect(info['retryAfterSeconds']).toBeLessThanOrEqual(60);
  });

  it("refuses once the owner's output tokens today reach the limit (from the ledger)", async () => {
    const quotas = { outputTokensPerDayPerOwner: 1_000 };
    const day = new Date().toISOString().slice(0, 10);
    await client.send(
      new PutItemCommand({
        TableName: TABLE_NAME,
        Item: marshall({
          pk: ownerPartitionKey(ownerKey('erin')),
          sk: usageDaySortKey(day),
          outputTokens: 1_200,
        }),
      }),
    );
    const out = await start(quotas, 'erin');
    expect(out.errors[0]).toMatchObject({
      errorType: 'QuotaExceeded',
      errorInfo: { quota: 'outputTokensPerDayPerOwner', limit: 1_000, current: 1_200 },
    });
    const retryAfter = (out.errors[0]!.errorInfo as { retryAfterSeconds: number })
      .retryAfterSeconds;
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(86_400);
    expect((await start(quotas, 'frank')).errors).toEqual([]);
  });

  it('enforces the global ceiling across owners', async () => {
    const quotas = { concurrentStreamsGlobal: 1 };
    expect((await start(quotas, 'gina')).errors).toEqual([]);
    const out = await start(quotas, 'hank');
    expect(out.errors[0]).toMatchObject({
      errorType: 'QuotaExceeded',
      errorInfo: { quota: 'concurrentStreamsGlobal', limit: 1, current: 1 },
    });
    expect(await active(null)).toBe(1);
  });

  it('gives the slots back when the worker cannot be invoked', async () => {
    const quotas = { concurrentStreamsPerOwner: 1 };
    invokeFails = true;
    const out = await start(quotas, 'ivan');
    expect(out.errors).toEqual([
      expect.objectContaining({ errorType: 'Lambda:Unhandled', message: 'Rate Exceeded.' }),
    ]);
    expect(await active(ownerKey('ivan'))).toBe(0);
    const stored = await record(out.streamId);
    expect(stored).toMatchObject({ status: 'ACCEPTED', attempt: 0 });
    expect(stored?.['slots']).toBeUndefined();
    invokeFails = false;
    expect((await start(quotas, 'ivan')).errors).toEqual([]);
  });

  it('is a plain PutItem when no quota is configured', async () => {
    const out = await start({}, 'judy');
    expect(out.errors).toEqual([]);
    expect((await record(out.streamId))?.['slots']).toBeUndefined();
    expect(await active(ownerKey('judy'))).toBe(0);
  });
});

describe('myUsage / usageOf', () => {
  const ledger = async (sk: string, period: string, values: Record<string, unknown>) =>
    client.send(
      new UpdateItemCommand({
        TableName: TABLE_NAME,
        Key: marshall({ pk: ownerPartitionKey(ownerKey('kate')), sk }),
        UpdateExpression:
          'SET period = :p, #owner = :o' +
          ('modelId' in values ? ', modelId = :m' : '') +
          ' ADD streams :s, estimatedStreams :e, inputTokens :i, outputTokens :out, cacheReadInputTokens :cr, cacheWriteInputTokens :cw',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: marshall({
          ':p': period,
          ':o': ownerKey('kate'),
          ...('modelId' in values ? { ':m': values['modelId'] } : {}),
          ':s': values['streams'],
          ':e': 0,
          ':i': values['in'],
          ':out': values['out'],
          ':cr': 0,
          ':cw': 0,
        }),
      }),
    );

  beforeAll(async () => {
    await ledger(usageDaySortKey('2026-03-01'), '2026-03-01', { streams: 2, in: 10, out: 100 });
    await ledger(usageDaySortKey('2026-03-01', 'm.a'), '2026-03-01', {
      modelId: 'm.a',
      streams: 2,
      in: 10,
      out: 100,
    });
    await ledger(usageDaySortKey('2026-03-03'), '2026-03-03', { streams: 1, in: 5, out: 7 });
    await ledger(usageDaySortKey('2026-03-03', 'm.b'), '2026-03-03', {
      modelId: 'm.b',
      streams: 1,
      in: 5,
      out: 7,
    });
    await ledger(usageDaySortKey('2026-04-01'), '2026-04-01', { streams: 9, in: 9, out: 9 });
    await ledger(usageMonthSortKey('2026-03'), '2026-03', { streams: 3, in: 15, out: 107 });
  });

  const totals = (streams: number, input: number, output: number) => ({
    streams,
    estimatedStreams: 0,
    inputTokens: input,
    outputTokens: output,
    cacheReadInputTokens: 0,
    cacheWriteInputTokens: 0,
  });

  it("reads the caller's own days and months, totals and per model", async () => {
    const out = await executeResolver(
      await load('Query', 'myUsage'),
      context(
        'myUsage',
        { from: '2026-03-01', to: '2026-03-31' },
        { outputTokensPerDayPerOwner: 5_000 },
        user('kate'),
        'Query',
      ),
      sources,
    );
    expect(out.errors).toEqual([]);
    expect(out.data).toEqual({
      owner: ownerKey('kate'),
      from: '2026-03-01',
      to: '2026-03-31',
      days: [
        {
          period: '2026-03-01',
          total: totals(2, 10, 100),
          byModel: [{ modelId: 'm.a', usage: totals(2, 10, 100) }],
        },
        {
          period: '2026-03-03',
          total: totals(1, 5, 7),
          byModel: [{ modelId: 'm.b', usage: totals(1, 5, 7) }],
        },
      ],
      months: [{ period: '2026-03', total: totals(3, 15, 107), byModel: [] }],
      total: totals(3, 15, 107),
      quotas: {
        concurrentStreamsPerOwner: null,
        streamsPerMinutePerOwner: null,
        outputTokensPerDayPerOwner: 5_000,
        concurrentStreamsGlobal: null,
      },
    });
    // Someone else's myUsage is their own: empty.
    const other = await executeResolver(
      await load('Query', 'myUsage'),
      context('myUsage', { from: '2026-03-01', to: '2026-03-31' }, {}, user('leo'), 'Query'),
      sources,
    );
    expect(other.data).toMatchObject({ days: [], months: [], total: totals(0, 0, 0) });
  });

  it('reads any owner for an IAM caller, and checks the range', async () => {
    const iam = { accountId: '1', userArn: 'arn:aws:iam::1:role/backend' };
    const out = await executeResolver(
      await load('Query', 'usageOf'),
      context(
        'usageOf',
        { owner: ownerKey('kate'), from: '2026-04-01', to: '2026-04-01' },
        {},
        iam,
        'Query',
      ),
      sources,
    );
    expect(out.data).toMatchObject({ total: totals(9, 9, 9), days: [{ period: '2026-04-01' }] });
    for (const [from, to] of [
      ['2026-03-02', '2026-03-01'],
      ['2026-01-01', '2026-06-01'],
      ['2026-3-1', '2026-03-02'],
    ]) {
      const bad = await executeResolver(
        await load('Query', 'myUsage'),
        context('myUsage', { from, to }, {}, user('kate'), 'Query'),
        sources,
      );
      expect(bad.errors[0]?.errorType).toBe('ValidationError');
    }
  });
});

describe('AMAZON_DYNAMODB data source: TransactWriteItems shapes', () => {
  const invoke = (request: unknown) =>
    createDynamoDbDataSource({ client, tableName: TABLE_NAME }).invoke(request);
  const put = (pk: string, condition?: Record<string, unknown>) => ({
    table: TABLE_NAME,
    operation: 'PutItem',
    key: marshall({ pk, sk: 'X' }),
    attributeValues: marshall({ v: 1 }),
    ...(condition ? { condition } : {}),
  });

  it('returns the keys in request order on success', async () => {
    await expect(
      invoke({
        operation: 'TransactWriteItems',
        transactItems: [
          put('shape-a'),
          {
            table: TABLE_NAME,
            operation: 'UpdateItem',
            key: marshall({ pk: 'shape-b', sk: 'X' }),
            update: { expression: 'ADD n :one', expressionValues: marshall({ ':one': 1 }) },
          },
        ],
      }),
    ).resolves.toEqual({
      keys: [
        { pk: 'shape-a', sk: 'X' },
        { pk: 'shape-b', sk: 'X' },
      ],
      cancellationReasons: null,
    });
  });

  it('puts keys: null and one reason per item in ctx.result beside the error', async () => {
    const error = await invoke({
      operation: 'TransactWriteItems',
      transactItems: [
        put('shape-c'),
        put('shape-a', { expression: 'attribute_not_exists(pk)' }),
        put('shape-b', {
          expression: 'attribute_not_exists(pk)',
          returnValuesOnConditionCheckFailure: false,
        }),
      ],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataSourceError);
    expect((error as DataSourceError).type).toBe('DynamoDB:TransactionCanceledException');
    expect((error as DataSourceError).result).toEqual({
      keys: null,
      cancellationReasons: [
        { type: 'None', message: 'None' },
        // The old item comes back by default...
        {
          item: { pk: 'shape-a', sk: 'X', v: 1 },
          type: 'ConditionCheckFailed',
          message: 'The condition check failed.',
        },
        // ...unless returnValuesOnConditionCheckFailure is false.
        { type: 'ConditionCheckFailed', message: 'The condition check failed.' },
      ],
    });
    expect(await item('shape-c', 'X')).toBeNull();
  });

  it('refuses malformed transactions', async () => {
    await expect(
      invoke({ operation: 'TransactWriteItems', transactItems: [] }),
    ).rejects.toMatchObject({ type: 'DynamoDB:ValidationException' });
    await expect(
      invoke({
        operation: 'TransactWriteItems',
        transactItems: [{ table: TABLE_NAME, operation: 'ConditionCheck', key: {} }],
      }),
    ).rejects.toMatchObject({ type: 'DynamoDB:ValidationException' });
  });
});
