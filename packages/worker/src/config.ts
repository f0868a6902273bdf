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

/**
 * The integer variables: each one's bounds and the value it takes when unset. One table
 * rather than a schema per variable: zod builds five objects for a bounded, defaulted
 * integer, and every one of them is cold-start time (see README, cold start).
 */
const INT_VARS = {
  FLUSH_WINDOW_MS: { min: 0, max: 5_000, fallback: 100 },
  MAX_CHUNK_BYTES: { min: 64, max: 32 * 1024, fallback: 16 * 1024 },
  MAX_ATTEMPTS: { min: 1, max: 10, fallback: 3 },
  LEASE_MS: { min: 200, max: 900_000, fallback: 30_000 },
  CANCEL_POLL_MS: { min: 20, max: 500, fallback: 250 },
  STALL_TIMEOUT_MS: { min: 100, max: 900_000, fallback: 60_000 },
  DEADLINE_MARGIN_MIN_MS: { min: 0, max: 60_000, fallback: 250 },
  DEADLINE_MARGIN_MAX_MS: { min: 0, max: 60_000, fallback: 5_000 },
  MODEL_MAX_TRIES: { min: 1, max: 10, fallback: 4 },
  MODEL_RETRY_DELAY_MS: { min: 0, max: 60_000, fallback: 200 },
  MODEL_RETRY_MAX_DELAY_MS: { min: 0, max: 300_000, fallback: 5_000 },
  // With full jitter the waits average half their bounds: 8 tries up to 100 ms .. 2 s ride
  // out an AppSync blip of a few seconds (the fault suite restarts it mid-stream).
  PUBLISH_MAX_TRIES: { min: 1, max: 20, fallback: 8 },
  PUBLISH_RETRY_DELAY_MS: { min: 0, max: 60_000, fallback: 100 },
  PUBLISH_RETRY_MAX_DELAY_MS: { min: 0, max: 300_000, fallback: 2_000 },
  TOOL_TIMEOUT_MS: { min: 1, max: 900_000, fallback: 10_000 },
  MAX_STEPS: { min: 1, max: LIMITS.maxSteps, fallback: 5 },
  HISTORY_TOKEN_BUDGET: { min: 1, max: 10_000_000, fallback: LIMITS.historyTokenBudgetDefault },
} as const satisfies Record<string, { min: number; max: number; fallback: number }>;
type IntVar = keyof typeof INT_VARS;
const INT_VAR_NAMES = Object.keys(INT_VARS) as IntVar[];

const INTEGER = /^-?[0-9]+$/;
/** Every integer variable's schema (one, shared): decimal digits; its bounds are checked by name. */
const intText = z.optional(z.string().check(z.regex(INTEGER, 'must be an integer')));

/** An integer variable's value: its text read as a number, else its fallback. */
function intOf(env: Partial<Record<IntVar, string>>, name: IntVar): number {
  const text = env[name];
  return text === undefined ? INT_VARS[name].fallback : Number(text);
}

