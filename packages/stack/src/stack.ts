// The whole local stack in one call: store, Bedrock endpoint, invoker, emulator, web, in
// start order, with one stop. Kept whole (just over 400 lines): it is the wiring of those
// parts and their options; each part lives in its own package or module.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CONVERSATIONS_BY_OWNER,
  TABLE,
  quotaEnvironment,
  type QuotaSettings,
} from '@org/bedrock-stream-contracts';
import { schemaFiles } from '@org/bedrock-stream-contracts/node';
import {
  INVOCABLE_MODEL_IDS,
  foundationModelId,
  createAsyncInvoker,
  toDestinationRecord,
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
  type FailureRecord,
  type LocalDynamoDB,
} from '@org/bedrock-stream-local';
import { apiDefinition } from '@org/bedrock-stream-resolvers';
import type { ReadyConfig } from './config.js';
import { createLocalOidc } from './oidc.js';
import { writeStateFile } from './state-file.js';
import { startStaticServer, type StaticServer } from './static.js';
import type { LocalCertificates } from './tls.js';

export { issueLocalJwt } from './oidc.js';
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
  /**
   * Persist state here: DynamoDB data in `<dataDir>/dynamodb`, the worker's on-failure
   * records in `<dataDir>/worker-failures.jsonl`. In memory when absent.
   */
  dataDir?: string;
  region?: string;
  bedrock?: BedrockBackendOption;
  /** The deterministic model's pace (local backend). */
  model?: { timeToFirstTokenMs?: number; tokensPerSecond?: number; outputTokens?: number };
  allowedModelIds?: string[];
  /** Models the local Bedrock endpoint knows (default: allowedModelIds). */
  bedrockModelIds?: string[];
  /**
   * Limits on starting streams, enforced by the resolvers and the worker as deployed
   * (contracts' QuotaSettings). All off by default.
   */
  quotas?: QuotaSettings;
  worker?: {
    flushWindowMs?: number;
    maxAttempts?: number;
    leaseMs?: number;
    stallTimeoutMs?: number;
    concurrency?: number;
    timeoutMs?: number;
    retryDelaysMs?: number[];
    /**
     * Run the worker with the deterministic demo server tools (`get_weather`,
     * `calculator`, `slow_lookup`; see demo-tools.ts).
     */
    demoTools?: boolean;
    /** Append each demo tool run (start and finish, one JSON line) to this file. */
    toolRunLog?: string;
    /** Model calls per answer with tools (the worker's MAX_STEPS). */
    maxSteps?: number;
    /** A server tool's time limit (TOOL_TIMEOUT_MS). */
    toolTimeoutMs?: number;
    /**
     * Run this module as the worker instead of the worker package (its `handler` and
     * `failureHandler` exports): e.g. the bundle infra deploys, to test it as Lambda runs it.
     */
    handlerModule?: string;
    /** A guardrail every model call goes through (the local endpoint accepts any id). */
    guardrail?: { id: string; version?: string; streamMode?: 'sync' | 'async'; trace?: boolean };
  };
  /**
   * Also serve GraphQL and real-time over HTTPS/WSS on `port` (0 = ephemeral), with a
   * server certificate for localhost, 127.0.0.1 and ::1 from a local CA kept in `dir`
   * (created once, reused, renewed before it expires). Clients trust `<dir>/ca.pem`.
   */
  tls?: { dir: string; port?: number };
  /** Serve this directory (the built web app) and /config.json on `webPort`. */
  webDir?: string;
  webPort?: number;
  /**
   * Serve the web app over https with the `tls` certificate; its /config.json then points
   * at the HTTPS/WSS endpoints. Needs `tls`.
   */
  webHttps?: boolean;
  /** Also write the ready JSON to this file (the CLI uses `<repo>/.state/local-stack.json`). */
  stateFile?: string | false;
  /** Request logs (one JSON line each) to stderr. */
  log?: boolean;
  /** Called with each worker event that exhausted its retries (Lambda's on-failure destination). */
  onWorkerFailure?: (record: FailureRecord) => void;
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
  /** The local CA and server certificate when `tls` is on. */
  tls: LocalCertificates | null;
  /**
   * Restarts the AppSync emulator on the same port, dropping every connection (clients
   * must reconnect), as an AppSync outage would. With `dataDir` the DynamoDB store is
   * restarted too, from its files; without it the store keeps running (its data lives
   * only in memory). The worker and Bedrock keep running. `downMs` is how long both stay
   * down. `emulator` and `dynamo` then refer to the new instances.
   */
  restartAppSync(options?: { downMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

const TABLE_NAME = 'bedrock-stream';

function workerModulePath(demoTools = false): string {
  // The demo entry is this package's own module (built next to this one).
  return demoTools
    ? fileURLToPath(new URL('./demo-worker.js', import.meta.url))
    : fileURLToPath(import.meta.resolve('@org/bedrock-stream-worker'));
}

/**
 * Starts everything on loopback and returns the ready config. Ctrl-C handling is the
 * CLI's; call `stop()` to shut down.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const host = options.host ?? '127.0.0.1';
  const region =
    options.region ?? (options.bedrock?.backend === 'aws' ? options.bedrock.region : 'us-east-1');
  const allowedModelIds = options.allowedModelIds ?? [...INVOCABLE_MODEL_IDS];
  const log = options.log
    ? (line: unknown) => process.stderr.write(`${JSON.stringify(line)}\n`)
    : undefined;
  const backend = options.bedrock ?? { backend: 'local' };
  if (
    backend.backend === 'aws' &&
    !(process.env['AWS_ACCESS_KEY_ID'] && process.env['AWS_SECRET_ACCESS_KEY'])
  )
    // The emulator must know the worker's secret to verify its SigV4 publish calls, so
    // profile/SSO credentials are not enough: export them first.
    throw new Error(
      'bedrock backend \'aws\' needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN if temporary) in the environment, e.g. eval "$(aws configure export-credentials --format env)"',
    );
  if (options.webHttps && !options.tls)
    throw new Error('webHttps serves the web app with the tls certificate: set tls too');
  const started: Array<{ close(): Promise<void> }> = [];
  let stopping: Promise<void> | null = null;
  // Idempotent: the CLI may get SIGINT and SIGTERM, tests call stop() in afterAll.
  const stopAll = () =>
    (stopping ??= (async () => {
      for (const part of started.splice(0).reverse()) await part.close().catch(() => undefined);
    })());
  try {
    const startStore = (port: number) =>
      startDynamoDB({
        host,
        port,
        ...(options.dataDir ? { dataDir: join(options.dataDir, 'dynamodb') } : {}),
      });
    let dynamo = await startStore(options.dynamodbPort ?? 0);
    started.push({ close: () => dynamo.close() });
    const ddb = new DynamoDBClient({
      region,
      endpoint: dynamo.endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await ensureStreamsTable(ddb, TABLE_NAME, TABLE, [CONVERSATIONS_BY_OWNER]);

    let bedrock: BedrockServer | null = null;
    if (backend.backend !== 'aws') {
      bedrock = await startBedrockServer({
        host,
        port: options.bedrockPort ?? 0,
        // The endpoint knows the foundation models behind the allowed (profile) ids.
        modelIds: options.bedrockModelIds ?? [...new Set(allowedModelIds.map(foundationModelId))],
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

    // The worker signs publishChunk with its own IAM credentials and the emulator verifies
    // them. With real Bedrock those are the caller's real keys (checked above), which then
    // also sign the Bedrock calls; otherwise fresh local keys.
    const usesRealAws = backend.backend === 'aws';
    const workerCredentials = usesRealAws
      ? {
          accessKeyId: process.env['AWS_ACCESS_KEY_ID']!,
          secretAccessKey: process.env['AWS_SECRET_ACCESS_KEY']!,
        }
      : {
          accessKeyId: `LOCALWORKER${randomBytes(4).toString('hex').toUpperCase()}`,
          secretAccessKey: randomBytes(24).toString('base64'),
        };

    const apiKey = `da2-${randomBytes(13).toString('hex')}`;
    const oidc = await createLocalOidc(`http://${host}/local-oidc`);
    started.push({ close: async () => oidc.release() });
    // Loaded only when asked for: certificate generation brings its own dependencies.
    const tls = options.tls
      ? await (await import('./tls.js')).ensureLocalCertificates(options.tls.dir, { host })
      : null;

    // The emulator's URL is known only once it listens; the Lambda data source calls the
    // invoker through this late-bound reference.
    let invoker: AsyncInvoker | null = null;
    const startEmulator = (port: number, tlsPort: number) =>
      startAppSyncEmulator({
        host,
        port,
        ...(tls ? { tls: { cert: tls.cert, key: tls.key, port: tlsPort } } : {}),
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
          oidc: { issuer: oidc.issuer, jwks: { keys: [oidc.jwk] } },
        },
        environmentVariables: apiDefinition.environmentVariables({
          allowedModelIds,
          tableName: TABLE_NAME,
          quotas: options.quotas,
        }),
        log,
      });
    let emulator = await startEmulator(options.port ?? 0, options.tls?.port ?? 0);
    started.push({ close: () => emulator.close() });

    const worker = options.worker ?? {};
    const workerEnv: Record<string, string> = {
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
      // The local keys must not be paired with a session token from the user's shell.
      ...(usesRealAws ? {} : { AWS_SESSION_TOKEN: '', AWS_SECURITY_TOKEN: '' }),
      ...quotaEnvironment(options.quotas),
      METRICS_ENABLED: 'false',
      ...(worker.toolRunLog ? { DEMO_TOOL_RUN_LOG: worker.toolRunLog } : {}),
      ...(worker.maxSteps !== undefined ? { MAX_STEPS: String(worker.maxSteps) } : {}),
      ...(worker.toolTimeoutMs !== undefined
        ? { TOOL_TIMEOUT_MS: String(worker.toolTimeoutMs) }
        : {}),
      ...(worker.guardrail
        ? {
            GUARDRAIL_ID: worker.guardrail.id,
            GUARDRAIL_VERSION: worker.guardrail.version ?? 'DRAFT',
            GUARDRAIL_STREAM_MODE: worker.guardrail.streamMode ?? 'sync',
            GUARDRAIL_TRACE: worker.guardrail.trace ? 'enabled' : 'disabled',
          }
        : {}),
      LOG_LEVEL: options.log ? 'INFO' : 'ERROR',
    };
    // The on-failure destination and its consumer (in AWS: an SQS queue and the
    // worker's failureHandler): a stream whose event was given up on ends with a
    // terminal error instead of staying RUNNING.
    const failures = createAsyncInvoker({
      handlerModule: worker.handlerModule ?? workerModulePath(),
      handlerExport: 'failureHandler',
      functionName: 'bedrock-stream-failures',
      concurrency: 1,
      timeoutMs: 60_000,
      env: workerEnv,
    });
    started.push({ close: () => failures.close() });
    invoker = createAsyncInvoker({
      handlerModule: worker.handlerModule ?? workerModulePath(worker.demoTools),
      functionName: 'bedrock-stream-worker',
      concurrency: worker.concurrency ?? 8,
      timeoutMs: worker.timeoutMs ?? 15 * 60_000,
      retryDelaysMs: worker.retryDelaysMs ?? [200, 400],
      ...(options.dataDir
        ? { failureLogFile: join(options.dataDir, 'worker-failures.jsonl') }
        : {}),
      onFailure: (record) => {
        options.onWorkerFailure?.(record);
        const body = JSON.stringify(toDestinationRecord(record, 'bedrock-stream-worker'));
        void failures
          .invoke({ Records: [{ messageId: record.requestId, body }] }, 'Event')
          .catch(() => undefined);
      },
      env: workerEnv,
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
      oidcIssuer: oidc.issuer,
      httpsGraphqlUrl: emulator.tls?.graphqlUrl ?? null,
      wssRealtimeUrl: emulator.tls?.realtimeUrl ?? null,
      caFile: tls?.caFile ?? null,
    };
    if (options.webDir) {
      const webTls = options.webHttps && tls ? tls : null;
      web = await startStaticServer({
        dir: options.webDir,
        host,
        port: options.webPort ?? 0,
        // A page served over https talks to the API over https/wss too (no mixed content).
        config: () =>
          webTls
            ? { ...config, graphqlUrl: config.httpsGraphqlUrl, realtimeUrl: config.wssRealtimeUrl }
            : config,
        ...(webTls ? { tls: { cert: webTls.cert, key: webTls.key } } : {}),
      });
      started.push(web);
      config.webUrl = web.url;
    }
    if (options.stateFile) {
      const state = writeStateFile(options.stateFile, config);
      started.unshift({ close: () => state.remove() });
    }
    let restarting: Promise<void> | null = null;
    const restart = async (downMs: number) => {
      const persistent = Boolean(options.dataDir);
      await emulator.close();
      if (persistent) await dynamo.close();
      await new Promise((r) => setTimeout(r, downMs));
      if (stopping) return;
      if (persistent) dynamo = await startStore(dynamo.port);
      emulator = await startEmulator(emulator.port, emulator.tls?.port ?? 0);
    };
    return {
      config,
      get emulator() {
        return emulator;
      },
      bedrock,
      invoker: inv,
      get dynamo() {
        return dynamo;
      },
      workerCredentials,
      issueJwt: oidc.issueJwt,
      tls,
      restartAppSync: async ({ downMs = 0 } = {}) => {
        if (stopping) throw new Error('the stack is stopping');
        // Concurrent calls share one restart.
        restarting ??= restart(downMs).finally(() => (restarting = null));
        await restarting;
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
