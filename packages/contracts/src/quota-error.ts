import * as z from 'zod/mini';
import { QUOTA_MAX, QUOTA_NAMES, type QuotaErrorInfo } from './quotas.js';

/**
 * The `errorInfo` of a `QuotaExceeded` GraphQL error (a refused startStream), as a tolerant
 * reader: unknown fields are dropped, so the server may add some.
 */
export const QuotaErrorInfoSchema = z.object({
  quota: z.enum(QUOTA_NAMES),
  limit: z.int().check(z.minimum(1), z.maximum(QUOTA_MAX)),
  current: z.int().check(z.nonnegative()),
  retryAfterSeconds: z.int().check(z.nonnegative()),
}) satisfies z.ZodMiniType<QuotaErrorInfo>;

/** Parses a GraphQL error's `errorInfo` as quota details; null when it is not one. */
export function parseQuotaErrorInfo(errorInfo: unknown): QuotaErrorInfo | null {
  const parsed = QuotaErrorInfoSchema.safeParse(errorInfo);
  return parsed.success ? parsed.data : null;
}
