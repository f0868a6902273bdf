// Quotas: what limits startStream and the worker enforce, how they travel (AppSync
// environment variables, the worker's env), and the typed error a refusal carries.
// Plain data and string arithmetic only (no zod, no Date, no padStart): the APPSYNC_JS
// resolvers bundle this file through the `./quotas` subpath.

/**
 * The limits, by the name a refusal reports in its `quota` field. Each is off unless set.
 * - `concurrentStreamsPerOwner`: streams one owner has accepted or running at once.
 * - `streamsPerMinutePerOwner`: starts of one owner in one UTC minute (fixed window).
 * - `outputTokensPerDayPerOwner`: output tokens of one owner's ended streams on one UTC day
 *   (checked at start against the ledger; a running stream that passes it is stopped).
 * - `concurrentStreamsGlobal`: streams accepted or running for everyone together.
 */
export const QUOTA_NAMES = [
  'concurrentStreamsPerOwner',
  'streamsPerMinutePerOwner',
  'outputTokensPerDayPerOwner',
  'concurrentStreamsGlobal',
] as const;
export type QuotaName = (typeof QUOTA_NAMES)[number];

/** Configured limits (positive integers); an absent one is off. */
export type QuotaSettings = Partial<Record<QuotaName, number>>;

/** The environment variable that carries each limit (AppSync `ctx.env` and the worker's env). */
export const QUOTA_ENV: Readonly<Record<QuotaName, string>> = {
  concurrentStreamsPerOwner: 'QUOTA_CONCURRENT_STREAMS_PER_OWNER',
  streamsPerMinutePerOwner: 'QUOTA_STREAMS_PER_MINUTE_PER_OWNER',
  outputTokensPerDayPerOwner: 'QUOTA_OUTPUT_TOKENS_PER_DAY_PER_OWNER',
  concurrentStreamsGlobal: 'QUOTA_CONCURRENT_STREAMS_GLOBAL',
};

/** Upper bound of any limit (keeps every counter a safe integer in DynamoDB and JSON). */
export const QUOTA_MAX = 1_000_000_000_000;

/**
 * Seconds a refused start is told to wait for a concurrency slot: a slot frees when one of
 * the owner's streams ends, which nobody can predict.
 */
export const CONCURRENCY_RETRY_AFTER_SECONDS = 5;

/** Whether `value` is a valid limit: an integer from 1 to {@link QUOTA_MAX}. */
export function isQuotaLimit(value: unknown): value is number {
  return (
    typeof value === 'number' && Math.floor(value) === value && value >= 1 && value <= QUOTA_MAX
  );
}

/**
 * The environment variables for `quotas` (only the limits that are set).
 * @throws Error naming a limit that is not an integer from 1 to QUOTA_MAX.
 */
export function quotaEnvironment(quotas: QuotaSettings = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of QUOTA_NAMES) {
    const value = quotas[name];
    if (value === undefined) continue;
    if (!isQuotaLimit(value)) {
      throw new Error(`quota ${name} must be an integer from 1 to ${QUOTA_MAX}, got ${value}`);
    }
    env[QUOTA_ENV[name]] = String(value);
  }
  return env;
}

/** The limits set in `env` (empty or invalid values are off). */
export function quotasFromEnvironment(env: Record<string, string | undefined>): QuotaSettings {
  const quotas: QuotaSettings = {};
  for (const name of QUOTA_NAMES) {
    const raw = env[QUOTA_ENV[name]];
    const value = raw ? Number(raw) : NaN;
    if (isQuotaLimit(value)) quotas[name] = value;
  }
  return quotas;
}

/** What a `QuotaExceeded` refusal carries in `errorInfo` (and the client surfaces). */
export interface QuotaErrorInfo {
  quota: QuotaName;
  limit: number;
  /** The counter's value when the start was refused (for a token limit: tokens used today). */
  current: number;
  /** When a retry can succeed, in seconds from the refusal. */
  retryAfterSeconds: number;
}

/** `yyyy-mm-dd` of an ISO 8601 UTC timestamp. */
export function utcDay(iso: string): string {
  return iso.slice(0, 10);
}

/** `yyyy-mm` of an ISO 8601 UTC timestamp. */
export function utcMonth(iso: string): string {
  return iso.slice(0, 7);
}

/** `yyyy-mm-ddThh:mm` of an ISO 8601 UTC timestamp (the per-minute window). */
export function utcMinute(iso: string): string {
  return iso.slice(0, 16);
}

/** Seconds from `epochSeconds` to the next UTC minute (1 to 60). */
export function secondsToNextMinute(epochSeconds: number): number {
  return 60 - (Math.floor(epochSeconds) % 60);
}

/** Seconds from `epochSeconds` to the next UTC midnight (1 to 86,400). */
export function secondsToNextUtcDay(epochSeconds: number): number {
  return 86_400 - (Math.floor(epochSeconds) % 86_400);
}

/** How long ledger day items are kept (DynamoDB TTL): 400 days, a year of daily history. */
export const LEDGER_DAY_TTL_SECONDS = 400 * 24 * 3600;

/** Characters per token for estimates where Bedrock reported no usage (English averages ~4). */
export const CHARS_PER_TOKEN_ESTIMATE = 4;

/** An estimate of the tokens in `chars` characters of text. */
export function estimateTokens(chars: number): number {
  return Math.ceil(Math.max(0, chars) / CHARS_PER_TOKEN_ESTIMATE);
}