/** Whether `text` is an absolute http(s) URL: every URL here is one the worker sends requests to. */
function isHttpUrl(text: string): boolean {
  try {
    const { protocol } = new URL(text);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}

// A refinement, not z.url(): a string check is a kind the contracts build anyway, where
// z.url() is one more kind for the cold start to compile, and it allows any scheme.
const httpUrl = (message: string) => z.string().check(z.refine(isHttpUrl, message));
const optionalEndpoint = z.optional(httpUrl('must be an http(s) URL'));

const EnvSchema = z
  .object({
    GRAPHQL_URL: httpUrl('GRAPHQL_URL must be the AppSync GraphQL URL (http or https)'),
    AWS_REGION: z.string().check(z.minLength(1, 'AWS_REGION is required')),
    TABLE_NAME: z.string().check(z.minLength(1, 'TABLE_NAME is required')),
    ALLOWED_MODEL_IDS: csv,
    ...(Object.fromEntries(INT_VAR_NAMES.map((name) => [name, intText])) as Record<
      IntVar,
      typeof intText
    >),
    BEDROCK_ENDPOINT: optionalEndpoint,
    DYNAMODB_ENDPOINT: optionalEndpoint,
    METRICS_ENABLED: z.optional(z.enum(['true', 'false'])),
    // The logger reads it at import (it logs before the config exists) and takes a bad
    // value as INFO; the cold start fails here instead, naming it.
    LOG_LEVEL: z.optional(
      z.string().check(
        z.refine((s) => parseLogLevel(s) !== undefined, {
          message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (any case)`,
        }),
      ),
    ),
    GUARDRAIL_ID: z.optional(z.string().check(z.minLength(1))),
    GUARDRAIL_VERSION: z.optional(z.string().check(z.minLength(1))),
    GUARDRAIL_STREAM_MODE: z.optional(z.enum(['sync', 'async'])),
    GUARDRAIL_TRACE: z.optional(z.enum(['enabled', 'disabled'])),
  })
  .check(
    z.superRefine(
      (env, ctx) => {
        const ints: Partial<Record<IntVar, string>> = {};
        for (const name of INT_VAR_NAMES) {
          const text: unknown = env[name];
          if (typeof text !== 'string' || !INTEGER.test(text)) continue;
          ints[name] = text;
          const { min, max } = INT_VARS[name];
          const value = Number(text);
          if (value < min || value > max)
            ctx.addIssue({
              code: 'custom',
              path: [name],
              message: `must be an integer from ${min} to ${max} (got ${text})`,
            });
        }
        if (intOf(ints, 'DEADLINE_MARGIN_MIN_MS') > intOf(ints, 'DEADLINE_MARGIN_MAX_MS'))
          ctx.addIssue({
            code: 'custom',
            path: ['DEADLINE_MARGIN_MAX_MS'],
            message: 'must not be below DEADLINE_MARGIN_MIN_MS',
          });
      },
      // Even when another variable failed, so one error names every bad variable.
      { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
    ),
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
    flushWindowMs: intOf(e, 'FLUSH_WINDOW_MS'),
    maxChunkBytes: intOf(e, 'MAX_CHUNK_BYTES'),
    maxAttempts: intOf(e, 'MAX_ATTEMPTS'),
    leaseMs: intOf(e, 'LEASE_MS'),
    cancelPollMs: intOf(e, 'CANCEL_POLL_MS'),
    stallTimeoutMs: intOf(e, 'STALL_TIMEOUT_MS'),
    deadlineMargin: {
      minMs: intOf(e, 'DEADLINE_MARGIN_MIN_MS'),
      maxMs: intOf(e, 'DEADLINE_MARGIN_MAX_MS'),
    },
    modelRetry: {
      maxTries: intOf(e, 'MODEL_MAX_TRIES'),
      initialDelayMs: intOf(e, 'MODEL_RETRY_DELAY_MS'),
      maxDelayMs: intOf(e, 'MODEL_RETRY_MAX_DELAY_MS'),
    },
    publishRetry: {
      maxTries: intOf(e, 'PUBLISH_MAX_TRIES'),
      initialDelayMs: intOf(e, 'PUBLISH_RETRY_DELAY_MS'),
      maxDelayMs: intOf(e, 'PUBLISH_RETRY_MAX_DELAY_MS'),
    },
    bedrockEndpoint: e.BEDROCK_ENDPOINT,
    dynamodbEndpoint: e.DYNAMODB_ENDPOINT,
    metricsEnabled: e.METRICS_ENABLED !== 'false',
    toolTimeoutMs: intOf(e, 'TOOL_TIMEOUT_MS'),
    maxSteps: intOf(e, 'MAX_STEPS'),
    historyTokenBudget: intOf(e, 'HISTORY_TOKEN_BUDGET'),
    guardrail: e.GUARDRAIL_ID
      ? {
          id: e.GUARDRAIL_ID,
          version: e.GUARDRAIL_VERSION ?? 'DRAFT',
          streamMode: e.GUARDRAIL_STREAM_MODE ?? 'sync',
          trace: e.GUARDRAIL_TRACE ?? 'disabled',
        }
      : null,
    quotas: quotasFromEnvironment(env),
  };
}
