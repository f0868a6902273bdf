import { z } from 'zod';
import { QUOTA_MAX, QUOTA_NAMES, type QuotaErrorInfo } from './quotas.js';

/**
 * The `errorInfo` of a `QuotaExceeded` GraphQL error (a refused startStream), as a tolerant
 * reader: unknown fields are dropped, so the server may add some.
 */
export const QuotaErrorInfoSchema = z.object({
  quota: z.enum(QUOTA_NAMES),
  limit: z.number().int().min(1).max(QUOTA_MAX),
  current: z.number().int().min(0),
  retryAfterSeconds: z.number().int().min(0),
}) satisfies z.ZodType<QuotaErrorInfo>;

/** Parses a GraphQL error's `errorInfo` as quota details; null when it is not one. */
export function parseQuotaErrorInfo(errorInfo: unknown): QuotaErrorInfo | null {
  const parsed = QuotaErrorInfoSchema.safeParse(errorInfo);
  return parsed.success ? parsed.data : null;
}
