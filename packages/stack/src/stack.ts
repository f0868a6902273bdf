import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TABLE, schemaFiles } from '@org/bedrock-stream-contracts';
import {
  DEFAULT_MODEL_IDS,
  createAsyncInvoker,
  createDynamoDbDataSource,
  createLambdaDataSource,
  createNoneDataSource,
  ensureStreamsTable,
  startAppSyncEmulator,
  startBedrockServer,
  startDynamoDB,
  type AppSyncEmulator,
  type AsyncInvoker,
  type BedrockServer,
  type LocalDynamoDB,
} from '@org/bedrock-stream-local';
import { apiDefinition } from '@org/bedrock-stream-resolvers';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import type { ReadyConfig } from './config.js';
import { startStaticServer, type StaticServer } from './static.js';

export type { ReadyConfig };

/** Where the worker's model calls go. */
export type BedrockBackendOption =
  | { backend: 'local' }
  | { backend: 'aws'; region: string }
  | { backend: 'openai'; url: string; model?: string; apiKey?: string };

/** Options of {@link startLocalStack}. All ports default to 0 (ephemeral). */
export interface LocalStackOptions {
  host?: string;
  port?: number;
  bedrockPort?: number;
  dynamodbPort?: number;
  /** Persist DynamoDB data here; in memory when absent. */
  dataDir?: string;
  region?: string;
  bedrock?: BedrockBackendOption;
  /** The deterministic model's pace (local backend). */
  model?: { timeToFirstTokenMs?: number; tokensPerSecond?: number; outputTokens?: number };
  allowedModelIds?: string[];
  /** Models the local Bedrock endpoint knows (default: allowedModelIds). */
  bedrockModelIds?: string[];
  worker?: {
    flushWindowMs?: number;
    maxAttempts?: number;
    leaseMs?: number;
    stallTimeoutMs?: number;
    concurrency?: number;
    timeoutMs?: number;
    retryDelaysMs?: number[];
  };
  /** Serve this directory (the built web app) and /config.json on `webPort`. */
  webDir?: string;
  webPort?: number;
  /** Also write the ready JSON to this file (the CLI uses `<repo>/.state/local-stack.json`). */
  stateFile?: string | false;
  /** Request logs (one JSON line each) to stderr. */
  log?: boolean;
}

/** A running local stack. */
export interface LocalStack {
  config: ReadyConfig;
  emulator: AppSyncEmulator;
  bedrock: BedrockServer | null;
  invoker: AsyncInvoker;
  dynamo: LocalDynamoDB;
  /** The IAM credentials the worker signs with (the emulator accepts them). */
  workerCredentials: { accessKeyId: string; secretAccessKey: string };
  /** Signs a JWT the emulator accepts in OIDC mode (owner = `sub`). */
  issueJwt(sub: string): Promise<string>;
  stop(): Promise<void>;
}

const TABLE_NAME = 'bedrock-stream';
let signingKey: CryptoKey | null = null;
let issuer = '';

/** Signs a JWT for the local OIDC issuer of the most recently started stack. */
export async function issueLocalJwt(sub: string): Promise<string> {
  if (!signingKey) throw new Error('no local stack is running');
  return new SignJWT({ username: sub })
    .setProtectedHeader({ alg: 'RS256', kid: 'local' })
    .setSubject(sub)
    .setIssuer(issuer)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(signingKey);
}

function workerModulePath(): string {
  return fileURLToPath(import.meta.resolve('@org/bedrock-stream-worker'));
}

