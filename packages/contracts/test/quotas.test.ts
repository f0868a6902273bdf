import { describe, expect, it } from 'vitest';
import {
  QUOTA_ENV,
  estimateTokens,
  ownerPartitionKey,
  parseQuotaErrorInfo,
  quotaEnvironment,
  quotasFromEnvironment,
  secondsToNextMinute,
  secondsToNextUtcDay,
  usageDaySortKey,
  usageMonthSortKey,
  utcDay,
  utcMinute,
  utcMonth,
} from '../src/index.js';

describe('quotas', () => {
  it('travel through environment variables and back, unset ones staying off', () => {
    const quotas = { concurrentStreamsPerOwner: 3, outputTokensPerDayPerOwner: 50_000 };
    const env = quotaEnvironment(quotas);
    expect(env).toEqual({
      [QUOTA_ENV.concurrentStreamsPerOwner]: '3',
      [QUOTA_ENV.outputTokensPerDayPerOwner]: '50000',
    });
    expect(quotasFromEnvironment(env)).toEqual(quotas);
    expect(quotasFromEnvironment({ [QUOTA_ENV.streamsPerMinutePerOwner]: '' })).toEqual({});
    expect(quotasFromEnvironment({ [QUOTA_ENV.streamsPerMinutePerOwner]: '-1' })).toEqual({});
    expect(() => quotaEnvironment({ concurrentStreamsGlobal: 0 })).toThrow(
      /concurrentStreamsGlobal/,
    );
  });

  it('count windows in UTC', () => {
    const iso = '2026-05-31T23:59:30.123Z';
    expect([utcDay(iso), utcMonth(iso), utcMinute(iso)]).toEqual([
      '2026-05-31',
      '2026-05',
      '2026-05-31T23:59',
    ]);
    const seconds = Date.parse(iso) / 1000;
    expect(secondsToNextMinute(seconds)).toBe(30);
    expect(secondsToNextUtcDay(seconds)).toBe(30);
    expect(secondsToNextMinute(Date.parse('2026-01-01T00:00:00Z') / 1000)).toBe(60);
  });

  it('keep ledger keys in date order with per-model items after their period', () => {
    const keys = [
      usageDaySortKey('2026-01-02'),
      usageDaySortKey('2026-01-01', 'z.model'),
      usageDaySortKey('2026-01-01'),
      usageMonthSortKey('2026-01'),
    ].sort();
    expect(keys).toEqual([
      'USAGE#D#2026-01-01',
      'USAGE#D#2026-01-01#MODEL#z.model',
      'USAGE#D#2026-01-02',
      'USAGE#M#2026-01',
    ]);
    expect(ownerPartitionKey('jwt:iss:sub')).toBe('OWNER#jwt:iss:sub');
  });

  it('parse a refusal’s errorInfo tolerantly, and estimate tokens', () => {
    const info = { quota: 'streamsPerMinutePerOwner', limit: 5, current: 5, retryAfterSeconds: 12 };
    expect(parseQuotaErrorInfo({ ...info, extra: true })).toEqual(info);
    expect(parseQuotaErrorInfo({ ...info, quota: 'other' })).toBeNull();
    expect(parseQuotaErrorInfo(null)).toBeNull();
    expect(estimateTokens(0)).toBe(0);
    expect(estimateTokens(9)).toBe(3);
  });
});
