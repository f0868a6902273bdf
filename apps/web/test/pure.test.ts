/** The page's pure parts: config parsing and its sources, quota messages (more in chat-parts.test.ts). */
import { describe, expect, it } from 'vitest';
import { configSource, parseWebConfig } from '../src/config.js';
import { formatWait, quotaMessage, usageSummary } from '../src/quota.js';
import { StreamClientError } from '@org/bedrock-stream-client';

const stackJson = {
  ready: true,
  graphqlUrl: 'http://127.0.0.1:4000/graphql',
  realtimeUrl: 'ws://127.0.0.1:4000/graphql/realtime',
  region: 'us-east-1',
  apiKey: 'da2-local',
  allowedModelIds: ['anthropic.claude-3-haiku-20240307-v1:0', 'local.echo-v1'],
  defaultModelId: 'anthropic.claude-3-haiku-20240307-v1:0',
  bedrockEndpoint: 'http://127.0.0.1:4001',
};

describe('config', () => {
  it('accepts the local stack ready JSON', () => {
    expect(parseWebConfig(stackJson)).toMatchObject({
      graphqlUrl: stackJson.graphqlUrl,
      allowedModelIds: stackJson.allowedModelIds,
    });
  });

  it('accepts a CDK outputs file with the model list from VITE_MODEL_IDS', () => {
    const outputs = {
      ChatStack: {
        BedrockStreamApiGraphqlUrl1A2B3C4D:
          'https://abc.appsync-api.us-east-1.amazonaws.com/graphql',
        BedrockStreamApiRegionDEADBEEF: 'us-east-1',
        BedrockStreamApiApiKeyId0F0F0F0F: 'da2-xyz',
      },
    };
    expect(parseWebConfig(outputs, { VITE_MODEL_IDS: 'm1, m2' })).toEqual({
      graphqlUrl: 'https://abc.appsync-api.us-east-1.amazonaws.com/graphql',
      region: 'us-east-1',
      apiKey: 'da2-xyz',
      allowedModelIds: ['m1', 'm2'],
    });
    expect(() => parseWebConfig(outputs)).toThrow(/CDK outputs.*allowedModelIds/);
  });

  it('rejects anything else with a readable message', () => {
    expect(() => parseWebConfig({ graphqlUrl: 'nope' }, {}, '/config.json')).toThrow(
      /^\/config\.json is not a stack config: graphqlUrl/,
    );
  });

  it('picks the source: ?config=, then VITE_GRAPHQL_URL, then VITE_CONFIG_URL, then /config.json', () => {
    expect(configSource('?config=http%3A%2F%2Fh%2Fc.json', { VITE_GRAPHQL_URL: 'x' })).toEqual({
      url: 'http://h/c.json',
    });
    expect(configSource('', { VITE_GRAPHQL_URL: 'http://g/graphql' })).toEqual({
      inline: { VITE_GRAPHQL_URL: 'http://g/graphql' },
    });
    expect(configSource('', { VITE_CONFIG_URL: '/outputs.json' })).toEqual({
      url: '/outputs.json',
    });
    expect(configSource('', {})).toEqual({ url: '/config.json' });
  });
});

describe('quota messages and usage', () => {
  const error = (fields: Partial<StreamClientError>) =>
    Object.assign(new StreamClientError('QuotaExceeded', 'refused', true), fields);

  it('say which limit stopped the user and when to try again', () => {
    expect(
      quotaMessage(
        error({
          retryAfterSeconds: 5,
          quota: { quota: 'concurrentStreamsPerOwner', limit: 2, current: 2, retryAfterSeconds: 5 },
        }),
      ),
    ).toBe('You already have 2 of 2 answers running: wait for one to finish. Try again in 5 s.');
    expect(
      quotaMessage(
        error({
          retryAfterSeconds: 3 * 3600 + 600,
          quota: {
            quota: 'outputTokensPerDayPerOwner',
            limit: 100_000,
            current: 100_250,
            retryAfterSeconds: 3 * 3600 + 600,
          },
        }),
      ),
    ).toBe('You used 100,250 of your 100,000 output tokens for today. Try again in 3 h 10 min.');
    expect(quotaMessage(error({ retryAfterSeconds: 7200 }))).toBe(
      'This answer was stopped: you used your output tokens for today. Try again in 2 h.',
    );
    expect(quotaMessage(new StreamClientError('START_FAILED', 'x', true))).toBeNull();
    expect(quotaMessage(null)).toBeNull();
    expect(formatWait(42)).toBe('42 s');
    expect(formatWait(61)).toBe('2 min');
  });

  it('summarise usage today', () => {
    const totals = (streams: number, outputTokens: number) => ({
      streams,
      estimatedStreams: 0,
      inputTokens: 0,
      outputTokens,
      cacheReadInputTokens: 0,
      cacheWriteInputTokens: 0,
    });
    const report = (streams: number, out: number, limit: number | null) => ({
      owner: 'apikey',
      from: '2026-01-01',
      to: '2026-01-01',
      days: [],
      months: [],
      total: totals(streams, out),
      quotas: {
        concurrentStreamsPerOwner: null,
        streamsPerMinutePerOwner: null,
        outputTokensPerDayPerOwner: limit,
        concurrentStreamsGlobal: null,
      },
    });
    expect(usageSummary(report(0, 0, null))).toBe('Today: no usage yet');
    expect(usageSummary(report(3, 12_345, 200_000))).toBe(
      'Today: 12,345 output tokens (of 200,000) · 3 answers',
    );
    expect(usageSummary(report(1, 7, null))).toBe('Today: 7 output tokens · 1 answer');
  });
});
