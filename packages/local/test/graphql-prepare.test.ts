/** The emulator's parse + validate step: AppSync-shaped errors, and a bounded cache of valid documents. */
import { describe, expect, it } from 'vitest';
import { prepare, type Engine } from '../src/appsync/server/graphql.js';
import { buildEmulatedSchema } from '../src/appsync/server/schema.js';

function engine(): Engine {
  return {
    schema: buildEmulatedSchema('type Query { hello(n: Int): String }'),
    resolvers: new Map(),
    dataSources: {},
    env: {},
    defaultMode: 'API_KEY',
  };
}

describe('prepare', () => {
  it('reuses the prepared document for a query text seen before', () => {
    const e = engine();
    const first = prepare(e, '{ hello }');
    const second = prepare(e, '{ hello }');
    expect(first.ok && second.ok).toBe(true);
    if (first.ok && second.ok) expect(second.value).toBe(first.value);
    // The operation name is part of the key.
    const named = prepare(e, 'query A { hello } query B { hello(n: 1) }', 'B');
    expect(named.ok && named.value.operation.name?.value).toBe('B');
    expect(prepare(e, 'query A { hello } query B { hello(n: 1) }', 'A').ok).toBe(true);
  });

  it('never caches invalid queries, and returns their errors every time', () => {
    const e = engine();
    for (let i = 0; i < 3; i += 1) {
      const bad = prepare(e, '{ nope }');
      expect(bad.ok).toBe(false);
      if (!bad.ok) expect(bad.errors[0]?.message).toMatch(/nope/);
      expect(prepare(e, '{ hello').ok).toBe(false);
    }
    expect(e.prepared?.size ?? 0).toBe(0);
  });

  it('keeps at most 500 documents, dropping the oldest', () => {
    const e = engine();
    for (let i = 0; i < 600; i += 1) expect(prepare(e, `{ hello(n: ${i}) }`).ok).toBe(true);
    expect(e.prepared?.size).toBe(500);
    expect(e.prepared?.has('\n{ hello(n: 0) }')).toBe(false);
    expect(e.prepared?.has('\n{ hello(n: 599) }')).toBe(true);
  });
});
