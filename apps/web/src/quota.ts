import type { UsageReport } from '@org/bedrock-stream-client';
import type { QuotaErrorInfo } from '@org/bedrock-stream-contracts';

const number = new Intl.NumberFormat('en-US');

/** "42 s", "3 min", "5 h 12 min": how long until a limit lets the user try again. */
export function formatWait(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

/** The fields of a StreamClientError that say whether and how a quota stopped the user. */
export interface QuotaErrorLike {
  code?: string | undefined;
  retryAfterSeconds?: number | null | undefined;
  quota?: QuotaErrorInfo | null | undefined;
}

/**
 * What to tell the user when a quota stopped them (a refused start, or an answer stopped
 * because today's output tokens ran out); null for any other error.
 */
export function quotaMessage(error: QuotaErrorLike | null | undefined): string | null {
  if (!error || (error.code !== 'QuotaExceeded' && error.code !== 'THROTTLED')) return null;
  const wait =
    error.retryAfterSeconds == null ? '' : ` Try again in ${formatWait(error.retryAfterSeconds)}.`;
  if (error.code === 'THROTTLED') return `Too many requests at once.${wait}`;
  const quota = error.quota ?? null;
  switch (quota?.quota) {
    case 'concurrentStreamsPerOwner':
      return `You already have ${quota.current} of ${quota.limit} answers running: wait for one to finish.${wait}`;
    case 'streamsPerMinutePerOwner':
      return `You started ${quota.current} of ${quota.limit} answers allowed per minute.${wait}`;
    case 'outputTokensPerDayPerOwner':
      return `You used ${number.format(quota.current)} of your ${number.format(quota.limit)} output tokens for today.${wait}`;
    case 'concurrentStreamsGlobal':
      return `The service is at capacity (${quota.limit} answers running).${wait}`;
    default:
      // The worker stopped the answer mid-way: the day's output tokens ran out.
      return `This answer was stopped: you used your output tokens for today.${wait}`;
  }
}

/** "Today: 12,345 output tokens (of 200,000) · 7 answers", or "Today: no usage yet". */
export function usageSummary(usage: UsageReport | null): string {
  if (!usage) return '';
  const { total, quotas } = usage;
  if (total.streams === 0) return 'Today: no usage yet';
  const limit = quotas.outputTokensPerDayPerOwner;
  const tokens = `${number.format(total.outputTokens)} output tokens${limit ? ` (of ${number.format(limit)})` : ''}`;
  return `Today: ${tokens} · ${total.streams} answer${total.streams === 1 ? '' : 's'}`;
}
