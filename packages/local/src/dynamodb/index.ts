import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { dynaliteDb, transactWriteItems, type DynaliteStore } from './transactions.js';

/**
 * Starts dynalite and hands back its store too (dynalite keeps it private; the store is
 * made by its db module's `create`, which is wrapped for the duration of the call).
 */
function createDynalite(options: Parameters<typeof dynalite>[0]) {
  const create = dynaliteDb.create;
  let store: DynaliteStore | null = null;
  dynaliteDb.create = (o) => (store = create(o));
  try {
    const server = dynalite(options);
    if (!store) throw new Error('dynalite: its store was not created');
    return { server, store: store as DynaliteStore };
  } finally {
    dynaliteDb.create = create;
  }
}

/** Serves a TransactWriteItems request (which dynalite lacks) from its store. */
function serveTransaction(store: DynaliteStore, req: IncomingMessage, res: ServerResponse): void {
  const parts: Buffer[] = [];
  req.on('data', (part: Buffer) => parts.push(part));
  req.on('end', () => {
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/x-amz-json-1.0',
        'content-length': Buffer.byteLength(text),
        'x-amzn-requestid': randomUUID(),
      });
      res.end(text);
    };
    let input: unknown;
    try {
      input = JSON.parse(Buffer.concat(parts).toString('utf8'));
    } catch {
      send(400, { __type: 'com.amazon.coral.service#SerializationException' });
      return;
    }
    transactWriteItems(store, input).then(
      (out) => send(out.status, out.body),
      (error: unknown) =>
        send(500, {
          __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
          message: (error as Error).message,
        }),
    );
  });
}

/** Options of {@link startDynamoDB}. */
export interface StartDynamoDBOptions {
  /** TCP port; 0 (the default) picks an ephemeral one. */
  port?: number;
  /** Interface to bind; loopback by default. */
  host?: string;
  /** Persist the data (LevelDB) under this directory; in memory when absent. */
  dataDir?: string;
}

/** A running DynamoDB-compatible server. */
export interface LocalDynamoDB {
  /** `http://host:port`, for the SDK's `endpoint` option. */
  endpoint: string;
  port: number;
  /** Stops the server (dropping idle keep-alive sockets) and closes its store. */
  close(): Promise<void>;
}

/**
 * Starts dynalite (a DynamoDB-compatible server) on loopback: in memory by default,
 * persisted under `dataDir` when given (so data survives restarts only when asked).
 * TransactWriteItems, which dynalite lacks, is served by this package (./transactions.ts).
 *
 * @example
 * const db = await startDynamoDB();
 * const client = new DynamoDBClient({ endpoint: db.endpoint, region: 'us-east-1',
 *   credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
 */
export async function startDynamoDB(options: StartDynamoDBOptions = {}): Promise<LocalDynamoDB> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  // Table state changes are instant: there is no provisioning to simulate locally.
  const { server, store } = createDynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.dataDir ? { path: options.dataDir } : {}),
  });
  // dynalite runs several store operations per request, and one that meets the closed
  // store rejects where nothing handles it. So on close, requests in flight finish and
  // new ones get a retryable 503 (as DynamoDB's ServiceUnavailable) before the store closes.
  const [handle] = server.listeners('request') as Array<
    (req: IncomingMessage, res: ServerResponse) => void
  >;
  if (!handle) throw new Error('dynalite: no request handler');
  server.removeAllListeners('request');
  let stopping = false;
  let inFlight = 0;
  let drained: (() => void) | null = null;
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (stopping) {
      res.writeHead(503, {
        connection: 'close',
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-errortype': 'ServiceUnavailableException',
      });
      res.end(
        JSON.stringify({
          __type: 'com.amazonaws.dynamodb.v20120810#ServiceUnavailableException',
          message: 'local DynamoDB is stopping',
        }),
      );
      return;
    }
    inFlight += 1;
    res.once('close', () => {
      inFlight -= 1;
      if (inFlight === 0) drained?.();
    });
    if (req.headers['x-amz-target'] === 'DynamoDB_20120810.TransactWriteItems') {
      serveTransaction(store, req, res);
      return;
    }
    handle(req, res);
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | null = null;
  return {
    endpoint: `http://${urlHost}:${port}`,
    port,
    close: () =>
      (closing ??= (async () => {
        stopping = true;
        if (inFlight > 0)
          await new Promise<void>((resolve) => {
            drained = resolve;
            setTimeout(resolve, 2_000).unref();
          });
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          // SDK clients keep sockets alive; without this, close() waits for them to time out.
          server.closeAllConnections();
        });
      })()),
  };
}

