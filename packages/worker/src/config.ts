import { z } from 'zod';

const csv = z
  .string()
  .min(1)
  .transform((s) =>
    s
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean),
  );

const EnvSchema = z.object({
  GRAPHQL_URL: z.url({ message: 'GRAPHQL_URL must be the AppSync GraphQL URL' }),
  AWS_REGION: z.string().min(1, 'AWS_REGION is required'),
  TABLE_NAME: z.string().min(1, 'TABLE_NAME is required'),
  ALLOWED_MODEL_IDS: csv,
  FLUSH_WINDOW_MS: z.coerce.number().int().min(0).max(5_000).default(100),
  MAX_CHUNK_BYTES: z.coerce
    .number()
    .int()
    .min(64)
    .max(32 * 1024)
    .default(16 * 1024),
  MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  LEASE_MS: z.coerce.number().int().min(200).max(900_000).default(30_000),
  CANCEL_POLL_MS: z.coerce.number().int().min(20).max(500).default(250),
  STALL_TIMEOUT_MS: z.coerce.number().int().min(100).max(900_000).default(60_000),
  BEDROCK_ENDPOINT: z.url().optional(),
  DYNAMODB_ENDPOINT: z.url().optional(),
  METRICS_ENABLED: z.enum(['true', 'false']).default('true'),
});

/** Validated worker configuration. */
export interface WorkerConfig {
  graphqlUrl: string;
  region: string;
  tableName: string;
  allowedModelIds: string[];
  flushWindowMs: number;
  maxChunkBytes: number;
  maxAttempts: number;
  leaseMs: number;
  cancelPollMs: number;
  stallTimeoutMs: number;
  bedrockEndpoint?: string;
  dynamodbEndpoint?: string;
  metricsEnabled: boolean;
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
    bedrockEndpoint: e.BEDROCK_ENDPOINT,
    dynamodbEndpoint: e.DYNAMODB_ENDPOINT,
    metricsEnabled: e.METRICS_ENABLED === 'true',
  };
}
