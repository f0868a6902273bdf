import {
  QUOTA_MAX,
  QUOTA_NAMES,
  isQuotaLimit,
  type QuotaSettings,
} from '@org/bedrock-stream-contracts';
import type { ApiDefinition } from '@org/bedrock-stream-resolvers';
import type {
  Duration,
  RemovalPolicy,
  aws_appsync as appsync,
  aws_cloudwatch as cloudwatch,
  aws_cognito as cognito,
  aws_logs as logs,
} from 'aws-cdk-lib';

/**
 * How end users call the API (the default authorization mode). IAM is always added as an
 * additional mode, because the worker publishes chunks with its own role (SigV4) and
 * `publishChunk` is `@aws_iam` only.
 */
export type BedrockStreamAuth =
  | {
      /** API key: for demos and the example app. */
      mode: 'API_KEY';
      /** Days until the key expires, 1-365. Default: AppSync's default (7 days). */
      apiKeyExpiresInDays?: number;
    }
  | {
      /** Amazon Cognito user pool JWTs (owner = `sub`). */
      mode: 'USER_POOL';
      userPool: cognito.IUserPool;
      /** Only tokens of app clients matching this regex are accepted. */
      appIdClientRegex?: string;
    }
  | {
      /** Any OpenID Connect provider's JWTs (owner = `sub`). */
      mode: 'OIDC';
      /** The issuer URL (`iss` claim). */
      issuer: string;
      /** The client id (`aud` claim) to accept; default any. */
      clientId?: string;
    }
  | {
      /** IAM SigV4 for end users too (for example Cognito identity pools). */
      mode: 'IAM';
    };

/** A Bedrock guardrail the worker applies to every generation. */
export interface BedrockStreamGuardrail {
  /** The guardrail's id (or its ARN, which must be in the stack's account). */
  identifier: string;
  /** A published version number (`1`, `2`, ...) or `DRAFT`. */
  version: string;
  /**
   * How Bedrock checks a streamed answer: `sync` holds each chunk until it is checked,
   * `async` sends chunks at once and checks in the background. Default: Bedrock's (`sync`).
   */
  streamProcessingMode?: 'sync' | 'async';
  /** Return the guardrail's trace with the stream's metadata. Default false. */
  trace?: boolean;
}

/** Tools the worker may call, bundled into the worker (see the README for why). */
export interface BedrockStreamTools {
  /**
   * Path of a module whose default export, or `tools` export, is an array of the worker's
   * `defineTool(...)` results. Relative paths are resolved from the process's cwd.
   */
  entry: string;
}

/** Props of {@link BedrockStreamApi}. Only `modelIds` is required. */
export interface BedrockStreamApiProps {
  /**
   * The Bedrock model ids and/or system inference-profile ids (`us.anthropic...`) clients may
   * use: the resolvers' allow-list and the only models the worker's role may invoke.
   */
  modelIds: string[];
  /** Default: `{ mode: 'API_KEY' }` (demo). Use USER_POOL or OIDC for real users. */
  auth?: BedrockStreamAuth;
  /** Name of the AppSync API. Default: `<stack name>-bedrock-stream`. */
  apiName?: string;
  /** AppSync field log level. Default ERROR (ALL would write prompts and answers to logs). */
  fieldLogLevel?: appsync.FieldLogLevel;
  /** Retention of the API's and the worker's log groups. Default one month. */
  logRetention?: logs.RetentionDays;
  /** AWS X-Ray tracing of the API. Default false (X-Ray is billed per trace). */
  xrayEnabled?: boolean;
  /** Coalescer window of the worker (`FLUSH_WINDOW_MS`). Default 100 ms. */
  flushWindowMs?: number;
  /** Worker attempts per stream (`MAX_ATTEMPTS`, Lambda's async retries included). Default 3. */
  maxAttempts?: number;
  /** Worker timeout, at most 15 minutes (a long generation must fit). Default 15 minutes. */
  workerTimeout?: Duration;
  /** Worker memory. Default 1024 MB (more memory also means more CPU for TLS and JSON). */
  workerMemoryMb?: number;
  /** Reserved concurrency of the worker (caps parallel generations). Default: unreserved. */
  reservedConcurrency?: number;
  /**
   * Estimated input tokens of the stored history a conversation turn sends to the model
   * (`HISTORY_TOKEN_BUDGET`): older whole messages beyond it are left out, never a tool
   * call without its result. Default contracts' `LIMITS.historyTokenBudgetDefault` (100,000).
   */
  historyTokenBudget?: number;
  /** Extra worker environment (for example `LEASE_MS`, `STALL_TIMEOUT_MS`). */
  workerEnvironment?: Record<string, string>;
  /**
   * Limits on what end users can spend (contracts' QuotaSettings; each off unless set):
   * `concurrentStreamsPerOwner`, `streamsPerMinutePerOwner`, `outputTokensPerDayPerOwner`
   * (checked at start against the usage ledger; a running answer that passes it is stopped)
   * and `concurrentStreamsGlobal`. Enforced by the resolvers (one DynamoDB transaction per
   * start) and the worker. Default: none. The example app sets all four.
   */
  quotas?: QuotaSettings;
  /** Lambda async retries after a failed run, 0-2. Default 2. */
  retryAttempts?: number;
  /** Drop invocation events older than this (60 s - 6 h). Default 1 hour. */
  maxEventAge?: Duration;
  /** Actions of the alarm on the on-failure queue (for example an SNS topic). Default none. */
  failureAlarmActions?: cloudwatch.IAlarmAction[];
  /** Point-in-time recovery of the table. Default true. */
  pointInTimeRecovery?: boolean;
  /** Removal policy of the table (and the failure queue). Default RETAIN. */
  removalPolicy?: RemovalPolicy;
  /**
   * The API wiring. Default: `apiDefinition` of `@org/bedrock-stream-resolvers`, the one the
   * local emulator runs. Override only for tests or an extended schema.
   */
  apiDefinition?: ApiDefinition;
  /**
   * Tools the model may call, run inside the worker: the construct bundles a generated entry
   * `createHandler({ tools })` around `entry` into the worker's single function.
   */
  tools?: BedrockStreamTools;
  /**
   * A Bedrock guardrail applied to every generation: worker env `GUARDRAIL_ID`,
   * `GUARDRAIL_VERSION`, `GUARDRAIL_STREAM_MODE`, `GUARDRAIL_TRACE`, and
   * `bedrock:ApplyGuardrail` on that guardrail only.
   */
  guardrail?: BedrockStreamGuardrail;
  /** Add CfnOutputs (GraphqlUrl, Region, ApiKeyId). Default true. */
  outputs?: boolean;
}

