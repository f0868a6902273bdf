/** The page's pure parts: conversation -> messages, figures, config parsing and its sources. */
import { parseStartStreamInput } from '@org/bedrock-stream-contracts';
import { describe, expect, it } from 'vitest';
import { configSource, parseWebConfig } from '../src/config.js';
import { figuresOf, messagesFor, type Turn } from '../src/conversation.js';
import { formatWait, quotaMessage, usageSummary } from '../src/quota.js';
import { StreamClientError } from '@org/bedrock-stream-client';
import { SAVED_CHAT_KEY, loadChat, saveChat } from '../src/saved-chat.js';

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

describe('messagesFor', () => {
  const answer = (text: string, status: 'done' | 'cancelled' | 'error'): Turn => ({
    role: 'ASSISTANT',
    text,
    status,
    figures: '',
  });

  it('sends alternating turns ending with the new question', () => {
    const history: Turn[] = [{ role: 'USER', text: 'a' }, answer('A', 'done')];
    expect(messagesFor(history, 'b')).toEqual([
      { role: 'USER', text: 'a' },
      { role: 'ASSISTANT', text: 'A' },
      { role: 'USER', text: 'b' },
    ]);
  });

  it('keeps a stopped partial answer and drops failed ones, so roles still alternate', () => {
    const history: Turn[] = [
      { role: 'USER', text: 'a' },
      answer('', 'error'),
      { role: 'USER', text: 'b' },
      answer('part', 'cancelled'),
      { role: 'USER', text: 'c' },
      answer('', 'cancelled'),
    ];
    const messages = messagesFor(history, 'd');
    expect(messages).toEqual([
      { role: 'USER', text: 'b' },
      { role: 'ASSISTANT', text: 'part' },
      { role: 'USER', text: 'd' },
    ]);
    // What the page sends is a valid startStream input.
    expect(() =>
      parseStartStreamInput({
        streamId: '0b7c2f0e-4c3a-4f5e-9a1b-2c3d4e5f6a7b',
        modelId: 'm',
        messages,
      }),
    ).not.toThrow();
  });
});

describe('figuresOf', () => {
  it('shows time to first token, generation rate and usage', () => {
    const metrics = { timeToFirstTextMs: 100.4, totalMs: 1100 } as Parameters<typeof figuresOf>[0];
    expect(figuresOf(metrics, { inputTokens: 5, outputTokens: 50, totalTokens: 55 })).toBe(
      'first token 100 ms · 50.0 tokens/s · 5 in / 50 out tokens',
    );
  });
  it('is empty when nothing is known', () => {
    expect(figuresOf(null, null)).toBe('');
  });
});

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

describe('the chat kept for a reload', () => {
  /** A Storage with only what the page uses. */
  const memoryStorage = () => {
    const items = new Map<string, string>();
    return {
      getItem: (key: string) => items.get(key) ?? null,
      setItem: (key: string, value: string) => void items.set(key, value),
      items,
    };
  };
  const history: Turn[] = [
    { role: 'USER', text: 'a' },
    { role: 'ASSISTANT', text: 'A', status: 'error', error: 'boom', figures: '' },
    { role: 'USER', text: 'b' },
  ];

  it('round-trips the turns and the answer in flight', () => {
    const storage = memoryStorage();
    const chat = { history, activeStreamId: '0b6b8c3e-4a8f-4e8e-9d6a-2f1c7c9b5a10' };
    saveChat(chat, storage);
    expect(loadChat(storage)).toEqual(chat);
  });

  it('starts empty without storage, with nothing saved, or with something it cannot read', () => {
    const empty = { history: [], activeStreamId: null };
    expect(loadChat(null)).toEqual(empty);
    const storage = memoryStorage();
    expect(loadChat(storage)).toEqual(empty);
    storage.setItem(SAVED_CHAT_KEY, '{not json');
    expect(loadChat(storage)).toEqual(empty);
    storage.setItem(SAVED_CHAT_KEY, JSON.stringify({ v: 2, history: [], activeStreamId: null }));
    expect(loadChat(storage)).toEqual(empty);
    storage.setItem(
      SAVED_CHAT_KEY,
      JSON.stringify({ v: 1, history: [{ role: 'SYSTEM', text: 'x' }], activeStreamId: null }),
    );
    expect(loadChat(storage)).toEqual(empty);
  });

  it('a storage that refuses writes only loses the reload', () => {
    const refusing = {
      getItem: () => null,
      setItem: () => {
        throw new DOMException('quota', 'QuotaExceededError');
      },
    };
    expect(() => saveChat({ history, activeStreamId: null }, refusing)).not.toThrow();
  });
});
