import {
  LIMITS,
  quotasFromEnvironment,
  type QuotaSettings,
  type RetryPolicy,
} from '@org/bedrock-stream-contracts';
import * as z from 'zod/mini';
import type { GuardrailSettings } from './generate.js';
import { LOG_LEVELS, parseLogLevel } from './log.js';

const csv = z.pipe(
  z.string().check(z.minLength(1)),
  z.transform((s: string) =>
    s
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean),
  ),
);

const int = (min: number, max: number, fallback: number) =>
  z._default(z.coerce.number().check(z.int(), z.gte(min), z.lte(max)), fallback);

const EnvSchema = z
  .object({
    GRAPHQL_URL: z.url({ error: 'GRAPHQL_URL must be the AppSync GraphQL URL' }),
    AWS_REGION: z.string().check(z.minLength(1, 'AWS_REGION is required')),
    TABLE_NAME: z.string().check(z.minLength(1, 'TABLE_NAME is required')),
    ALLOWED_MODEL_IDS: csv,
    FLUSH_WINDOW_MS: int(0, 5_000, 100),
    MAX_CHUNK_BYTES: int(64, 32 * 1024, 16 * 1024),
    MAX_ATTEMPTS: int(1, 10, 3),
    LEASE_MS: int(200, 900_000, 30_000),
    CANCEL_POLL_MS: int(20, 500, 250),
    STALL_TIMEOUT_MS: int(100, 900_000, 60_000),
    DEADLINE_MARGIN_MIN_MS: int(0, 60_000, 250),
    DEADLINE_MARGIN_MAX_MS: int(0, 60_000, 5_000),
    MODEL_MAX_TRIES: int(1, 10, 4),
    MODEL_RETRY_DELAY_MS: int(0, 60_000, 200),
    MODEL_RETRY_MAX_DELAY_MS: int(0, 300_000, 5_000),
    // With full jitter the waits average half their bounds: 8 tries up to 100 ms .. 2 s ride
    // out an AppSync blip of a few seconds (the fault suite restarts it mid-stream).
    PUBLISH_MAX_TRIES: int(1, 20, 8),
    PUBLISH_RETRY_DELAY_MS: int(0, 60_000, 100),
    PUBLISH_RETRY_MAX_DELAY_MS: int(0, 300_000, 2_000),
    BEDROCK_ENDPOINT: z.optional(z.url()),
    DYNAMODB_ENDPOINT: z.optional(z.url()),
    METRICS_ENABLED: z._default(z.enum(['true', 'false']), 'true'),
    // The logger reads it at import (it logs before the config exists) and takes a bad
    // value as INFO; the cold start fails here instead, naming it.
    LOG_LEVEL: z.optional(
      z.string().check(
        z.refine((s) => parseLogLevel(s) !== undefined, {
          message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (any case)`,
        }),
      ),
    ),
    TOOL_TIMEOUT_MS: int(1, 900_000, 10_000),
    MAX_STEPS: int(1, LIMITS.maxSteps, 5),
    HISTORY_TOKEN_BUDGET: int(1, 10_000_000, LIMITS.historyTokenBudgetDefault),
    GUARDRAIL_ID: z.optional(z.string().check(z.minLength(1))),
    GUARDRAIL_VERSION: z._default(z.string().check(z.minLength(1)), 'DRAFT'),
    GUARDRAIL_STREAM_MODE: z._default(z.enum(['sync', 'async']), 'sync'),
    GUARDRAIL_TRACE: z._default(z.enum(['enabled', 'disabled']), 'disabled'),
  })
  .check(
    z.refine((e) => e.DEADLINE_MARGIN_MIN_MS <= e.DEADLINE_MARGIN_MAX_MS, {
      message: 'must not be below DEADLINE_MARGIN_MIN_MS',
      path: ['DEADLINE_MARGIN_MAX_MS'],
    }),
  );

/** Bounds of the time a run keeps back before the function timeout (a tenth of its time). */
export interface DeadlineMarginBounds {
  minMs: number;
  maxMs: number;
}

/** Validated worker configuration. */
export interface WorkerConfig {
  graphqlUrl: string;
  region: string;
  tableName: string;
  allowedModelIds: string[];
  /** Coalescer window. */
  flushWindowMs: number;
  /** Text bytes per chunk. */
  maxChunkBytes: number;
  /** Attempts per stream before a terminal error event. */
  maxAttempts: number;
  /** Lease a running attempt holds (renewed every lease/3). */
  leaseMs: number;
  /** How often the record is read for `cancelRequested`. */
  cancelPollMs: number;
  /** No model output for this long aborts the call as retryable. */
  stallTimeoutMs: number;
  /** Time kept back before the function timeout: a tenth of the run's time within these bounds. */
  deadlineMargin: DeadlineMarginBounds;
  /** Bedrock calls retried in place (before any text went out). */
  modelRetry: RetryPolicy;
  /** Publishes retried with the same (attempt, seq). */
  publishRetry: RetryPolicy;
  bedrockEndpoint?: string;
  dynamodbEndpoint?: string;
  metricsEnabled: boolean;
  /** A server tool's run time before it becomes an error result (a tool may set its own). */
  toolTimeoutMs: number;
  /** Model calls per answer when tools are used; `input.maxSteps` overrides it. */
  maxSteps: number;
  /**
   * Estimated input tokens of a conversation's history per answer (4 characters a token):
   * the oldest whole messages beyond it are left out.
   */
  historyTokenBudget: number;
  /** The guardrail every model call goes through, if any. */
  guardrail: GuardrailSettings | null;
  /**
   * Quotas (contracts' QUOTA_ENV variables; off when unset). The worker enforces
   * `outputTokensPerDayPerOwner` mid-answer; the others are startStream's.
   */
  quotas: QuotaSettings;
}

/**
 * Reads and validates the worker's environment (at cold start).
 * @throws Error naming every invalid or missing variable.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): WorkerConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid worker configuration: ${problems}`);
  }
  const e = parsed.data;
  return {
    graphqlUrl: e.GRAPHQL_URL,
    region: e.AWS_REGION,
    tableName: e.TABLE_NAME,
    allowedModelIds: e.ALLOWED_MODEL_IDS,
    flushWindowMs: e.FLUSH_WINDOW_MS,
    maxChunkBytes: e.MAX_CHUNK_BYTES,
    maxAttempts: e.MAX_ATTEMPTS,
    leaseMs: e.LEASE_MS,
    cancelPollMs: e.CANCEL_POLL_MS,
    stallTimeoutMs: e.STALL_TIMEOUT_MS,
    deadlineMargin: { minMs: e.DEADLINE_MARGIN_MIN_MS, maxMs: e.DEADLINE_MARGIN_MAX_MS },
    modelRetry: {
      maxTries: e.MODEL_MAX_TRIES,
      initialDelayMs: e.MODEL_RETRY_DELAY_MS,
      maxDelayMs: e.MODEL_RETRY_MAX_DELAY_MS,
    },
    publishRetry: {
      maxTries: e.PUBLISH_MAX_TRIES,
      initialDelayMs: e.PUBLISH_RETRY_DELAY_MS,
      maxDelayMs: e.PUBLISH_RETRY_MAX_DELAY_MS,
    },
    bedrockEndpoint: e.BEDROCK_ENDPOINT,
    dynamodbEndpoint: e.DYNAMODB_ENDPOINT,
    metricsEnabled: e.METRICS_ENABLED === 'true',
    toolTimeoutMs: e.TOOL_TIMEOUT_MS,
    maxSteps: e.MAX_STEPS,
    historyTokenBudget: e.HISTORY_TOKEN_BUDGET,
    guardrail: e.GUARDRAIL_ID
      ? {
          id: e.GUARDRAIL_ID,
          version: e.GUARDRAIL_VERSION,
          streamMode: e.GUARDRAIL_STREAM_MODE,
          trace: e.GUARDRAIL_TRACE,
        }
      : null,
    quotas: quotasFromEnvironment(env),
  };
}