/**
 * Starts everything on loopback and returns the ready config. Ctrl-C handling is the
 * CLI's; call `stop()` to shut down.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const host = options.host ?? '127.0.0.1';
  const region =
    options.region ?? (options.bedrock?.backend === 'aws' ? options.bedrock.region : 'us-east-1');
  const allowedModelIds = options.allowedModelIds ?? [...DEFAULT_MODEL_IDS];
  const log = options.log
    ? (line: unknown) => process.stderr.write(`${JSON.stringify(line)}\n`)
    : undefined;
  const started: Array<{ close(): Promise<void> }> = [];
  const stopAll = async () => {
    for (const part of started.reverse()) await part.close().catch(() => undefined);
  };
  try {
    const dynamo = await startDynamoDB({
      host,
      port: options.dynamodbPort ?? 0,
      dataDir: options.dataDir,
    });
    started.push(dynamo);
    const ddb = new DynamoDBClient({
      region,
      endpoint: dynamo.endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await ensureStreamsTable(ddb, TABLE_NAME, TABLE);

    const backend = options.bedrock ?? { backend: 'local' };
    let bedrock: BedrockServer | null = null;
    if (backend.backend !== 'aws') {
      bedrock = await startBedrockServer({
        host,
        port: options.bedrockPort ?? 0,
        modelIds: options.bedrockModelIds ?? allowedModelIds,
        ...(backend.backend === 'openai'
          ? { proxy: { baseUrl: backend.url, model: backend.model, apiKey: backend.apiKey } }
          : {}),
        // A paced default so streams are observable (and cancellable) mid-way.
        timeToFirstTokenMs: options.model?.timeToFirstTokenMs ?? 50,
        tokensPerSecond: options.model?.tokensPerSecond ?? 200,
        ...(options.model?.outputTokens !== undefined
          ? { outputTokens: options.model.outputTokens }
          : {}),
        log: options.log ? (line) => process.stderr.write(`${line}\n`) : undefined,
      });
      started.push(bedrock);
    }

    // The worker signs publishChunk with its own IAM credentials; the emulator verifies
    // them. With real Bedrock, the worker's real AWS credentials are accepted too.
    const workerCredentials =
      backend.backend === 'aws' &&
      process.env['AWS_ACCESS_KEY_ID'] &&
      process.env['AWS_SECRET_ACCESS_KEY']
        ? {
            accessKeyId: process.env['AWS_ACCESS_KEY_ID'],
            secretAccessKey: process.env['AWS_SECRET_ACCESS_KEY'],
          }
        : {
            accessKeyId: `LOCALWORKER${randomBytes(4).toString('hex').toUpperCase()}`,
            secretAccessKey: randomBytes(24).toString('base64'),
          };

    const apiKey = `da2-${randomBytes(13).toString('hex')}`;
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    signingKey = privateKey;
    const jwk = { ...(await exportJWK(publicKey)), kid: 'local', alg: 'RS256', use: 'sig' };

    // The emulator's URL is known only once it listens; the Lambda data source calls the
    // invoker through this late-bound reference.
    let invoker: AsyncInvoker | null = null;
    issuer = `http://${host}/local-oidc`;
    const emulator = await startAppSyncEmulator({
      host,
      port: options.port ?? 0,
      schemaFiles: [schemaFiles.awsBuiltins, schemaFiles.deployable],
      definition: apiDefinition,
      dataSources: {
        streamsTable: createDynamoDbDataSource({ client: ddb, tableName: TABLE_NAME }),
        worker: createLambdaDataSource({
          invoke: (payload, type) => {
            if (!invoker) throw new Error('worker not ready');
            return invoker.invoke(payload, type);
          },
        }),
        none: createNoneDataSource(),
      },
      auth: {
        defaultMode: 'API_KEY',
        additionalModes: ['AWS_IAM', 'OPENID_CONNECT'],
        apiKeys: [{ key: apiKey }],
        iam: {
          region,
          credentials: [
            {
              ...workerCredentials,
              accountId: '000000000000',
              userArn: 'arn:aws:iam::000000000000:role/bedrock-stream-worker',
            },
          ],
        },
        oidc: { issuer, jwks: { keys: [jwk] } },
      },
      environmentVariables: apiDefinition.environmentVariables({ allowedModelIds }),
      log,
    });
    started.push(emulator);

    const worker = options.worker ?? {};
    invoker = createAsyncInvoker({
      handlerModule: workerModulePath(),
      functionName: 'bedrock-stream-worker',
      concurrency: worker.concurrency ?? 8,
      timeoutMs: worker.timeoutMs ?? 15 * 60_000,
      retryDelaysMs: worker.retryDelaysMs ?? [200, 400],
      env: {
        GRAPHQL_URL: emulator.graphqlUrl,
        AWS_REGION: region,
        TABLE_NAME,
        ALLOWED_MODEL_IDS: allowedModelIds.join(','),
        FLUSH_WINDOW_MS: String(worker.flushWindowMs ?? 100),
        MAX_ATTEMPTS: String(worker.maxAttempts ?? 3),
        LEASE_MS: String(worker.leaseMs ?? 3_000),
        STALL_TIMEOUT_MS: String(worker.stallTimeoutMs ?? 30_000),
        DYNAMODB_ENDPOINT: dynamo.endpoint,
        ...(bedrock ? { BEDROCK_ENDPOINT: bedrock.url } : {}),
        AWS_ACCESS_KEY_ID: workerCredentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: workerCredentials.secretAccessKey,
        METRICS_ENABLED: 'false',
        POWERTOOLS_LOG_LEVEL: options.log ? 'INFO' : 'ERROR',
        LOG_LEVEL: options.log ? 'INFO' : 'ERROR',
      },
    });
    const inv = invoker;
    started.push({ close: () => inv.close() });

    let web: StaticServer | null = null;
    const config: ReadyConfig = {
      ready: true,
      graphqlUrl: emulator.graphqlUrl,
      realtimeUrl: emulator.realtimeUrl,
      region,
      apiKey,
      bedrockEndpoint: bedrock?.url ?? null,
      dynamodbEndpoint: dynamo.endpoint,
      tableName: TABLE_NAME,
      allowedModelIds,
      defaultModelId: allowedModelIds[0]!,
      webUrl: null,
      oidcIssuer: issuer,
    };
    if (options.webDir) {
      web = await startStaticServer({
        dir: options.webDir,
        host,
        port: options.webPort ?? 0,
        config: () => config,
      });
      started.push(web);
      config.webUrl = web.url;
    }
    const statePath = options.stateFile;
    if (statePath) {
      mkdirSync(dirname(statePath), { recursive: true });
      writeFileSync(statePath, `${JSON.stringify(config)}\n`);
    }
    return {
      config,
      emulator,
      bedrock,
      invoker: inv,
      dynamo,
      workerCredentials,
      issueJwt: issueLocalJwt,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
