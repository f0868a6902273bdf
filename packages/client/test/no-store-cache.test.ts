/**
 * The client's default cache on a real ApolloClient: operations of every fetch policy reach
 * the link and return its data, and nothing is kept; `no-cache` ones (all the client sends)
 * without a word from Apollo. (test/e2e.test.ts runs the client's own
 * mutations, queries and subscription on it against the local stack.)
 */
import { ApolloClient, ApolloLink } from '@apollo/client/core';
import { GetStreamDocument } from '@org/bedrock-stream-contracts';
import { Observable } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NoStoreCache } from '../src/no-store-cache.js';

const record = {
  streamId: 's-1',
  status: 'COMPLETED' as const,
  modelId: 'm',
  attempt: 1,
  lastSeq: 3,
  cancelRequested: false,
  stopReason: 'end_turn',
  usage: null,
  metrics: null,
  error: null,
  createdAt: '2024-01-01T00:00:00.000Z',
  updatedAt: '2024-01-01T00:00:01.000Z',
};

function clientCountingRequests() {
  const sent: string[] = [];
  const link = new ApolloLink(
    (operation) =>
      new Observable((observer) => {
        sent.push(operation.operationName ?? '?');
        observer.next({ data: { getStream: record } });
        observer.complete();
      }),
  );
  const cache = new NoStoreCache();
  return { apollo: new ApolloClient({ link, cache }), cache, sent };
}

describe('NoStoreCache', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it.each(['no-cache', 'network-only', 'cache-first'] as const)(
    'a %s query goes to the link every time and returns its data',
    async (fetchPolicy) => {
      // Apollo warns in development when a result it wrote reads back incomplete: never for
      // no-cache (it writes nothing), every time for the others, which need a real cache.
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      const { apollo, cache, sent } = clientCountingRequests();
      const query = () =>
        apollo.query({ query: GetStreamDocument, variables: { streamId: 's-1' }, fetchPolicy });
      expect((await query()).data?.getStream).toEqual(record);
      expect((await query()).data?.getStream).toEqual(record);
      expect(sent).toEqual(['GetStream', 'GetStream']);
      expect(cache.extract()).toEqual({});
      expect(warn.mock.calls.length > 0).toBe(fetchPolicy !== 'no-cache');
      apollo.stop();
    },
  );

  it('reads miss, writes are dropped, and a reset or restore changes nothing', async () => {
    const cache = new NoStoreCache();
    const options = { query: GetStreamDocument, variables: { streamId: 's-1' } };
    cache.writeQuery({ ...options, data: { getStream: record } });
    expect(cache.readQuery(options)).toBeNull();
    expect(cache.diff({ ...options, optimistic: false })).toEqual({
      result: null,
      complete: false,
    });
    expect(cache.restore({ ROOT_QUERY: {} })).toBe(cache);
    await cache.reset();
    expect(cache.extract()).toEqual({});
  });
});