/** Key and TTL attribute names of a streams table. */
export interface StreamsTableKeys {
  partitionKey: string;
  sortKey: string;
  ttlAttribute: string;
}

/**
 * The bedrock-stream single-table design (mirrors contracts' `TABLE`; this package has
 * no runtime dependency on contracts, so the stack passes `TABLE` explicitly).
 */
export const DEFAULT_STREAMS_TABLE_KEYS: StreamsTableKeys = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
};

/** A global secondary index of the streams table (string keys, all attributes projected). */
export interface StreamsTableIndex {
  indexName: string;
  partitionKey: string;
  sortKey: string;
}

/**
 * The streams table's indexes (mirrors contracts' `CONVERSATIONS_BY_OWNER`: the sparse
 * index listing one owner's conversations by last update).
 */
export const DEFAULT_STREAMS_TABLE_INDEXES: readonly StreamsTableIndex[] = [
  { indexName: 'conversationsByOwner', partitionKey: 'convOwner', sortKey: 'convUpdatedAt' },
];

/** What {@link ensureStreamsTable} did. */
export interface EnsureStreamsTableResult {
  created: boolean;
  /**
   * `enabled` when the server accepted the TTL setting; `unsupported` when it refused
   * the call (dynalite 4 has no UpdateTimeToLive, so items never expire locally; the
   * deployed table's TTL is set by the CDK construct).
   */
  ttl: 'enabled' | 'unsupported';
}

/**
 * Creates the streams table (string pk/sk, on-demand, with `indexes` projecting all
 * attributes) unless it already exists, waits until it is ACTIVE, and asks for TTL on
 * `ttlAttribute`.
 * @throws Error when an existing table lacks one of `indexes` (a table persisted by an
 *   older version: dynalite cannot add an index to a table, so remove its data directory).
 */
export async function ensureStreamsTable(
  client: DynamoDBClient,
  tableName: string,
  keys: StreamsTableKeys = DEFAULT_STREAMS_TABLE_KEYS,
  indexes: readonly StreamsTableIndex[] = DEFAULT_STREAMS_TABLE_INDEXES,
): Promise<EnsureStreamsTableResult> {
  let created = true;
  const attributes = [
    ...new Set([
      keys.partitionKey,
      keys.sortKey,
      ...indexes.flatMap((index) => [index.partitionKey, index.sortKey]),
    ]),
  ];
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: attributes.map((name) => ({
          AttributeName: name,
          AttributeType: 'S',
        })),
        KeySchema: [
          { AttributeName: keys.partitionKey, KeyType: 'HASH' },
          { AttributeName: keys.sortKey, KeyType: 'RANGE' },
        ],
        ...(indexes.length > 0
          ? {
              GlobalSecondaryIndexes: indexes.map((index) => ({
                IndexName: index.indexName,
                KeySchema: [
                  { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
                  { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
                ],
                Projection: { ProjectionType: 'ALL' as const },
              })),
            }
          : {}),
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    created = false;
  }
  let active = false;
  let existingIndexes: string[] = [];
  for (let i = 0; i < 100 && !active; i += 1) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    active = Table?.TableStatus === 'ACTIVE';
    existingIndexes = (Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName ?? '');
    if (!active) await new Promise((r) => setTimeout(r, 20));
  }
  if (!active) throw new Error(`table ${tableName} did not become ACTIVE`);
  const missing = indexes.filter((index) => !existingIndexes.includes(index.indexName));
  if (missing.length > 0) {
    throw new Error(
      `table ${tableName} has no index ${missing.map((i) => i.indexName).join(', ')} (made by an older version); remove its data directory to recreate it`,
    );
  }
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: keys.ttlAttribute, Enabled: true },
      }),
    );
    return { created, ttl: 'enabled' };
  } catch (error) {
    // Real DynamoDB says "TimeToLive is already enabled" on a second call: that is fine.
    if (/already enabled/i.test((error as Error).message)) return { created, ttl: 'enabled' };
    return { created, ttl: 'unsupported' };
  }
}
