// The client's default Apollo cache: one that stores nothing. Every operation the transport
// sends is `fetchPolicy: 'no-cache'` (a stream's record and chunks must be read from the
// store, never from a cache), so Apollo only needs a cache object to exist. InMemoryCache
// would bring its normalizer, optimism and @wry into every page for nothing (about 14 KB of
// a browser bundle, gzipped). Apps that run their own cached queries on `client.apollo`
// pass `cache: new InMemoryCache()` (StreamClientOptions.cache).
import {
  ApolloCache,
  type Cache,
  type OperationVariables,
  type Reference,
  type Transaction,
} from '@apollo/client/core';

/**
 * An `ApolloCache` that keeps nothing: reads miss, writes are dropped, watches never fire.
 * Correct for operations sent with `fetchPolicy: 'no-cache'` (Apollo then neither reads
 * nor writes the cache); any other policy works but always goes to the network, and Apollo
 * warns in development that the result it wrote reads back incomplete.
 */
export class NoStoreCache extends ApolloCache {
  override read<TData, TVariables extends OperationVariables = OperationVariables>(
    _options: Cache.ReadOptions<TData, TVariables>,
  ): TData | null {
    return null;
  }

  override write<TData, TVariables extends OperationVariables = OperationVariables>(
    _options: Cache.WriteOptions<TData, TVariables>,
  ): Reference | undefined {
    return undefined;
  }

  override diff<TData, TVariables extends OperationVariables = OperationVariables>(
    _options: Cache.DiffOptions<TData, TVariables>,
  ): Cache.DiffResult<TData> {
    return { result: null, complete: false };
  }

  override watch<TData, TVariables extends OperationVariables = OperationVariables>(
    _options: Cache.WatchOptions<TData, TVariables>,
  ): () => void {
    return () => {};
  }

  override async reset(): Promise<void> {}

  override evict(_options: Cache.EvictOptions): boolean {
    return false;
  }

  override restore(_serializedState: unknown): this {
    return this;
  }

  override extract(): Record<string, never> {
    return {};
  }

  override removeOptimistic(_id: string): void {}

  override fragmentMatches(): boolean {
    return false;
  }

  override performTransaction(transaction: Transaction): void {
    transaction(this);
  }
}
