import { readFileSync, readdirSync } from 'node:fs';
import { InMemoryCache } from '@apollo/client/core';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as core from '../src/index.js';
import { StreamClientError, createStreamClient, realtimeUrlFor } from '../src/index.js';
import * as internal from '../src/internal.js';
import { NoStoreCache } from '../src/no-store-cache.js';
import {
  DEFAULT_OPERATION_RETRY_POLICY,
  DEFAULT_RECONNECT_POLICY,
  resolveOptions,
} from '../src/internal.js';

const srcDir = new URL('../src/', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  exports: Record<string, { types: string; default: string }>;
  dependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional: boolean }>;
};

describe('package shape', () => {
  it('the core entry never imports react (react is an optional peer)', () => {
    const coreFiles = readdirSync(srcDir).filter((f) => f.endsWith('.ts'));
    expect(coreFiles.length).toBeGreaterThan(3);
    for (const f of coreFiles) {
      const text = readFileSync(join(srcDir, f), 'utf8');
      expect(text, f).not.toMatch(/from ['"]react|import\(['"]react|\/react\//);
    }
    expect(pkg.exports['./react']?.types).toBe('./dist/react/index.d.ts');
    expect(pkg.peerDependenciesMeta['react']?.optional).toBe(true);
  });

  it('the core entry exports only what an app uses; the plumbing is at /internal', () => {
    expect(Object.keys(core).sort()).toEqual([
      'Chat',
      'ChunkAssembler',
      'ConversationList',
      'StreamClientError',
      'createStreamClient',
      'newStreamId',
      'partsToMessages',
      'pendingToolCalls',
      'realtimeUrlFor',
    ]);
    for (const name of [
      'resolveOptions',
      'StreamClientOptionsSchema',
      'createApolloTransport',
      'ensureRealtimeGlobals',
      'describeError',
      'validateStreamInput',
    ]) {
      expect(core, name).not.toHaveProperty(name);
      expect(internal, name).toHaveProperty(name);
    }
    expect(pkg.exports['./internal']).toEqual({
      types: './dist/internal.d.ts',
      default: './dist/internal.js',
    });
  });

  it('declares only dependencies it imports (no uuid: ids come from crypto)', () => {
    expect(pkg.dependencies).not.toHaveProperty('uuid');
  });
});

describe('realtimeUrlFor', () => {
  it('maps AppSync hosts to the appsync-realtime-api host', () => {
    expect(
      realtimeUrlFor(
        'https://abcdefghijklmnopqrstuvwxyz.appsync-api.us-east-1.amazonaws.com/graphql',
      ),
    ).toBe('wss://abcdefghijklmnopqrstuvwxyz.appsync-realtime-api.us-east-1.amazonaws.com/graphql');
  });
  it('maps custom domains and localhost to <url>/realtime', () => {
    expect(realtimeUrlFor('https://api.example.com/graphql')).toBe(
      'wss://api.example.com/graphql/realtime',
    );
    expect(realtimeUrlFor('http://127.0.0.1:4000/graphql')).toBe(
      'ws://127.0.0.1:4000/graphql/realtime',
    );
  });
});

describe('options validation', () => {
  const ok = { url: 'http://127.0.0.1:1/graphql', region: 'us-east-1' } as const;

  it('accepts every auth mode, static or provider', () => {
    for (const auth of [
      { type: 'API_KEY', apiKey: 'da2-x' },
      { type: 'API_KEY', apiKey: async () => 'da2-x' },
      { type: 'AWS_IAM', credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' } },
      { type: 'AWS_IAM', credentials: async () => ({ accessKeyId: 'AK', secretAccessKey: 'SK' }) },
      { type: 'AMAZON_COGNITO_USER_POOLS', jwtToken: () => 'jwt' },
      { type: 'OPENID_CONNECT', jwtToken: 'jwt' },
    ] as const) {
      expect(() => resolveOptions({ ...ok, auth })).not.toThrow();
    }
  });

  it('names every invalid field', () => {
    let error: unknown;
    try {
      createStreamClient({
        url: 'not a url',
        region: 'moon',
        auth: { type: 'API_KEY', apiKey: '' },
        ackTimeoutMs: -1,
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(StreamClientError);
    const e = error as StreamClientError;
    expect(e.code).toBe('INVALID_OPTIONS');
    expect(e.message).toMatch(/url/);
    expect(e.message).toMatch(/region/);
    expect(e.message).toMatch(/auth\.apiKey/);
    expect(e.message).toMatch(/ackTimeoutMs/);
  });

  it('takes the reconnect policy in contracts’ RetryPolicy shape, defaults filled in', () => {
    const auth = { type: 'API_KEY', apiKey: 'k' } as const;
    expect(resolveOptions({ ...ok, auth }).reconnect).toEqual(DEFAULT_RECONNECT_POLICY);
    expect(DEFAULT_RECONNECT_POLICY).toEqual({
      maxTries: 10, // the dropped subscription + 9 resubscriptions (~13 s of waits on average)
      initialDelayMs: 200,
      maxDelayMs: 5_000,
      jitter: true,
    });
    expect(
      resolveOptions({ ...ok, auth, reconnect: { maxTries: 2, initialDelayMs: undefined } })
        .reconnect,
    ).toEqual({ ...DEFAULT_RECONNECT_POLICY, maxTries: 2 });
    expect(() => resolveOptions({ ...ok, auth, reconnect: { maxTries: 0 } })).toThrow(
      /reconnect\.maxTries/,
    );
    expect(() => resolveOptions({ ...ok, auth, reconnect: { retries: 3 } as never })).toThrow(
      /reconnect/,
    );
  });

  it('takes a retry budget per operation, each filled in from the default policy', () => {
    const auth = { type: 'API_KEY', apiKey: 'k' } as const;
    const resolved = resolveOptions({ ...ok, auth, retry: { startStream: { maxTries: 12 } } });
    expect(resolved.retry).toEqual({
      startStream: { ...DEFAULT_OPERATION_RETRY_POLICY, maxTries: 12 },
      cancelStream: DEFAULT_OPERATION_RETRY_POLICY,
      getStream: DEFAULT_OPERATION_RETRY_POLICY,
      streamChunks: DEFAULT_OPERATION_RETRY_POLICY,
      sendMessage: DEFAULT_OPERATION_RETRY_POLICY,
      regenerateMessage: DEFAULT_OPERATION_RETRY_POLICY,
      submitToolResults: DEFAULT_OPERATION_RETRY_POLICY,
      conversations: DEFAULT_OPERATION_RETRY_POLICY,
    });
    expect(resolved.requestTimeoutMs).toBe(15_000);
    expect(resolved.browserLifecycle).toBe(true);
    expect(() => resolveOptions({ ...ok, auth, retry: { publishChunk: {} } as never })).toThrow(
      /retry/,
    );
    expect(() => resolveOptions({ ...ok, auth, retry: { getStream: { maxTries: 0 } } })).toThrow(
      /retry\.getStream\.maxTries/,
    );
  });

  it('rejects unknown options (a typo or a removed option is not silently ignored)', () => {
    const auth = { type: 'API_KEY', apiKey: 'k' } as const;
    expect(() => resolveOptions({ ...ok, auth, maxReconnects: 5 })).toThrow(/maxReconnects/);
  });

  it('takes an ApolloCache as `cache` (default: one that stores nothing) and names a wrong one', () => {
    const auth = { type: 'API_KEY', apiKey: 'k' } as const;
    const cache = new InMemoryCache();
    expect(resolveOptions({ ...ok, auth, cache }).cache).toBe(cache);
    const defaulted = createStreamClient({ ...ok, auth });
    const own = createStreamClient({ ...ok, auth, cache });
    try {
      expect(defaulted.apollo?.cache).toBeInstanceOf(NoStoreCache);
      expect(own.apollo?.cache).toBe(cache);
    } finally {
      defaulted.close();
      own.close();
    }
    for (const wrong of [{}, 'memory', InMemoryCache, { read() {}, write() {} }]) {
      expect(() => resolveOptions({ ...ok, auth, cache: wrong as never })).toThrow(
        /cache: expected an ApolloCache/,
      );
    }
  });

  it('rejects an unknown auth type', () => {
    expect(() =>
      resolveOptions({ ...ok, auth: { type: 'AWS_LAMBDA', token: 'x' } as never }),
    ).toThrow(/auth/);
  });

  it('stream() validates the input with the contract before anything is sent', () => {
    const client = createStreamClient({ ...ok, auth: { type: 'API_KEY', apiKey: 'k' } });
    try {
      expect(() => client.stream({ modelId: 'm', prompt: 'a', messages: [] })).toThrow(
        StreamClientError,
      );
      expect(() => client.stream({ modelId: 'bad model id!', prompt: 'a' })).toThrow(/modelId/);
      expect(client.activeStreams.size).toBe(0);
    } finally {
      client.close();
    }
  });
});

describe('newStreamId', () => {
  it('makes lowercase UUID v4s, also without crypto.randomUUID', async () => {
    const { newStreamId } = await import('../src/index.js');
    const { StreamIdSchema } = await import('@org/bedrock-stream-contracts');
    expect(StreamIdSchema.safeParse(newStreamId()).success).toBe(true);
    const original = globalThis.crypto.randomUUID;
    Object.defineProperty(globalThis.crypto, 'randomUUID', {
      value: undefined,
      configurable: true,
    });
    try {
      const ids = Array.from({ length: 50 }, () => newStreamId());
      for (const id of ids) expect(StreamIdSchema.safeParse(id).success, id).toBe(true);
      expect(new Set(ids).size).toBe(50);
    } finally {
      Object.defineProperty(globalThis.crypto, 'randomUUID', {
        value: original,
        configurable: true,
      });
    }
  });
});