/** Lambda's longest timeout. */
export const MAX_TIMEOUT_SECONDS = 15 * 60;

/** Throws a clear error naming the first invalid prop. */
export function validateProps(props: BedrockStreamApiProps): void {
  const fail = (msg: string): never => {
    throw new Error(`BedrockStreamApi: ${msg}`);
  };
  if (props.modelIds.length === 0) fail('modelIds must name at least one model');
  for (const id of props.modelIds)
    if (!/^[\w.:/-]+$/.test(id)) fail(`modelIds: "${id}" is not a Bedrock model id or ARN`);
  const timeout = props.workerTimeout?.toSeconds();
  if (timeout !== undefined && (timeout < 1 || timeout > MAX_TIMEOUT_SECONDS))
    fail('workerTimeout must be between 1 second and 15 minutes');
  const retries = props.retryAttempts;
  if (retries !== undefined && ![0, 1, 2].includes(retries))
    fail('retryAttempts must be 0, 1 or 2');
  const age = props.maxEventAge?.toSeconds();
  if (age !== undefined && (age < 60 || age > 6 * 3600))
    fail('maxEventAge must be between 60 seconds and 6 hours');
  const flush = props.flushWindowMs;
  if (flush !== undefined && (!Number.isInteger(flush) || flush < 0 || flush > 5000))
    fail('flushWindowMs must be an integer from 0 to 5000');
  const budget = props.historyTokenBudget;
  if (budget !== undefined && (!Number.isInteger(budget) || budget < 1 || budget > 10_000_000))
    fail('historyTokenBudget must be an integer from 1 to 10,000,000');
  const attempts = props.maxAttempts;
  if (attempts !== undefined && (!Number.isInteger(attempts) || attempts < 1 || attempts > 10))
    fail('maxAttempts must be an integer from 1 to 10');
  const rc = props.reservedConcurrency;
  if (rc !== undefined && (!Number.isInteger(rc) || rc < 1))
    fail('reservedConcurrency must be a positive integer');
  for (const name of QUOTA_NAMES) {
    const limit = props.quotas?.[name];
    if (limit !== undefined && !isQuotaLimit(limit))
      fail(`quotas.${name} must be an integer from 1 to ${QUOTA_MAX}`);
  }
  const guardrail = props.guardrail;
  if (guardrail) {
    if (
      !/^([a-z0-9]+|arn:aws(-[a-z-]+)?:bedrock:[a-z0-9-]+:\d{12}:guardrail\/[a-z0-9]+)$/.test(
        guardrail.identifier,
      )
    )
      fail(`guardrail.identifier: "${guardrail.identifier}" is not a guardrail id or ARN`);
    if (!/^([1-9]\d{0,7}|DRAFT)$/.test(guardrail.version))
      fail(`guardrail.version: "${guardrail.version}" is not a version number or DRAFT`);
    const mode = guardrail.streamProcessingMode;
    if (mode !== undefined && mode !== 'sync' && mode !== 'async')
      fail('guardrail.streamProcessingMode must be sync or async');
  }
  if (props.tools && !props.tools.entry) fail('tools.entry must name a module');
  if (props.auth?.mode === 'API_KEY' && props.auth.apiKeyExpiresInDays !== undefined) {
    const d = props.auth.apiKeyExpiresInDays;
    if (!Number.isInteger(d) || d < 1 || d > 365)
      fail('auth.apiKeyExpiresInDays must be an integer from 1 to 365');
  }
}
