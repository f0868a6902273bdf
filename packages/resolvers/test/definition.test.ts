import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiDefinition } from '../src/index.js';

// Wiring checks on the single ApiDefinition; behaviour of each handler is tested end to end
// through the APPSYNC_JS runtime in packages/local/test/appsync-runtime.test.ts (local
// depends on this package, so the runtime cannot be imported here without a cycle).
describe('apiDefinition', () => {
  it('points at built, APPSYNC_JS-shaped bundles', () => {
    const files = [
      ...Object.values(apiDefinition.functions).map((f) => f.codeFile),
      ...apiDefinition.resolvers.map((r) => r.codeFile),
    ];
    for (const file of files) {
      expect(isAbsolute(file)).toBe(true);
      expect(existsSync(file), file).toBe(true);
      const code = readFileSync(file, 'utf8');
      expect(code).toMatch(/export\s*\{/);
      expect(code).not.toMatch(/\btry\s*\{|\bthrow\s|\bwhile\s*\(|\bclass\s+\w|\bawait\s/);
      // AppSync refuses resolver and function code over 32,768 characters (API reference).
      expect(code.length, file).toBeLessThanOrEqual(32_768);
    }
  });

  it('references only declared data sources and functions', () => {
    for (const f of Object.values(apiDefinition.functions)) {
      expect(apiDefinition.dataSources[f.dataSource]).toBeDefined();
    }
    for (const r of apiDefinition.resolvers) {
      if (r.kind === 'PIPELINE') {
        for (const name of r.functions ?? []) expect(apiDefinition.functions[name]).toBeDefined();
      } else {
        expect(apiDefinition.dataSources[r.dataSource ?? '']).toBeDefined();
      }
    }
    const fields = apiDefinition.resolvers.map((r) => `${r.typeName}.${r.fieldName}`).sort();
    expect(fields).toEqual(
      [
        'Mutation.cancelStream',
        'Mutation.createConversation',
        'Mutation.deleteConversation',
        'Mutation.regenerateMessage',
        'Mutation.renameConversation',
        'Mutation.sendMessage',
        'Mutation.submitToolResults',
        'Query.conversationMessages',
        'Query.getConversation',
        'Query.listConversations',
        'Mutation.publishChunk',
        'Mutation.startStream',
        'Query.getStream',
        'Query.myUsage',
        'Query.streamChunks',
        'Query.usageOf',
        'Subscription.onStreamChunk',
      ].sort(),
    );
  });

  it('passes the model allow-list as ctx.env', () => {
    const env = apiDefinition.environmentVariables({ allowedModelIds: ['a', 'b'] });
    expect(Object.values(env).join(' ')).toContain('a,b');
  });

  it('passes the configured quotas and the table name, and only those', () => {
    expect(
      apiDefinition.environmentVariables({
        allowedModelIds: ['a'],
        tableName: 'streams',
        quotas: { concurrentStreamsPerOwner: 3, outputTokensPerDayPerOwner: 100_000 },
      }),
    ).toEqual({
      ALLOWED_MODEL_IDS: 'a',
      STREAMS_TABLE_NAME: 'streams',
      QUOTA_CONCURRENT_STREAMS_PER_OWNER: '3',
      QUOTA_OUTPUT_TOKENS_PER_DAY_PER_OWNER: '100000',
    });
    // Every AppSync environment variable name must match ^[A-Za-z]+\w*$ (AppSync's rule).
    const all = apiDefinition.environmentVariables({
      allowedModelIds: ['a'],
      tableName: 't',
      quotas: {
        concurrentStreamsPerOwner: 1,
        streamsPerMinutePerOwner: 1,
        outputTokensPerDayPerOwner: 1,
        concurrentStreamsGlobal: 1,
      },
    });
    for (const name of Object.keys(all)) expect(name).toMatch(/^[A-Za-z]+\w*$/);
  });

  it('refuses quotas without a table name, and limits that are not positive integers', () => {
    expect(() =>
      apiDefinition.environmentVariables({
        allowedModelIds: ['a'],
        quotas: { concurrentStreamsPerOwner: 2 },
      }),
    ).toThrow(/table name/);
    expect(() =>
      apiDefinition.environmentVariables({
        allowedModelIds: ['a'],
        tableName: 't',
        quotas: { streamsPerMinutePerOwner: 0.5 },
      }),
    ).toThrow(/streamsPerMinutePerOwner/);
  });
});
