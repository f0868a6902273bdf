import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';

/** A running DynamoDB-compatible server. */
export interface LocalDynamoDB {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * Starts dynalite (a DynamoDB-compatible server) on loopback: in memory by default,
 * persisted under `dataDir` when given (so data survives restarts only when asked).
 */
export async function startDynamoDB(
  options: { port?: number; host?: string; dataDir?: string } = {},
): Promise<LocalDynamoDB> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.dataDir ? { path: options.dataDir } : {}),
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
      }),
  };
}

/** Table keys of the bedrock-stream single-table design (see contracts TABLE). */
export interface StreamsTableKeys {
  partitionKey: string;
  sortKey: string;
  ttlAttribute: string;
}

/**
 * Creates the streams table (string pk/sk, on-demand) unless it exists, and turns TTL
 * on for `ttlAttribute` (dynalite accepts the setting; it does not expire items).
 */
export async function ensureStreamsTable(
  client: DynamoDBClient,
  tableName: string,
  keys: StreamsTableKeys,
): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: keys.partitionKey, AttributeType: 'S' },
          { AttributeName: keys.sortKey, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: keys.partitionKey, KeyType: 'HASH' },
          { AttributeName: keys.sortKey, KeyType: 'RANGE' },
        ],
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  for (let i = 0; i < 50; i += 1) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') break;
    await new Promise((r) => setTimeout(r, 20));
  }
  await client
    .send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: keys.ttlAttribute, Enabled: true },
      }),
    )
    .catch(() => undefined);
}
